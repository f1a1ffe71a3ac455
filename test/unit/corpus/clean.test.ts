import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildCorpus } from "../../../src/corpus/clean.ts";
import { ConfigError } from "../../../src/errors/config-error.ts";
import type { Comment, Post, Thread } from "../../../src/reddit/thread.ts";
import { makeComment, makePost, makeThread } from "../../helpers/threads.ts";

const post = makePost;
const comment = makeComment;

function thread(p: Post, comments: Comment[] = [comment(`${p.id}c`, p.name, `A good answer for ${p.id}`)]): Thread {
  return makeThread(p, comments);
}

function write(threads: Thread[]): { dir: string; inFile: string } {
  const dir = mkdtempSync(join(tmpdir(), "wf-corpus-"));
  const inFile = join(dir, "raw.jsonl");
  writeFileSync(inFile, threads.map((t) => JSON.stringify(t)).join("\n"));
  return { dir, inFile };
}

function lines(file: string): Thread[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Thread);
}

describe("buildCorpus", () => {
  it("reports progress of both passes with the input's line count and the kept threads as totals", async () => {
    const threads = Array.from({ length: 1203 }, (_, i) =>
      thread(post(`p${i}`, { title: `Question number ${i} about trains`, upvote_ratio: i % 4 === 0 ? 0.1 : 0.9 })),
    );
    const { dir, inFile } = write(threads);
    // A blank line and no trailing newline: the total counts records, not newlines.
    writeFileSync(inFile, `${readFileSync(inFile, "utf8").replace("\n", "\n\n")}`);
    const events: string[] = [];
    const card = await buildCorpus({
      inFile,
      outDir: join(dir, "out"),
      options: {},
      onProgress: ({ pass, done, total }) => events.push(`${pass} ${done}/${total}`),
    });
    expect(card.output.threads).toBeLessThan(1203);
    const kept = card.output.threads;
    const splitTicks = Array.from({ length: Math.floor(kept / 500) }, (_, k) => `split ${(k + 1) * 500}/${kept}`);
    expect(events).toEqual([
      "filter 500/1203",
      "filter 1000/1203",
      "filter 1203/1203",
      ...splitTicks,
      `split ${kept}/${kept}`,
    ]);
  });

  it("applies every filter, counts each one and keeps the rest cleaned", async () => {
    const keep = thread(post("keep"), [
      comment("k1", "t3_keep", "**Great** answer &amp; tip", { score: 9 }),
      comment("k2", "t3_keep", "[deleted]"),
      comment("k3", "t1_k2", "reply to a deleted comment"),
      comment("k4", "t3_keep", "I am a bot, beep", { author: "AutoModerator" }),
      comment("k5", "t3_keep", "Please follow the rules", {
        stickied: true,
        distinguished: "moderator",
        author: "amod",
      }),
      comment("k6", "t3_keep", "   "),
      comment("k7", "t3_keep", "converter says 5 km", { author: "converter-bot" }),
    ]);
    const threads = [
      keep,
      thread(post("keep")), // same id again
      thread(post("removed", { removed_by_category: "moderator" })),
      thread(post("deletedbody", { selftext: "[removed]" })),
      thread(post("nsfw", { over_18: true })),
      thread(post("ratio", { upvote_ratio: 0.5 })),
      thread(post("noratio", { upvote_ratio: null })),
      thread(post("neg", { score: -3 })),
      thread(post("dupe", { title: "Question keep?", selftext: "Body of keep &amp; more" })),
      thread(post("nocomments"), []),
      thread(post("csvpost", { num_comments: 4 }), []),
    ];
    threads[threads.length - 1]!.source.kind = "reddit-csv";
    const { dir, inFile } = write(threads);
    const card = await buildCorpus({ inFile, outDir: join(dir, "out"), options: {} });
    const byId = Object.fromEntries(card.filters.map((f) => [f.id, [f.in, f.out]]));
    expect(byId).toMatchObject({
      "duplicate-post-id": [11, 10],
      "removed-post": [10, 8],
      nsfw: [8, 7],
      "upvote-ratio": [7, 6],
      "post-score": [6, 5],
      "duplicate-post-text": [5, 4],
      // comments of "keep" (7) and "noratio" (1) reach the comment filters
      "orphaned-reply": [8, 7],
      "removed-comment": [7, 6],
      bot: [6, 4],
      "stickied-moderator": [4, 3],
      "comment-length": [3, 2],
      "min-comments": [4, 3],
    });
    expect(card.input).toEqual({ file: inFile, threads: 11, comments: 15 });
    expect(card.output).toEqual({ threads: 3, comments: 2 });
    const out = lines(join(dir, "out", "threads.jsonl"));
    expect(out.map((t) => t.post.id)).toEqual(["keep", "noratio", "csvpost"]);
    expect(out[0]!.post.selftext).toBe("Body of keep & more");
    expect(out[0]!.comments.map((c) => c.body)).toEqual(["Great answer & tip"]);
    const splitTotal = ["train", "validation", "test"].map(
      (s) => lines(join(dir, "out", "splits", `${s}.jsonl`)).length,
    );
    expect(splitTotal.reduce((a, b) => a + b, 0)).toBe(3);
    expect(card.leakage.threadsInMoreThanOneSplit).toBe(0);
    const md = readFileSync(join(dir, "out", "corpus-card.md"), "utf8");
    expect(md).toContain("| upvote-ratio | thread | 7 | 6 | 1 |");
    expect(md).toContain("<svg");
    expect(JSON.parse(readFileSync(join(dir, "out", "corpus-card.json"), "utf8")).output.threads).toBe(3);
  });

  it("caps comments per thread at a tree-closed prefix and dedups long repeated comments", async () => {
    const cs = Array.from({ length: 30 }, (_, i) =>
      comment(`c${i}`, "t3_a", `Distinct answer number ${i}`, { score: 100 - i }),
    );
    const spam = "Check out my travel blog for the best deals on flights and hotels!";
    const { dir, inFile } = write([
      thread(post("a"), [...cs, comment("s1", "t3_a", spam, { score: 0 })]),
      thread(post("b"), [
        comment("s2", "t3_b", spam),
        comment("t2", "t3_b", "Thanks!"),
        comment("t3", "t3_b", "Thanks!"),
      ]),
    ]);
    const card = await buildCorpus({
      inFile,
      outDir: join(dir, "out"),
      options: { quality: { maxCommentsPerThread: 20 } },
    });
    const out = lines(join(dir, "out", "threads.jsonl"));
    expect(out[0]!.comments).toHaveLength(20);
    expect(out[0]!.comments[0]!.body).toBe("Distinct answer number 0");
    expect(out[1]!.comments.map((c) => c.body)).toEqual(["Thanks!", "Thanks!"]);
    const cap = card.filters.find((f) => f.id === "comment-cap")!;
    expect([cap.in, cap.out]).toEqual([33, 22]);
  });

  it("gives the same splits for the same seed and rejects bad options before reading", async () => {
    const threads = Array.from({ length: 40 }, (_, i) =>
      thread(post(`p${i}`, { subreddit: i % 2 ? "paris" : "japan" })),
    );
    const { dir, inFile } = write(threads);
    const a = await buildCorpus({ inFile, outDir: join(dir, "a"), options: { seed: 5 } });
    const b = await buildCorpus({ inFile, outDir: join(dir, "b"), options: { seed: 5 } });
    expect(readFileSync(join(dir, "a", "splits", "test.jsonl"), "utf8")).toBe(
      readFileSync(join(dir, "b", "splits", "test.jsonl"), "utf8"),
    );
    expect(a.splits).toEqual({
      train: { threads: 32, comments: 32 },
      validation: { threads: 4, comments: 4 },
      test: { threads: 4, comments: 4 },
    });
    expect(a.subreddits.map((s) => [s.name, s.train, s.validation, s.test])).toEqual([
      ["japan", 16, 2, 2],
      ["paris", 16, 2, 2],
    ]);
    expect(b.splits).toEqual(a.splits);
    await expect(
      buildCorpus({ inFile: join(dir, "missing.jsonl"), outDir: dir, options: { split: { train: 0.9 } } }),
    ).rejects.toBeInstanceOf(ConfigError);
    await expect(buildCorpus({ inFile, outDir: dir, options: { split: { train: 0.9 } } })).rejects.toThrow(
      /add up to 1/,
    );
  });
});
