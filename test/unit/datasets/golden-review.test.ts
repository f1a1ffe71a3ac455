/**
 * Golden drafts review: the teacher reply parser (format breaks counted by reason), `wayfarer golden review`
 * driven by scripted stdin (accept, edit over several lines, reject, skip, quit, resume), a reviewed file as
 * the golden set, malformed draft files (file:line field), and the same review through the server's page API.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { runGoldenReview } from "../../../src/cli/commands/golden.ts";
import type { CliContext } from "../../../src/cli/context.ts";
import {
  type GoldenDraft,
  parseGoldenReply,
  readGoldenDrafts,
  readReviewedGolden,
} from "../../../src/datasets/golden-build.ts";
import { InputError } from "../../../src/errors/input-error.ts";
import { createRatingTasks } from "../../../src/evaluation/human/tasks.ts";
import { WayfarerServer } from "../../../src/server/server.ts";
import { Store } from "../../../src/store/store.ts";
import { ROOT } from "../../helpers/paths.ts";

const draft = (id: string, question: string, answer: string): GoldenDraft => ({
  id,
  question,
  answer,
  reviewed: false,
  status: "draft",
  source: { thread: `t3_${id}`, subreddit: "london", split: "test" },
  teacher: "teacher:fake",
});

function draftsFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "wf-golden-"));
  const f = join(dir, "drafts.jsonl");
  writeFileSync(
    f,
    [
      draft("g1", "Oyster or contactless on the Tube?", "Contactless, same caps."),
      draft("g2", "Best free museum in London?", "The British Museum."),
      draft("g3", "Is the Shard worth it?", "Buy food there instead."),
      draft("g4", "Night buses?", "Yes, many routes run all night."),
    ]
      .map((d) => JSON.stringify(d))
      .join("\n"),
  );
  return f;
}

const cli = (): CliContext & { text: () => string } => {
  let out = "";
  return { cwd: "/", env: {}, out: (t) => (out += t), err: () => {}, interactive: false, text: () => out };
};

describe("teacher replies for golden drafts", () => {
  it("reads JSON inside chatter and fences; counts what breaks the format", () => {
    expect(parseGoldenReply('Sure:\n```json\n{"question": " Q? ", "answer": "A."}\n```')).toEqual({
      question: "Q?",
      answer: "A.",
    });
    expect(parseGoldenReply("no json here")).toBe("reply-not-json");
    expect(parseGoldenReply('{"question": "Q?", "answer": ')).toBe("reply-not-json");
    expect(parseGoldenReply('{"question": "Q?"}')).toBe("reply-missing-field");
    expect(parseGoldenReply('{"question": "Q?", "answer": "  "}')).toBe("reply-missing-field");
    expect(parseGoldenReply(null)).toBe("teacher-error");
  });
});

describe("wayfarer golden review (scripted stdin)", () => {
  it("accepts, edits, rejects, skips and quits; a second session resumes; the reviewed file is a golden set", async () => {
    const file = draftsFile();
    const out = join(file, "..", "drafts.reviewed.jsonl");
    const ctx = cli();
    const script = [
      "a",
      "e",
      "Which free museum in London?",
      "The British Museum.",
      "Also the V&A.",
      ".",
      "x",
      "s",
      "q",
    ];
    const n = await runGoldenReview({ file, reviewer: "ana" }, ctx, Readable.from(script.map((l) => `${l}\n`)));
    expect(n).toBe(2);
    expect(ctx.text()).toContain('"x": type a, e, r, s or q');
    let items = await readGoldenDrafts(out);
    expect(items.map((i) => [i.id, i.status, i.reviewed])).toEqual([
      ["g1", "accepted", true],
      ["g2", "edited", true],
      ["g3", "draft", false],
      ["g4", "draft", false],
    ]);
    expect(items[1]).toMatchObject({
      question: "Which free museum in London?",
      answer: "The British Museum.\nAlso the V&A.",
      draft: { question: "Best free museum in London?", answer: "The British Museum." },
      reviewer: "ana",
    });
    // second session: resumes at g3; end of input is a quit
    const ctx2 = cli();
    expect(await runGoldenReview({ file, reviewer: "ben" }, ctx2, Readable.from(["r\n"]))).toBe(1);
    expect(ctx2.text()).toContain("2 of 4 item(s) to review");
    expect(ctx2.text()).toContain("accepted 1, edited 1, rejected 1, still to review 1");
    items = await readGoldenDrafts(out);
    expect(items[2]).toMatchObject({ status: "rejected", reviewer: "ben" });
    const golden = await readReviewedGolden(out);
    expect(golden.items.map((g) => g.id)).toEqual(["g1", "g2"]);
    expect(golden.skipped.map((s) => [s.line, s.reason])).toEqual([
      [3, "rejected"],
      [4, "not reviewed yet"],
    ]);
    // the drafts file itself is never changed
    expect(readFileSync(file, "utf8")).not.toContain('"reviewed":true');
  });

  it("runs as `wayfarer golden review FILE` with decisions piped on stdin", async () => {
    const file = draftsFile();
    const r = spawnSync("node", [join(ROOT, "bin/wayfarer.js"), "golden", "review", file, "--reviewer", "cli"], {
      input: "r\na\n",
      encoding: "utf8",
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("accepted 1, edited 0, rejected 1, still to review 2");
    const items = await readGoldenDrafts(join(file, "..", "drafts.reviewed.jsonl"));
    expect(items.map((i) => i.status)).toEqual(["rejected", "accepted", "draft", "draft"]);
  });

  it("names file, line and field of a malformed drafts file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wf-golden-bad-"));
    const f = join(dir, "bad.jsonl");
    writeFileSync(f, `${JSON.stringify(draft("g1", "Q?", "A."))}\n{"id": "g2", "question": "Q2?"}\n`);
    await expect(readGoldenDrafts(f)).rejects.toThrow(InputError);
    await expect(readGoldenDrafts(f)).rejects.toThrow(`${f}:2 field "answer": missing or not a string`);
    writeFileSync(f, "{not json\n");
    await expect(readGoldenDrafts(f)).rejects.toThrow(`${f}:1: not valid JSON`);
  });
});

describe("the review page of wayfarer serve --golden", () => {
  it("serves the page and records decisions through the API (CSRF required)", async () => {
    const file = draftsFile();
    using store = Store.open(":memory:");
    const created = createRatingTasks(store, {
      experiment: "e",
      items: [
        { variant: "a", item_id: "q", question: "Q?", answer: "A" },
        { variant: "b", item_id: "q", question: "Q?", answer: "B" },
      ],
      raters: ["ana", "ben"],
      seed: 1,
    });
    const token = created.raters[0]!.link.split("/").at(-1)!;
    await using server = await WayfarerServer.create({ store, port: 0, goldenFile: file });
    const page = await fetch(`${server.url}/r/${token}/golden`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<script src="/static/golden.js" defer></script>');
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(html)![1]!;
    expect((await fetch(`${server.url}/r/nope/golden`)).status).toBe(404);
    const list = (await (await fetch(`${server.url}/api/r/${token}/golden`)).json()) as { counts: { pending: number } };
    expect(list.counts.pending).toBe(4);
    const post = (body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${server.url}/api/r/${token}/golden`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: server.url, "x-csrf-token": csrf, ...headers },
        body: JSON.stringify(body),
      });
    expect((await post({ id: "g1", action: "accept" }, { "x-csrf-token": "forged" })).status).toBe(403);
    const r = await post({ id: "g3", action: "edit", answer: "Skip the Shard; Sky Garden is free." });
    expect(r.status).toBe(200);
    const j = (await r.json()) as { item: GoldenDraft; counts: Record<string, number> };
    expect(j.item).toMatchObject({
      id: "g3",
      status: "edited",
      reviewer: "ana",
      answer: "Skip the Shard; Sky Garden is free.",
    });
    expect(j.counts).toEqual({ pending: 3, accepted: 0, edited: 1, rejected: 0 });
    expect((await post({ id: "g9", action: "accept" })).status).toBe(400);
    const items = await readGoldenDrafts(join(file, "..", "drafts.reviewed.jsonl"));
    expect(items.find((i) => i.id === "g3")!.draft).toEqual({
      question: "Is the Shard worth it?",
      answer: "Buy food there instead.",
    });
  });
});
