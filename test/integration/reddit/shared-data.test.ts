/**
 * Import and corpus on the real shared files (../shared/data, see its README). Skipped with a
 * message when the folder is absent (a fresh clone without the shared data).
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { buildCorpus } from "../../../src/corpus/clean.ts";
import { importThreads, readThreadsJsonl } from "../../../src/reddit/import.ts";
import type { Thread } from "../../../src/reddit/thread.ts";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const DATA = resolve(ROOT, "../shared/data");
const present = existsSync(join(DATA, "reddit-top-2013")) && existsSync(join(DATA, "wanderchat"));
if (!present) console.warn(`[skip] shared data not found at ${DATA}; real-data import tests skipped`);

async function all(file: string): Promise<Thread[]> {
  const out: Thread[] = [];
  for await (const t of readThreadsJsonl(file)) out.push(t);
  return out;
}

describe.skipIf(!present)("import of the shared real data", () => {
  const dir = mkdtempSync(join(tmpdir(), "wf-shared-"));

  it("reads every reddit-top-2013 CSV: 6,999 posts, none skipped, quirks normalised", async () => {
    const out = join(dir, "top.jsonl");
    const report = await importThreads({ inputs: [{ path: join(DATA, "reddit-top-2013") }], outFile: out });
    expect(report).toMatchObject({ files: 7, threads: 6999, comments: 0, skippedCount: 0, warningCount: 0 });
    const threads = await all(out);
    const bySub = new Map<string, Thread[]>();
    for (const t of threads) bySub.set(t.post.subreddit, [...(bySub.get(t.post.subreddit) ?? []), t]);
    expect([...bySub.keys()].sort()).toEqual([
      "backpacking",
      "europe",
      "japan",
      "london",
      "paris",
      "solotravel",
      "travel",
    ]);
    // data/README.md: solotravel 999 posts, 882 with body text; backpacking 1,000 / 520.
    const withBody = (s: string) => bySub.get(s)!.filter((t) => t.post.selftext.trim() !== "").length;
    expect(bySub.get("solotravel")!.length).toBe(999);
    expect(withBody("solotravel")).toBe(882);
    expect(withBody("backpacking")).toBe(520);
    const first = bySub.get("solotravel")![0]!.post;
    expect(first).toMatchObject({
      id: "1c2c4x",
      created_utc: 1365604685,
      score: 122,
      num_comments: 24,
      is_self: false,
      over_18: false,
    });
    expect(first.permalink).toBe("/r/solotravel/comments/1c2c4x/my_jfk_terminal_coffee_boosted_my_confidence/");
    expect(threads.every((t) => t.post.permalink.startsWith("/r/"))).toBe(true);
    expect(threads.some((t) => t.post.selftext.includes("&amp;"))).toBe(true); // raw until corpus
  });

  it("reads the 16 WanderChat threads and splits their concatenated comments", async () => {
    const out = join(dir, "golden.jsonl");
    const report = await importThreads({
      inputs: [{ path: join(DATA, "wanderchat", "golden_reddit_threads.csv") }],
      outFile: out,
    });
    // The file has invalid UTF-8 (Mac Roman bytes) only in the GPT SUMMARY / golden answer columns,
    // which we do not read, so no warning is due.
    expect(report).toMatchObject({ files: 1, threads: 16, skippedCount: 0, warningCount: 0 });
    expect(report.comments).toBe(151);
    const threads = await all(out);
    expect(threads[0]!.post.title).toBe("Best luxury camp meals");
    expect(threads[0]!.comments[0]!.body.startsWith("An answer is somewhat contingent on the weather")).toBe(true);
    expect(threads.every((t) => t.comments.length >= 1)).toBe(true);
    expect(threads.flatMap((t) => t.comments).filter((c) => c.body === "[deleted]").length).toBeGreaterThan(0);
  });

  it("builds a corpus from all of it with counted filters and no split leakage", async () => {
    const raw = join(dir, "all.jsonl");
    await importThreads({
      inputs: [
        { path: join(DATA, "reddit-top-2013") },
        { path: join(DATA, "wanderchat", "golden_reddit_threads.csv") },
      ],
      outFile: raw,
    });
    const card = await buildCorpus({ inFile: raw, outDir: join(dir, "corpus"), options: {} });
    expect(card.input).toEqual({ file: raw, threads: 7015, comments: 151 });
    const f = Object.fromEntries(card.filters.map((x) => [x.id, x.in - x.out]));
    expect(f.nsfw).toBe(14); // over_18 True rows in travel, japan, london, europe
    expect(f["removed-comment"]).toBe(7); // "deleted" pieces of the concatenated comments
    expect(card.output.threads).toBe(
      7015 - Object.values(f).reduce((a, b) => a + b, 0) + (f["removed-comment"] ?? 0) + (f["duplicate-comment"] ?? 0),
    );
    expect(card.leakage.threadsInMoreThanOneSplit).toBe(0);
    const splitThreads = card.splits.train.threads + card.splits.validation.threads + card.splits.test.threads;
    expect(splitThreads).toBe(card.output.threads);
    for (const s of card.subreddits.filter((x) => x.out >= 100)) {
      expect(Math.abs(s.train / s.out - 0.8)).toBeLessThan(0.01);
    }
    const ids = new Set<string>();
    for (const name of ["train", "validation", "test"]) {
      for (const line of readFileSync(join(dir, "corpus", "splits", `${name}.jsonl`), "utf8")
        .split("\n")
        .filter(Boolean)) {
        const id = (JSON.parse(line) as Thread).post.name;
        expect(ids.has(id)).toBe(false);
        ids.add(id);
      }
    }
    const clean = await all(join(dir, "corpus", "threads.jsonl"));
    expect(clean.some((t) => /&amp;|&gt;|\*\*\w[^*\n]*\w\*\*/.test(t.post.selftext))).toBe(false); // entities and same-line bold gone
  });
});
