import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildCorpus } from "../../../src/corpus/clean.ts";
import { LanguageFilter } from "../../../src/corpus/language.ts";
import { jaccard, NearDuplicateIndex } from "../../../src/corpus/near-dup.ts";
import { importThreads, readThreadsJsonl } from "../../../src/reddit/import.ts";
import type { Thread } from "../../../src/reddit/thread.ts";
import { HAS_SHARED_DATA, SHARED_DATA } from "../../helpers/paths.ts";
import { makeComment, makePost } from "../../helpers/threads.ts";

if (!HAS_SHARED_DATA) console.warn(`skipping near-dup/language tests on real text: ${SHARED_DATA} is absent`);

/** Real comment texts (RAFT documents are real Reddit comments), 40+ words, distinct. */
function realComments(): string[] {
  const lines = readFileSync(join(SHARED_DATA, "wanderchat", "raft_reddit_openai_cot.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean);
  const seen = new Set<string>();
  for (const l of lines) {
    const r = JSON.parse(l) as { context: { sentences: string[][] } };
    for (const s of r.context.sentences.flat()) if (s.split(/\s+/).length >= 40) seen.add(s);
  }
  return [...seen];
}

const OPTS = { shingleWords: 5, minWords: 10, permutations: 64, bands: 16, threshold: 0.7 };

/**
 * The definition, by brute force: a text is a near duplicate when, among the kept texts sharing at
 * least one whole LSH band of its signature, the best share of equal signature slots is >= threshold.
 */
function referenceDecisions(
  texts: string[],
  opts: typeof OPTS,
  keep: (i: number) => boolean,
): { duplicate: boolean; similarity?: number }[] {
  const sigOf = new NearDuplicateIndex(opts);
  const rows = opts.permutations / opts.bands;
  const kept: Uint32Array[] = [];
  return texts.map((t, i) => {
    if ((t.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).length < opts.minWords) return { duplicate: false };
    const sig = sigOf.signature(t);
    let best = 0;
    for (const other of kept) {
      let bandMatch = false;
      for (let b = 0; b < opts.bands && !bandMatch; b++) {
        bandMatch = true;
        for (let r = b * rows; r < (b + 1) * rows; r++) if (sig[r] !== other[r]) bandMatch = false;
      }
      if (!bandMatch) continue;
      let same = 0;
      for (let k = 0; k < sig.length; k++) if (sig[k] === other[k]) same++;
      best = Math.max(best, same / sig.length);
    }
    if (best >= opts.threshold) return { duplicate: true, similarity: best };
    if (keep(i)) kept.push(sig);
    return { duplicate: false };
  });
}

describe("near duplicates (MinHash + LSH): the index against the definition", () => {
  it("keeps the signatures of earlier versions (same hash family and seeds: corpus decisions are reproducible)", () => {
    const idx = new NearDuplicateIndex(OPTS);
    const sig = idx.signature("one two three four five six seven eight nine ten eleven twelve thirteen");
    // Values computed by the first version (string band keys in Maps), before the typed-array index.
    expect(Array.from(sig.subarray(0, 5))).toEqual([16020607, 639205728, 547285397, 866329034, 447518132]);
  });

  it("gives the brute-force decisions and similarities on 2,500 texts, half of them edited copies", () => {
    let seed = 3;
    const rnd = () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed / 2 ** 32;
    };
    const vocab = "hostel train visa beach night market ferry temple museum budget street food pass week city river"
      .split(" ")
      .concat(Array.from({ length: 400 }, (_, i) => `w${i}`));
    const originals = Array.from({ length: 700 }, () =>
      Array.from({ length: 20 + Math.floor(rnd() * 40) }, () => vocab[Math.floor(rnd() * vocab.length)]).join(" "),
    );
    const texts: string[] = [];
    for (let i = 0; i < 2500; i++) {
      const w = originals[Math.floor(rnd() * originals.length)]!.split(" ");
      for (let e = Math.floor(rnd() * 3); e > 0; e--) w[Math.floor(rnd() * w.length)] = "edited";
      texts.push(w.join(" "));
    }
    for (const opts of [OPTS, { shingleWords: 3, minWords: 5, permutations: 32, bands: 8, threshold: 0.5 }]) {
      const keep = (i: number) => i % 9 !== 0;
      const idx = new NearDuplicateIndex(opts);
      const got = texts.map((t, i) => idx.check(t, keep(i)));
      const want = referenceDecisions(texts, opts, keep);
      expect(got).toEqual(want);
      const dups = want.filter((d) => d.duplicate).length;
      expect(dups).toBeGreaterThan(500);
      const words = (t: string) => (t.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).length;
      const indexed = want.filter((d, i) => !d.duplicate && keep(i) && words(texts[i]!) >= opts.minWords).length;
      expect(idx.size).toBe(indexed);
      expect(indexed).toBeGreaterThan(600); // more than the band tables' first size (512 keys)
    }
    // Rollback: texts indexed after a mark (the band tables grow meanwhile) are forgotten, as if
    // never added; indexing goes on normally afterwards.
    const rolled = new NearDuplicateIndex(OPTS);
    const fresh = new NearDuplicateIndex(OPTS);
    for (const t of texts.slice(0, 800)) {
      rolled.check(t);
      fresh.check(t);
    }
    const mark = rolled.mark();
    for (const t of texts.slice(800, 2000)) rolled.check(t);
    expect(rolled.size).toBeGreaterThan(mark + 300);
    rolled.rollback(mark);
    expect(rolled.size).toBe(fresh.size);
    for (const t of texts.slice(2000)) expect(rolled.check(t)).toEqual(fresh.check(t));
    expect(rolled.size).toBe(fresh.size);
  });
});

describe.skipIf(!HAS_SHARED_DATA)("near duplicates (MinHash + LSH) on real comments", () => {
  it("finds lightly edited copies, keeps distinct comments, and estimates Jaccard closely", () => {
    const texts = realComments().slice(0, 300);
    expect(texts.length).toBe(300);
    const idx = new NearDuplicateIndex(OPTS);
    let falseDupes = 0;
    for (const t of texts) if (idx.check(t).duplicate) falseDupes++;
    // Distinct real comments: at most a handful share most of their text (quotes); measure exactly.
    const realPairs = falseDupes;
    expect(realPairs).toBeLessThanOrEqual(3);
    // Edited copies: one word in 20 replaced -> exact Jaccard about 0.6-0.8; copies with 1 word changed -> > 0.85.
    let found = 0;
    let errSum = 0;
    for (const t of texts.slice(0, 100)) {
      const w = t.split(/\s+/);
      w[Math.floor(w.length / 2)] = "CHANGED";
      const copy = w.join(" ");
      const j = jaccard(t, copy, 5);
      const est = (() => {
        const a = idx.signature(t);
        const b = idx.signature(copy);
        let same = 0;
        for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
        return same / a.length;
      })();
      errSum += Math.abs(est - j);
      if (idx.check(copy, false).duplicate) found++;
    }
    expect(found).toBeGreaterThanOrEqual(97);
    expect(errSum / 100).toBeLessThan(0.06);
    // A real comment against a different real comment: far below the threshold.
    expect(jaccard(texts[0]!, texts[1]!, 5)).toBeLessThan(0.1);
  });
});

describe.skipIf(!HAS_SHARED_DATA)("language filter (eld) on real posts", () => {
  it("keeps English travel posts and drops French r/paris posts", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wf-lang-"));
    const raw = join(dir, "raw.jsonl");
    await importThreads({
      inputs: [
        { path: join(SHARED_DATA, "reddit-top-2013", "solotravel.csv") },
        { path: join(SHARED_DATA, "reddit-top-2013", "paris.csv") },
      ],
      outFile: raw,
    });
    const f = new LanguageFilter({ keep: ["en"], minChars: 60 });
    const dropped: Record<string, string[]> = {};
    for await (const t of readThreadsJsonl(raw)) {
      const text = t.post.selftext ? `${t.post.title}\n${t.post.selftext}` : t.post.title;
      const v = f.judge(text);
      if (!v.keep) dropped[t.post.subreddit] = [...(dropped[t.post.subreddit] ?? []), text];
    }
    expect(dropped.solotravel ?? []).toEqual([]);
    const paris = dropped.paris ?? [];
    expect(paris.length).toBeGreaterThanOrEqual(10);
    // French function words (Unicode-aware word boundaries): a dropped post must hold at least two.
    const french =
      /(?<!\p{L})(le|la|les|des|du|un|une|est|et|pour|dans|sur|à|en|mon|qu'\p{L}+|l'\p{L}+|d'\p{L}+)(?!\p{L})/giu;
    const looksFrench = paris.filter((t) => (t.match(french)?.length ?? 0) >= 2).length;
    expect(looksFrench / paris.length).toBeGreaterThanOrEqual(0.9);
    expect(f.judge("Thanks!")).toEqual({ language: null, keep: true });
  });
});

describe.skipIf(!HAS_SHARED_DATA)("corpus card counts for near duplicates and language", () => {
  it("drops a reposted question and a near-copied answer, and shows switched-off filters as off", async () => {
    const texts = realComments();
    const post = (id: string, selftext: string, comments: string[]): Thread => ({
      post: makePost(id, {
        title: `Trip question ${id}`,
        selftext,
        author: "a",
        score: 5,
        upvote_ratio: 0.9,
        num_comments: comments.length,
        permalink: `/r/travel/comments/${id}/`,
      }),
      comments: comments.map((body, i) =>
        makeComment(`${id}c${i}`, `t3_${id}`, body, { link_id: `t3_${id}`, author: "b" }),
      ),
      source: { kind: "reddit-json", file: "fixture" },
    });
    const edited = (t: string) => `${t} Edit: thanks everyone!`;
    const threads = [
      post("a", texts[0]!, [texts[2]!, texts[3]!]),
      post("b", edited(texts[0]!), [texts[4]!]), // repost of a with an edit line -> near-duplicate-post
      post("c", texts[1]!, [edited(texts[2]!), texts[5]!]), // first comment near-copies a's -> near-duplicate-comment
      post(
        "d",
        "Bonjour à tous, je cherche un petit hôtel pas cher dans le quartier du Marais pour une semaine en mai, des conseils ?",
        [texts[6]!],
      ),
    ];
    const dir = mkdtempSync(join(tmpdir(), "wf-near-"));
    const inFile = join(dir, "raw.jsonl");
    writeFileSync(inFile, threads.map((t) => JSON.stringify(t)).join("\n"));
    const card = await buildCorpus({
      inFile,
      outDir: join(dir, "out"),
      options: { quality: { minUpvoteRatio: null } },
    });
    const by = Object.fromEntries(card.filters.map((f) => [f.id, f]));
    expect(by["post-language"]).toMatchObject({ enabled: true, in: 4, out: 3 });
    expect(by["near-duplicate-post"]).toMatchObject({ enabled: true, in: 3, out: 2 });
    expect(by["near-duplicate-comment"]).toMatchObject({ enabled: true, in: 4, out: 3 });
    expect(by["comment-language"]).toMatchObject({ enabled: false, in: 0, out: 0 });
    expect(by["upvote-ratio"]!.enabled).toBe(false);
    expect(card.language?.droppedByLanguage).toEqual({ fr: 1 });
    expect(card.output).toEqual({ threads: 2, comments: 3 });
    const md = readFileSync(join(dir, "out", "corpus-card.md"), "utf8");
    expect(md).toContain("| comment-language | comment | off | off | - |");
    expect(md).toContain("| near-duplicate-post | thread | 3 | 2 | 1 |");
    expect(md).toContain("Language filter: eld@2.1.0");
  });
});
