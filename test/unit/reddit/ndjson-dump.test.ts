import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { orderCommentIndices } from "../../../src/reddit/formats/ndjson-dump.ts";
import { importThreads } from "../../../src/reddit/import.ts";
import type { Comment, Thread } from "../../../src/reddit/thread.ts";
import { orderComments } from "../../../src/reddit/tree.ts";
import { zstdWindowSize } from "../../../src/reddit/zstd.ts";

const HAS_ZSTD = spawnSync("zstd", ["--version"], { stdio: "ignore" }).status === 0;
if (!HAS_ZSTD) console.warn("[skip] zstd program not on PATH; CLI-decoder and long-window tests skipped");

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "wf-dump-"));
}

function readOut(file: string): Thread[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Thread);
}

// Pushshift-style records: created_utc as string, no depth, edited true/false, ids without prefix in `id`.
const posts = [
  {
    id: "p1",
    subreddit: "travel",
    title: "Where to go in May?",
    selftext: "Two weeks",
    score: 12,
    created_utc: "1700000000",
    num_comments: 3,
    over_18: false,
    is_self: true,
    author: "op",
    permalink: "/r/travel/comments/p1/x/",
  },
  {
    id: "p2",
    subreddit: "japan",
    title: "JR pass?",
    selftext: "",
    score: 3,
    created_utc: 1700000100,
    num_comments: 1,
    edited: 1700000200,
  },
];
const comments = [
  {
    id: "c3",
    link_id: "t3_p1",
    parent_id: "t1_c1",
    body: "reply to c1",
    score: 1,
    created_utc: "1700000300",
    author: "b",
  },
  {
    id: "c1",
    link_id: "t3_p1",
    parent_id: "t3_p1",
    body: "Go to Portugal",
    score: 5,
    created_utc: "1700000100",
    author: "a",
    edited: true,
  },
  { id: "c2", link_id: "t3_p1", parent_id: "t3_p1", body: "Greece", score: 8, created_utc: 1700000200, author: "c" },
  { id: "c4", link_id: "t3_p2", parent_id: "t3_p2", body: "Yes, worth it", score: 2, created_utc: 1700000400 },
  { id: "c9", link_id: "t3_gone", parent_id: "t3_gone", body: "post not in dump", score: 1, created_utc: 1700000400 },
];
const ndjson = (rows: object[]) => `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`;

function zstd(file: string, args: string[] = []): string {
  execFileSync("zstd", ["-q", "-f", ...args, file, "-o", `${file}.zst`]);
  return `${file}.zst`;
}

describe("ndjson-zst dumps", () => {
  it("joins RS_ posts and RC_ comments by link_id, computes depth and orders comments (plain NDJSON)", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "RS_2023-11.ndjson"), ndjson(posts));
    writeFileSync(join(dir, "RC_2023-11.ndjson"), ndjson(comments));
    const out = join(dir, "o.jsonl");
    const report = await importThreads({ inputs: [{ path: dir, format: "ndjson-zst" }], outFile: out });
    expect(report).toMatchObject({ files: 2, threads: 2, comments: 4, skippedCount: 1 });
    expect(report.skipped[0]).toMatchObject({ file: join(dir, "RC_2023-11.ndjson"), line: 5, field: "link_id" });
    const threads = readOut(out).sort((a, b) => a.post.id.localeCompare(b.post.id));
    expect(threads[0]!.comments.map((c) => `${c.id}:${c.depth}`)).toEqual(["c2:0", "c1:0", "c3:1"]);
    expect(threads[0]!.comments.find((c) => c.id === "c1")!.edited).toBe(1700000100);
    expect(threads[0]!.post).toMatchObject({ created_utc: 1700000000, subreddit: "travel", author: "op" });
    expect(threads[0]!.source).toEqual({ kind: "pushshift-zst", file: join(dir, "RS_2023-11.ndjson"), line: 1 });
    expect(threads[1]!.post.edited).toBe(1700000200);
  });

  it.skipIf(!HAS_ZSTD)(
    "reads zstd dumps with both decoders, and long-window (--long=31) frames with the CLI",
    async () => {
      const dir = tmp();
      writeFileSync(join(dir, "RS.ndjson"), ndjson(posts));
      const rsZ = zstd(join(dir, "RS.ndjson"));
      writeFileSync(join(dir, "RC.ndjson"), ndjson(comments));
      // Through stdin the content size is unknown, so the frame declares the full 2 GiB window.
      const rcZ = join(dir, "RC_long.zst");
      execFileSync("sh", ["-c", `zstd -q --long=31 -c < '${join(dir, "RC.ndjson")}' > '${rcZ}'`]);
      expect(await zstdWindowSize(rcZ)).toBe(2 ** 31);
      const viaCli = await importThreads({
        inputs: [{ path: rsZ }, { path: rcZ }],
        outFile: join(dir, "cli.jsonl"),
        zstdDecoder: "cli",
      });
      expect(viaCli.skipped.map((s) => s.field)).toEqual(["link_id"]); // only the comment of a post not in the dump
      expect(viaCli).toMatchObject({ threads: 2, comments: 4, skippedCount: 1 });
      // fzstd cannot allocate a 2 GiB window: the file is skipped with a clear reason, the import goes on.
      const viaJs = await importThreads({
        inputs: [{ path: rsZ }, { path: rcZ }],
        outFile: join(dir, "js.jsonl"),
        zstdDecoder: "js",
      });
      expect(viaJs.threads).toBe(2);
      expect(viaJs.comments).toBe(0);
      expect(viaJs.skipped[0]).toMatchObject({ file: rcZ, line: 1 });
      expect(viaJs.skipped[0]!.reason).toMatch(/2048 MiB .*install the zstd program/);
      // A short-window zstd file decodes the same with both decoders.
      const rcShort = zstd(join(dir, "RC.ndjson"));
      const a = await importThreads({
        inputs: [{ path: rsZ }, { path: rcShort }],
        outFile: join(dir, "a.jsonl"),
        zstdDecoder: "js",
      });
      const b = await importThreads({
        inputs: [{ path: rsZ }, { path: rcShort }],
        outFile: join(dir, "b.jsonl"),
        zstdDecoder: "cli",
      });
      expect(a).toEqual(b);
      expect(readFileSync(join(dir, "a.jsonl"), "utf8")).toBe(readFileSync(join(dir, "cli.jsonl"), "utf8"));
    },
  );

  it.skipIf(!HAS_ZSTD)(
    "keeps going past a bad JSON line, invalid UTF-8, a bad field and a truncated zstd stream",
    async () => {
      for (const decoder of ["js", "cli"] as const) {
        const dir = tmp();
        writeFileSync(join(dir, "RS.ndjson"), ndjson(posts));
        const rs = zstd(join(dir, "RS.ndjson"));
        const rcRows = Buffer.concat([
          Buffer.from(ndjson(comments.slice(0, 2))),
          Buffer.from("{not json\n"),
          Buffer.from('{"id":"u1","link_id":"t3_p2","parent_id":"t3_p2","created_utc":1,"body":"caf'),
          Buffer.from([0xe9, 0x22, 0x7d, 0x0a]),
          Buffer.from('{"id":"bad","link_id":"t3_p2","parent_id":"t3_p2","created_utc":"soon","body":"x"}\n'),
          Buffer.from(
            ndjson(
              Array.from({ length: 3000 }, (_, i) => ({
                id: `z${i}`,
                link_id: "t3_p2",
                parent_id: "t3_p2",
                created_utc: 5,
                body: `comment ${i} `.repeat(20),
              })),
            ),
          ),
        ]);
        writeFileSync(join(dir, "RC.ndjson"), rcRows);
        const rcFull = zstd(join(dir, "RC.ndjson"));
        const full = readFileSync(rcFull);
        const truncated = join(dir, "RC_truncated.zst");
        writeFileSync(truncated, full.subarray(0, Math.floor(full.length * 0.6)));
        const report = await importThreads({
          inputs: [{ path: rs }, { path: truncated }],
          outFile: join(dir, "o.jsonl"),
          zstdDecoder: decoder,
        });
        const reasons = report.skipped.map((s) => `${s.line}:${s.field ?? ""}:${s.reason.slice(0, 14)}`);
        expect(reasons).toContain("3::not valid JSON");
        expect(reasons).toContain("5:created_utc:not a number (");
        expect(report.skipped.find((s) => /zstd|truncated/i.test(s.reason))).toBeDefined();
        expect(report.skippedCount).toBe(3);
        expect(report.warnings).toEqual([{ file: truncated, line: 4, reason: "invalid UTF-8 replaced by U+FFFD" }]);
        const kept = report.comments;
        expect(kept).toBeGreaterThan(100); // the prefix before the damage is kept
        expect(kept).toBeLessThan(3003);
        const t = readOut(join(dir, "o.jsonl")).find((x) => x.post.id === "p2")!;
        expect(t.comments.find((c) => c.id === "u1")!.body).toBe("caf\uFFFD");
      }
    },
  );
});

describe("dump import internals", () => {
  it("orderCommentIndices gives exactly orderComments' order and depths (random trees, orphans, cycles, duplicates)", () => {
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 300; round++) {
      const n = 1 + Math.floor(rnd() * 40);
      const cs: Comment[] = [];
      for (let i = 0; i < n; i++) {
        const id = `c${Math.floor(rnd() * n * 1.2)}`; // some duplicate ids
        const r = rnd();
        const parent =
          r < 0.3 ? "t3_p" : r < 0.85 ? `t1_c${Math.floor(rnd() * n * 1.3)}` : r < 0.95 ? `t1_${id}` : "t1_gone";
        cs.push({
          id,
          name: `t1_${id}`,
          parent_id: parent,
          link_id: "t3_p",
          body: "",
          author: null,
          score: Math.floor(rnd() * 4),
          created_utc: Math.floor(rnd() * 3),
          depth: rnd() < 0.5 ? -1 : Math.floor(rnd() * 4),
          distinguished: null,
          stickied: false,
          is_submitter: false,
          edited: false,
        });
      }
      const want = orderComments(cs).map((c) => `${c.id}:${c.depth}`);
      const { order, depth } = orderCommentIndices(cs);
      expect(order.map((i, k) => `${cs[i]!.id}:${depth[k]}`)).toEqual(want);
    }
  });

  it("parses with worker threads exactly as on the main thread (output bytes, counts, skips, warnings)", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "RS.ndjson"), ndjson(posts));
    const rows = Buffer.concat([
      Buffer.from(ndjson(comments)),
      Buffer.from("{not json\n\n   \n[1,2]\n"),
      Buffer.from('{"id":"u1","link_id":"t3_p2","parent_id":"t3_p2","created_utc":1,"body":"caf'),
      Buffer.from([0xe9, 0x22, 0x7d, 0x0d, 0x0a]),
      Buffer.from('{"id":"bad","link_id":"t3_p2","parent_id":"t3_p2","created_utc":"soon","body":"x"}\n'),
      Buffer.from('{"no":"kind"}\n'),
      Buffer.from(
        ndjson(
          Array.from({ length: 20000 }, (_, i) => ({
            id: `z${i}`,
            link_id: `t3_p${1 + (i % 2)}`,
            parent_id: i % 3 === 0 ? `t3_p${1 + (i % 2)}` : `t1_z${i - 1 - (i % 5)}`,
            created_utc: String(5 + (i % 7)),
            score: i % 11,
            body: `comment ${i} \u00e9\u4e16 "quoted" \\ `.repeat(1 + (i % 9)),
          })),
        ),
      ),
      Buffer.from('{"id":"last","link_id":"t3_p1","parent_id":"t3_p1","created_utc":9,"body":"no newline"}'),
    ]);
    writeFileSync(join(dir, "RC.ndjson"), rows);
    const run = (workers: number) =>
      importThreads({
        inputs: [{ path: join(dir, "RS.ndjson") }, { path: join(dir, "RC.ndjson"), format: "ndjson-zst" }],
        outFile: join(dir, `w${workers}.jsonl`),
        dumpWorkers: workers,
      });
    const single = await run(0);
    const multi = await run(2);
    expect(multi).toEqual(single);
    expect(single).toMatchObject({ threads: 2, comments: 20006 });
    expect(single.warnings).toEqual([
      { file: join(dir, "RC.ndjson"), line: 10, reason: "invalid UTF-8 replaced by U+FFFD" },
    ]);
    expect(single.skipped.map((s) => s.line)).toEqual([6, 9, 11, 12, 5]);
    expect(readFileSync(join(dir, "w2.jsonl"), "utf8")).toBe(readFileSync(join(dir, "w0.jsonl"), "utf8"));
    // Every line is JSON.stringify of the thread it holds.
    for (const line of readFileSync(join(dir, "w0.jsonl"), "utf8").split("\n").filter(Boolean))
      expect(JSON.stringify(JSON.parse(line))).toBe(line);
    if (HAS_ZSTD) {
      const rcZ = zstd(join(dir, "RC.ndjson"));
      const full = readFileSync(rcZ);
      const cut = join(dir, "RC_cut.zst");
      writeFileSync(cut, full.subarray(0, Math.floor(full.length * 0.5)));
      const viaWorkers = await importThreads({
        inputs: [{ path: join(dir, "RS.ndjson") }, { path: cut }],
        outFile: join(dir, "cut2.jsonl"),
        zstdDecoder: "cli",
        dumpWorkers: 2,
      });
      const viaMain = await importThreads({
        inputs: [{ path: join(dir, "RS.ndjson") }, { path: cut }],
        outFile: join(dir, "cut0.jsonl"),
        zstdDecoder: "cli",
        dumpWorkers: 0,
      });
      expect(viaWorkers).toEqual(viaMain);
      expect(viaMain.skipped.some((s) => /kept the \d+ lines before it/.test(s.reason))).toBe(true);
      expect(readFileSync(join(dir, "cut2.jsonl"), "utf8")).toBe(readFileSync(join(dir, "cut0.jsonl"), "utf8"));
    }
  });

  it("keeps only the listed subreddits, dropping other records in pass 1 (same with workers), counted apart from skips", async () => {
    const dir = tmp();
    const subs = ["travel", "pics", "JapanTravel", "AskReddit"];
    const rsRows = subs.map((sub, i) => ({ id: `q${i}`, subreddit: sub, title: `post in ${sub}`, created_utc: 1 }));
    const rcRows = Array.from({ length: 4000 }, (_, i) => ({
      id: `k${i}`,
      link_id: `t3_q${i % 4}`,
      parent_id: `t3_q${i % 4}`,
      body: `comment ${i}`,
      created_utc: 10 + i,
      score: i % 5,
      // Dumps name the subreddit on every comment; a few here do not (the join decides for them).
      ...(i % 100 === 7 ? {} : { subreddit: subs[i % 4] }),
    }));
    writeFileSync(join(dir, "RS.ndjson"), ndjson(rsRows));
    writeFileSync(join(dir, "RC.ndjson"), `${ndjson(rcRows)}{broken\n`);
    const run = (workers: number) =>
      importThreads({
        inputs: [
          { path: join(dir, "RS.ndjson"), format: "ndjson-zst" },
          { path: join(dir, "RC.ndjson"), format: "ndjson-zst" },
        ],
        outFile: join(dir, `f${workers}.jsonl`),
        dumpWorkers: workers,
        subreddits: ["TRAVEL", "r/japantravel"],
      });
    const single = await run(0);
    const multi = await run(2);
    expect(multi).toEqual(single);
    expect(readFileSync(join(dir, "f2.jsonl"), "utf8")).toBe(readFileSync(join(dir, "f0.jsonl"), "utf8"));
    const threads = readOut(join(dir, "f0.jsonl"));
    expect(threads.map((t) => t.post.subreddit).sort()).toEqual(["JapanTravel", "travel"]);
    expect(threads.map((t) => t.comments.length)).toEqual([1000, 1000]);
    // 2 posts and 1960 comments with a subreddit field are left out; the 40 comments of a left-out
    // posts without the field are skipped by the join (one example, with the filter named); the
    // broken line is a skip.
    expect(single.filtered).toEqual({ posts: 2, comments: 1960 });
    expect(single.skippedCount).toBe(41);
    expect(single.skipped.map((s) => s.reason).join("\n")).toMatch(/left out by the filter/);
    // Other formats: whole threads are left out.
    const csv = await importThreads({
      inputs: [{ path: join(dir, "f0.jsonl"), format: "threads-jsonl" }],
      outFile: join(dir, "again.jsonl"),
      subreddits: ["travel"],
    });
    expect(csv).toMatchObject({ threads: 1, comments: 1000, filtered: { posts: 1, comments: 1000 } });
  });

  it("reports a .zst file that is not zstd (empty, or plain text) instead of reading it as text", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "RS_empty.zst"), "");
    writeFileSync(join(dir, "RC_plain.zst"), ndjson(comments));
    writeFileSync(join(dir, "RS.ndjson"), ndjson(posts)); // plain NDJSON under its own name is fine
    const report = await importThreads({
      inputs: [
        { path: join(dir, "RS_empty.zst") },
        { path: join(dir, "RC_plain.zst") },
        { path: join(dir, "RS.ndjson"), format: "ndjson-zst" },
      ],
      outFile: join(dir, "out.jsonl"),
    });
    expect(report.threads).toBe(2); // the posts, without comments
    const notZstd = report.skipped.filter((s) => /not a zstd file/.test(s.reason)).map((s) => s.file);
    expect(notZstd).toEqual([join(dir, "RS_empty.zst"), join(dir, "RC_plain.zst")]);
  });
});
