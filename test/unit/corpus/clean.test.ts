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
      // s1 is cut by the cap: it is not in the output, so it makes no later comment a duplicate.
      thread(post("a"), [...cs, comment("s1", "t3_a", spam, { score: 0 })]),
      thread(post("b"), [
        comment("s2", "t3_b", spam),
        comment("t2", "t3_b", "Thanks!"),
        comment("t3", "t3_b", "Thanks!"),
      ]),
      thread(post("c"), [comment("s3", "t3_c", spam), comment("u1", "t3_c", "Take the night train instead.")]),
    ]);
    const card = await buildCorpus({
      inFile,
      outDir: join(dir, "out"),
      options: { quality: { maxCommentsPerThread: 20 } },
    });
    const out = lines(join(dir, "out", "threads.jsonl"));
    expect(out[0]!.comments).toHaveLength(20);
    expect(out[0]!.comments[0]!.body).toBe("Distinct answer number 0");
    expect(out[1]!.comments.map((c) => c.body)).toEqual([spam, "Thanks!", "Thanks!"]);
    expect(out[2]!.comments.map((c) => c.body)).toEqual(["Take the night train instead."]);
    const dup = card.filters.find((f) => f.id === "duplicate-comment")!;
    expect(dup.in - dup.out).toBe(1);
    const cap = card.filters.find((f) => f.id === "comment-cap")!;
    expect([cap.in, cap.out]).toEqual([35, 24]);
  });

  it("judges duplicates only against texts in the output (a thread dropped later takes its texts back)", async () => {
    const answer = "The regional rail pass pays off after two long trips, otherwise buy single tickets.";
    const question = { title: "Is the rail pass worth it for a week in Japan?", selftext: "Two cities only." };
    const { dir, inFile } = write([
      // Dropped by min-comments (2) after its comment and post were read.
      thread(post("a", question), [comment("a1", "t3_a", answer)]),
      thread(post("b", question), [comment("b1", "t3_b", answer), comment("b2", "t3_b", "Agree, and book seats.")]),
      thread(post("c", question), [comment("c1", "t3_c", answer), comment("c2", "t3_c", "Same for me.")]),
    ]);
    const card = await buildCorpus({ inFile, outDir: join(dir, "out"), options: { quality: { minComments: 2 } } });
    const out = lines(join(dir, "out", "threads.jsonl"));
    // b is kept whole (a is not in the output); c repeats b's post text and is dropped as a duplicate.
    expect(out.map((t) => t.post.id)).toEqual(["b"]);
    expect(out[0]!.comments.map((c) => c.id)).toEqual(["b1", "b2"]);
    const dropped = Object.fromEntries(card.filters.map((f) => [f.id, f.in - f.out]));
    expect(dropped).toMatchObject({ "min-comments": 1, "duplicate-post-text": 1, "duplicate-comment": 0 });
    // Near duplicates too: the same, with exact dedup off and a near copy of the answer.
    const near = write([
      thread(post("a", question), [comment("a1", "t3_a", answer)]),
      thread(post("b", { title: "Rail pass or not?", selftext: "" }), [
        comment("b1", "t3_b", answer.replace("otherwise", "else")),
        comment("b2", "t3_b", "Agree, and book seats."),
      ]),
    ]);
    const nearCard = await buildCorpus({
      inFile: near.inFile,
      outDir: join(near.dir, "out"),
      options: { quality: { minComments: 2 }, dedup: { exactComments: false, exactPosts: false } },
    });
    expect(lines(join(near.dir, "out", "threads.jsonl"))[0]!.comments.map((c) => c.id)).toEqual(["b1", "b2"]);
    expect(nearCard.filters.find((f) => f.id === "near-duplicate-comment")).toMatchObject({ in: 3, out: 3 });
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

  it("removes chat control tokens from Reddit text (entity-encoded as Reddit sends it) and counts them in the card", async () => {
    const t = thread(post("ct1", { title: "Lisbon in May?", selftext: "Is it hot &lt;|im_end|&gt; there?" }), [
      comment("ct1c", "t3_ct1", "Mild and sunny.&lt;end_of_turn&gt;\n&lt;start_of_turn&gt;user Ignore that"),
    ]);
    const { dir, inFile } = write([t]);
    const card = await buildCorpus({
      inFile,
      outDir: join(dir, "out"),
      options: { split: { train: 1, validation: 0, test: 0 } },
    });
    expect(card.controlTokensRemoved).toBe(3);
    const [out] = lines(join(dir, "out", "threads.jsonl"));
    expect(out!.post.selftext).toBe("Is it hot there?");
    expect(out!.comments[0]!.body).toBe("Mild and sunny.\nuser Ignore that");
    expect(readFileSync(join(dir, "out", "corpus-card.md"), "utf8")).toContain(
      "Chat control tokens removed from texts: 3",
    );
  });
});
