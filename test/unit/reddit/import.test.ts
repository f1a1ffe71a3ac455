import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InputError } from "../../../src/errors/input-error.ts";
import { splitConcatenatedComments } from "../../../src/reddit/formats/threads-csv.ts";
import { detectFormat, importThreads, readThreadsJsonl } from "../../../src/reddit/import.ts";
import type { Thread } from "../../../src/reddit/thread.ts";

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "wf-import-"));
}

function readOut(file: string): Thread[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Thread);
}

const CSV_HEADER =
  "created_utc,score,domain,id,title,ups,downs,num_comments,permalink,selftext,link_flair_text,over_18,thumbnail,subreddit_id,edited,link_flair_css_class,author_flair_css_class,is_self,name,url,distinguished";

describe("reddit-csv", () => {
  it("reads posts with the 2013 quirks and skips bad rows with line and field", async () => {
    const dir = tmp();
    const file = join(dir, "solotravel.csv");
    writeFileSync(
      file,
      [
        CSV_HEADER,
        '1357874084.0,71,self.solotravel,16cv5c,"Multi, line",81,10,9,http://www.reddit.com/r/solotravel/comments/16cv5c/x/,"A &amp; B\n\nsecond &gt; line",,False,,t5_2rxxm,1357875000.0,,,True,t3_16cv5c,http://www.reddit.com/r/solotravel/comments/16cv5c/x/,moderator',
        "not-a-date,1,d,bad1,Broken date,1,0,0,http://www.reddit.com/r/solotravel/comments/bad1/x/,,,False,,t5,False,,,True,t3_bad1,u,",
        "1357874084.0,1,d,short,Too few columns",
        "1357874085.0,5,imgur.com,ok2,Photo,5,0,0,http://www.reddit.com/r/solotravel/comments/ok2/y/,,,True,,t5,False,,,False,t3_ok2,http://i.imgur.com/x.jpg,",
      ].join("\n"),
    );
    const out = join(dir, "out.jsonl");
    const report = await importThreads({ inputs: [{ path: file }], outFile: out });
    expect(report).toMatchObject({ files: 1, threads: 2, comments: 0, skippedCount: 2 });
    expect(report.skipped).toEqual([
      { file, line: 5, field: "created_utc", reason: "not a number (not-a-date)" }, // row 1 spans lines 2-4
      { file, line: 6, reason: "expected 21 columns (as the header), got 5" },
    ]);
    const [a, b] = readOut(out);
    expect(a!.post).toMatchObject({
      id: "16cv5c",
      subreddit: "solotravel",
      title: "Multi, line",
      selftext: "A &amp; B\n\nsecond &gt; line",
      created_utc: 1357874084,
      edited: 1357875000,
      permalink: "/r/solotravel/comments/16cv5c/x/",
      is_self: true,
      over_18: false,
      distinguished: "moderator",
      upvote_ratio: null,
      num_comments: 9,
      score: 71,
    });
    expect(a!.source).toEqual({ kind: "reddit-csv", file, line: 2 });
    expect(b!.post).toMatchObject({ id: "ok2", over_18: true, is_self: false, edited: false, distinguished: null });
  });

  it("skips a CSV whose header is not a post export, without aborting the other inputs", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "a.csv"), "foo,bar\n1,2\n");
    writeFileSync(
      join(dir, "b.csv"),
      `${CSV_HEADER}\n1.0,1,d,z,T,1,0,0,/r/x/comments/z/t/,,,False,,t5,False,,,True,t3_z,u,\n`,
    );
    const report = await importThreads({
      inputs: [{ path: dir, format: "reddit-csv" }],
      outFile: join(dir, "o.jsonl"),
    });
    expect(report.threads).toBe(1);
    expect(report.skippedCount).toBe(1);
    expect(report.skipped[0]).toMatchObject({ file: join(dir, "a.csv"), line: 1, field: "id,title,created_utc" });
  });

  it("warns (with line and field) about invalid UTF-8 and keeps the row", async () => {
    const dir = tmp();
    const file = join(dir, "x.csv");
    const row = Buffer.concat([
      Buffer.from(`${CSV_HEADER}\n1.0,1,d,z,Caf`),
      Buffer.from([0xe9]),
      Buffer.from(" bad,1,0,0,/r/x/comments/z/t/,,,False,,t5,False,,,True,t3_z,u,\n"),
    ]);
    writeFileSync(file, row);
    const report = await importThreads({ inputs: [{ path: file }], outFile: join(dir, "o.jsonl") });
    expect(report.threads).toBe(1);
    expect(report.warningCount).toBe(1);
    expect(report.warnings[0]).toEqual({ file, line: 2, field: "title", reason: "invalid UTF-8 replaced by U+FFFD" });
    expect(readOut(join(dir, "o.jsonl"))[0]!.post.title).toBe("Caf\uFFFD bad");
  });
});

describe("threads-csv", () => {
  it("splits concatenated comments at sentence boundaries and restores [deleted]", () => {
    expect(
      splitConcatenatedComments(
        "Great trip! Go north., Looks awesome!, deleted, Eat at Tin Can Alley in ABQ., Explain this, Hitting the parks, yes is fine.",
      ),
    ).toEqual([
      "Great trip! Go north.",
      "Looks awesome!",
      "[deleted]",
      "Eat at Tin Can Alley in ABQ.",
      "Explain this, Hitting the parks, yes is fine.",
    ]);
    expect(splitConcatenatedComments("")).toEqual([]);
  });

  it("reads title/selftext/comments rows with duplicate header names", async () => {
    const dir = tmp();
    const file = join(dir, "t.csv");
    writeFileSync(
      file,
      ',,title,selftext,,comments,CONCAT,CONCAT\n1,q,"Where to eat?","In Paris",,"Try X., Try Y!",a,b\n2,q,,"no title",,"x",a,b\n',
    );
    const report = await importThreads({ inputs: [{ path: file }], outFile: join(dir, "o.jsonl") });
    expect(report).toMatchObject({ threads: 1, comments: 2, skippedCount: 1 });
    expect(report.skipped[0]).toMatchObject({ line: 3, field: "title" });
    const [t] = readOut(join(dir, "o.jsonl"));
    expect(t!.post.title).toBe("Where to eat?");
    expect(t!.post.id).toMatch(/^h[0-9a-f]{12}$/);
    expect(t!.comments.map((c) => [c.body, c.parent_id, c.depth])).toEqual([
      ["Try X.", t!.post.name, 0],
      ["Try Y!", t!.post.name, 0],
    ]);
  });
});

function commentThing(id: string, parent: string, body: string, score: number, replies: unknown = "") {
  return {
    kind: "t1",
    data: {
      id,
      name: `t1_${id}`,
      parent_id: parent,
      link_id: "t3_p1",
      body,
      score,
      created_utc: 1700000000,
      author: "u1",
      replies,
      depth: 99,
    },
  };
}
const POST = {
  kind: "t3",
  data: {
    id: "p1",
    name: "t3_p1",
    subreddit: "travel",
    title: "Q?",
    selftext: "body",
    score: 10,
    upvote_ratio: 0.93,
    num_comments: 7,
    created_utc: 1700000000.0,
    permalink: "/r/travel/comments/p1/q/",
    author: "op",
    over_18: false,
    is_self: true,
  },
};
function page() {
  return [
    { kind: "Listing", data: { after: null, before: null, children: [POST] } },
    {
      kind: "Listing",
      data: {
        after: null,
        before: null,
        children: [
          commentThing("c1", "t3_p1", "top", 5, {
            kind: "Listing",
            data: {
              children: [
                commentThing("c2", "t1_c1", "reply", 2),
                {
                  kind: "more",
                  data: { id: "m", name: "t1_m", parent_id: "t1_c1", count: 3, depth: 1, children: ["c7", "c8"] },
                },
              ],
            },
          }),
          commentThing("c3", "t3_p1", "second", 9),
          { kind: "t1", data: { id: "c4", parent_id: "t3_p1", body: "no date" } },
        ],
      },
    },
  ];
}

describe("reddit-json", () => {
  it("flattens a comment page, keeps `more` as counts, recomputes depth and skips bad comments by JSON path", async () => {
    const dir = tmp();
    const file = join(dir, "p1.json");
    writeFileSync(file, JSON.stringify(page()));
    const report = await importThreads({ inputs: [{ path: file }], outFile: join(dir, "o.jsonl") });
    expect(report).toMatchObject({ threads: 1, comments: 3, skippedCount: 1 });
    expect(report.skipped[0]).toMatchObject({
      file,
      line: 1,
      field: "[1].data.children[2].data.created_utc",
      reason: "missing",
    });
    const [t] = readOut(join(dir, "o.jsonl"));
    expect(t!.comments.map((c) => `${c.id}:${c.depth}`)).toEqual(["c3:0", "c1:0", "c2:1"]);
    expect(t!.more).toEqual([{ parent_id: "t1_c1", count: 3, children: ["c7", "c8"] }]);
    expect(t!.post).toMatchObject({ upvote_ratio: 0.93, author: "op", subreddit: "travel" });
  });

  it("reads an array of pages and a Listing of posts; an invalid file is skipped with its line", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "a.json"), JSON.stringify([page(), page()]));
    writeFileSync(
      join(dir, "b.json"),
      JSON.stringify({ kind: "Listing", data: { children: [POST, { kind: "t1", data: {} }] } }),
    );
    writeFileSync(join(dir, "c.json"), '{\n"kind": "Listing",\n  oops\n}');
    const report = await importThreads({ inputs: [{ path: dir }], outFile: join(dir, "o.jsonl") });
    expect(report.files).toBe(3);
    expect(report.threads).toBe(3);
    expect(report.skipped.map((s) => [s.file.slice(dir.length + 1), s.line, s.field])).toEqual([
      ["a.json", 1, "[0][1].data.children[2].data.created_utc"],
      ["a.json", 2, "[1][1].data.children[2].data.created_utc"],
      ["b.json", 2, "data.children[1].kind"],
      ["c.json", 3, undefined],
    ]);
  });
});

describe("threads-jsonl and detection", () => {
  it("round-trips our own format and skips bad lines", async () => {
    const dir = tmp();
    const first = join(dir, "first.jsonl");
    writeFileSync(join(dir, "p.json"), JSON.stringify(page()));
    await importThreads({ inputs: [{ path: join(dir, "p.json") }], outFile: first });
    const good = readFileSync(first, "utf8").trim();
    const mixed = join(dir, "mixed.jsonl");
    writeFileSync(mixed, `${good}\n{bad json\n\n{"post": {}}\n${good}\n`);
    expect(await detectFormat(mixed)).toBe("threads-jsonl");
    const report = await importThreads({ inputs: [{ path: mixed }], outFile: join(dir, "o.jsonl") });
    expect(report.threads).toBe(2);
    expect(report.skipped.map((s) => [s.line, s.field])).toEqual([
      [2, undefined],
      [4, "post.id"],
    ]);
    const threads: Thread[] = [];
    for await (const t of readThreadsJsonl(join(dir, "o.jsonl"))) threads.push(t);
    expect(threads).toEqual(readOut(first).concat(readOut(first)));
    await expect(async () => {
      for await (const _ of readThreadsJsonl(mixed)) void _;
    }).rejects.toThrow(/mixed\.jsonl:2: not valid JSON/);
  });

  it("rejects unusable arguments with InputError before writing", async () => {
    const dir = tmp();
    await expect(importThreads({ inputs: [], outFile: join(dir, "o.jsonl") })).rejects.toBeInstanceOf(InputError);
    await expect(
      importThreads({ inputs: [{ path: join(dir, "nope.csv") }], outFile: join(dir, "o.jsonl") }),
    ).rejects.toThrow(/nope\.csv: no such file/);
    writeFileSync(join(dir, "x.txt"), "hello");
    await expect(
      importThreads({ inputs: [{ path: join(dir, "x.txt") }], outFile: join(dir, "o.jsonl") }),
    ).rejects.toThrow(/format/);
    await expect(importThreads({ inputs: [{ path: dir }], outFile: join(dir, "o.jsonl") })).rejects.toThrow(
      /no importable files/,
    );
  });
});
