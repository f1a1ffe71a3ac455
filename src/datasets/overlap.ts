/**
 * Leakage guard between training threads and golden questions. The seed study's golden set holds
 * questions rewritten from the very Reddit threads it trained on; training on them and then
 * scoring on their questions measures memorisation. We drop a training thread when its question
 * and a golden question share most of their content words.
 */

const STOPWORDS = new Set(
  "a an and are as at be been but by can could do does for from had has have how i i'm i've if in into is it its just me my of on or our should so that the their there these they this to was we were what when where which who will with would you your any some about than then them also very more most best good".split(
    " ",
  ),
);

/** Lowercased content words (letters/digits, length >= 3, not a stopword). */
export function contentWords(text: string): Set<string> {
  const out = new Set<string>();
  for (const w of text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? []) {
    const t = w.replace(/'s$/, "").replace(/^'+|'+$/g, "");
    if (t.length >= 3 && !STOPWORDS.has(t)) out.add(t);
  }
  return out;
}

/** Share of `a`'s words that are in `b` (0 when `a` is empty). */
export function containment(a: Set<string>, b: Set<string>): number {
  if (a.size === 0) return 0;
  let n = 0;
  for (const w of a) if (b.has(w)) n++;
  return n / a.size;
}

/** Thresholds of {@link overlapsGolden}. */
export interface OverlapOptions {
  /** Share of the thread title's content words found in the golden question (title needs >= 3 words). Default 0.6. */
  titleInGolden: number;
  /** Share of the golden question's content words found in the thread's title + body. Default 0.5. */
  goldenInThread: number;
}

export const DEFAULT_OVERLAP: OverlapOptions = { titleInGolden: 0.6, goldenInThread: 0.5 };

/**
 * Index of the first golden question the thread overlaps with, or -1. Both must hold: most of the
 * title's content words appear in the golden question, and a good share of the golden question's
 * words appear in the thread (title + body) — one direction alone matches unrelated long posts.
 * Measured on the shared WanderChat data (16 threads with comments, 10 of them the source of a
 * golden question, + 2,000 posts of 2013): 6 of the 10 sources caught, 1 unrelated post flagged
 * (test/unit/datasets/overlap.test.ts). A guard, not a guarantee: paraphrased questions slip by. `golden` holds the content
 * words of each golden question (precompute with {@link contentWords}).
 */
export function overlapsGolden(
  title: string,
  body: string,
  golden: readonly Set<string>[],
  o: OverlapOptions = DEFAULT_OVERLAP,
): number {
  const titleWords = contentWords(title);
  const threadWords = contentWords(`${title} ${body}`);
  return golden.findIndex(
    (g) =>
      titleWords.size >= 3 &&
      containment(titleWords, g) >= o.titleInGolden &&
      containment(g, threadWords) >= o.goldenInThread,
  );
}
