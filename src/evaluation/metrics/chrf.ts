/**
 * chrF (Popović 2015) / chrF++ with exact parity to sacrebleu 2.5.1 `CHRF`
 * (`sacrebleu/metrics/chrf.py`): character n-grams of orders 1..charOrder (default 6) over the
 * text with all whitespace removed (Python whitespace, code points), optional word n-grams
 * (default 0 = chrF), beta 2, precision/recall averaged over the *effective* orders (orders where
 * both hypothesis and reference have n-grams; sacrebleu's default `eps_smoothing=False`), then
 * F-beta, scale 0-100. With several references the one with the best segment F wins.
 * Corpus chrF sums the segment statistics before computing F.
 *
 * Empty hypothesis or reference: no effective order -> 0 (as sacrebleu).
 */
import { type EvaluationInput, type EvaluationResult, type EvaluatorDescriptor, ZERO_COST } from "../types.ts";
import { SACREBLEU_VERSION } from "./bleu.ts";
import { Counters, NgramTable } from "./support/ngram-table.ts";
import { hasSurrogates, pyRemoveWhitespace, pySplit } from "./support/python-text.ts";

export interface ChrfOptions {
  /** Character n-gram order, integer >= 1. Default 6. */
  charOrder?: number;
  /** Word n-gram order, integer >= 0; 2 gives chrF++. Default 0. */
  wordOrder?: number;
  /** Recall weight beta > 0. Default 2. */
  beta?: number;
  /** Lowercase before extracting n-grams (signature `case:lc`). Default false. */
  lowercase?: boolean;
  /** Keep whitespace inside character n-grams (signature `space:yes`). Default false. */
  whitespace?: boolean;
  /** sacrebleu `eps_smoothing` (chrF++.py/NLTK/Moses behaviour): average F over all orders. Default false. */
  epsSmoothing?: boolean;
}

export interface ChrfScore {
  /** 0-100. */
  score: number;
  /** Flat `[hyp, ref, match]` triple per order (char orders first, then word orders). */
  stats: number[];
  signature: string;
}

interface Resolved {
  charOrder: number;
  wordOrder: number;
  beta: number;
  lowercase: boolean;
  whitespace: boolean;
  epsSmoothing: boolean;
}

function resolve(o: ChrfOptions): Resolved {
  const r: Resolved = {
    charOrder: o.charOrder ?? 6,
    wordOrder: o.wordOrder ?? 0,
    beta: o.beta ?? 2,
    lowercase: o.lowercase ?? false,
    whitespace: o.whitespace ?? false,
    epsSmoothing: o.epsSmoothing ?? false,
  };
  if (!Number.isInteger(r.charOrder) || r.charOrder < 1)
    throw new RangeError(`chrF: charOrder must be an integer >= 1, got ${r.charOrder}`);
  if (!Number.isInteger(r.wordOrder) || r.wordOrder < 0)
    throw new RangeError(`chrF: wordOrder must be an integer >= 0, got ${r.wordOrder}`);
  if (!(r.beta > 0)) throw new RangeError(`chrF: beta must be > 0, got ${r.beta}`);
  return r;
}

const PUNCTS = new Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~");

function removePunctuation(sent: string): string[] {
  const out: string[] = [];
  for (const w of pySplit(sent)) {
    const chars = Array.from(w);
    if (chars.length === 1) out.push(w);
    else if (PUNCTS.has(chars[chars.length - 1]!)) out.push(chars.slice(0, -1).join(""), chars[chars.length - 1]!);
    else if (PUNCTS.has(chars[0]!)) out.push(chars[0]!, chars.slice(1).join(""));
    else out.push(w);
  }
  return out;
}

function countNgrams(units: readonly string[] | string, n: number, joiner: string): Map<string, number> {
  const m = new Map<string, number>();
  const len = units.length;
  for (let i = 0; i + n <= len; i++) {
    const key = typeof units === "string" ? units.slice(i, i + n) : units.slice(i, i + n).join(joiner);
    m.set(key, (m.get(key) ?? 0) + 1);
  }
  return m;
}

function extractWordNgrams(sent: string, r: Resolved): Map<string, number>[] {
  const out: Map<string, number>[] = [];
  if (r.wordOrder > 0) {
    const words = removePunctuation(r.lowercase ? sent.toLowerCase() : sent);
    for (let n = 1; n <= r.wordOrder; n++) out.push(countNgrams(words, n, " "));
  }
  return out;
}

/** The characters chrF's character n-grams run over, as code points (Python indexes code points). */
function charUnits(sent: string, r: Resolved): Int32Array {
  const s = r.lowercase ? sent.toLowerCase() : sent;
  const line = r.whitespace ? s : pyRemoveWhitespace(s);
  const n = line.length;
  const out = new Int32Array(n);
  if (!hasSurrogates(line)) {
    for (let i = 0; i < n; i++) out[i] = line.charCodeAt(i);
    return out;
  }
  let k = 0;
  for (let i = 0; i < n; i++) {
    const c = line.codePointAt(i)!;
    out[k++] = c;
    if (c > 0xffff) i++;
  }
  return out.subarray(0, k);
}

const charTable = new NgramTable();
const hypCharCounts = new Counters();
const usedCharCounts = new Counters();

interface HypChars {
  units: Int32Array;
  /** Number of distinct hypothesis n-gram ids (ids are 1..size-1). */
  size: number;
}

/**
 * Interns every character n-gram (orders 1..charOrder) of the hypothesis into `charTable` and
 * counts them in `hypCharCounts` (ids are exact: an n-gram's id is interned from its prefix's id
 * and its last code point, see `NgramTable`).
 */
function internHypChars(units: Int32Array, charOrder: number): HypChars {
  charTable.reset();
  const n = units.length;
  // Upper bound on ids: one per (position, order).
  const counts = hypCharCounts.reset(n * charOrder + 1);
  for (let i = 0; i < n; i++) {
    let prev = 0;
    for (let k = 0; k < charOrder && i + k < n; k++) {
      prev = charTable.intern(prev, units[i + k]!);
      counts[prev]!++;
    }
  }
  return { units, size: charTable.next };
}

/** `[hyp, ref, match]` per character order for one reference, as sacrebleu's `_get_match_statistics`. */
function charMatchStats(hyp: HypChars, refUnits: Int32Array, charOrder: number, out: number[]): void {
  const hypCounts = hypCharCounts.data;
  const used = usedCharCounts.reset(hyp.size);
  const match = new Array<number>(charOrder).fill(0);
  const n = refUnits.length;
  for (let i = 0; i < n; i++) {
    let prev = 0;
    for (let k = 0; k < charOrder && i + k < n; k++) {
      prev = charTable.get(prev, refUnits[i + k]!);
      // Absent from the hypothesis: so is every longer n-gram starting here.
      if (prev === 0) break;
      if (used[prev]! < hypCounts[prev]!) {
        used[prev]!++;
        match[k]!++;
      }
    }
  }
  const hn = hyp.units.length;
  for (let k = 0; k < charOrder; k++) {
    const hypCount = Math.max(0, hn - k);
    const refCount = Math.max(0, n - k);
    // sacrebleu: the hypothesis count is reported as 0 when the reference has no n-gram of this order.
    out.push(refCount > 0 ? hypCount : 0, refCount, match[k]!);
  }
}

function matchStats(hyp: Map<string, number>, ref: Map<string, number>): [number, number, number] {
  let match = 0;
  let hypCount = 0;
  for (const [ng, c] of hyp) {
    hypCount += c;
    const rc = ref.get(ng);
    if (rc !== undefined) match += Math.min(c, rc);
  }
  let refCount = 0;
  for (const c of ref.values()) refCount += c;
  return [ref.size > 0 ? hypCount : 0, refCount, match];
}

/** sacrebleu `CHRF._compute_f_score` (straight port). */
function fScore(stats: readonly number[], r: Resolved): number {
  const eps = 1e-16;
  const order = r.charOrder + r.wordOrder;
  const factor = r.beta ** 2;
  let score = 0.0;
  let effectiveOrder = 0;
  let avgPrec = 0.0;
  let avgRec = 0.0;
  for (let i = 0; i < order; i++) {
    const nHyp = stats[3 * i]!;
    const nRef = stats[3 * i + 1]!;
    const nMatch = stats[3 * i + 2]!;
    const prec = nHyp > 0 ? nMatch / nHyp : eps;
    const rec = nRef > 0 ? nMatch / nRef : eps;
    const denom = factor * prec + rec;
    score += denom > 0 ? ((1 + factor) * prec * rec) / denom : eps;
    if (nHyp > 0 && nRef > 0) {
      avgPrec += prec;
      avgRec += rec;
      effectiveOrder += 1;
    }
  }
  if (r.epsSmoothing) return (100 * score) / order;
  if (effectiveOrder === 0) {
    avgPrec = 0.0;
    avgRec = 0.0;
  } else {
    avgPrec /= effectiveOrder;
    avgRec /= effectiveOrder;
  }
  if (avgPrec + avgRec) {
    let s = (1 + factor) * avgPrec * avgRec;
    s /= factor * avgPrec + avgRec;
    return 100 * s;
  }
  return 0.0;
}

function segmentStats(hypothesis: string, references: readonly string[], r: Resolved): number[] {
  const hyp = internHypChars(charUnits(hypothesis, r), r.charOrder);
  const hypWords = extractWordNgrams(hypothesis, r);
  let best: number[] = [];
  let bestF = -1.0;
  for (const ref of references) {
    const stats: number[] = [];
    charMatchStats(hyp, charUnits(ref, r), r.charOrder, stats);
    const refWords = extractWordNgrams(ref, r);
    for (let i = 0; i < hypWords.length; i++) stats.push(...matchStats(hypWords[i]!, refWords[i]!));
    const f = fScore(stats, r);
    if (f > bestF) {
      bestF = f;
      best = stats;
    }
  }
  return best;
}

function signature(nrefs: number | "var", r: Resolved): string {
  return `nrefs:${nrefs}|case:${r.lowercase ? "lc" : "mixed"}|eff:${r.epsSmoothing ? "no" : "yes"}|nc:${r.charOrder}|nw:${r.wordOrder}|space:${r.whitespace ? "yes" : "no"}|version:${SACREBLEU_VERSION}`;
}

/**
 * Sentence chrF, `sacrebleu.sentence_chrf(hypothesis, references)`.
 * @throws RangeError on an empty reference list or invalid options.
 */
export function sentenceChrf(hypothesis: string, references: readonly string[], options: ChrfOptions = {}): ChrfScore {
  const r = resolve(options);
  if (references.length === 0) throw new RangeError("sentenceChrf: at least one reference is required");
  const stats = segmentStats(hypothesis, references, r);
  return { score: fScore(stats, r), stats, signature: signature(references.length, r) };
}

/**
 * Corpus chrF, `sacrebleu.corpus_chrf`: statistics summed over segments, then F.
 * @param references per hypothesis, its references (segment-major).
 * @throws RangeError when lengths differ, the corpus is empty or a segment has no reference.
 */
export function corpusChrf(
  hypotheses: readonly string[],
  references: readonly (readonly string[])[],
  options: ChrfOptions = {},
): ChrfScore {
  const r = resolve(options);
  if (hypotheses.length !== references.length || hypotheses.length === 0) {
    throw new RangeError(
      `corpusChrf: need one reference list per hypothesis (got ${hypotheses.length} and ${references.length})`,
    );
  }
  const order = r.charOrder + r.wordOrder;
  const sum = new Array<number>(3 * order).fill(0);
  const nrefs = new Set<number>();
  hypotheses.forEach((h, i) => {
    const refs = references[i]!;
    if (refs.length === 0) throw new RangeError(`corpusChrf: segment ${i} has no reference`);
    nrefs.add(refs.length);
    const s = segmentStats(h, refs, r);
    for (let k = 0; k < sum.length; k++) sum[k]! += s[k]!;
  });
  return { score: fScore(sum, r), stats: sum, signature: signature(nrefs.size === 1 ? [...nrefs][0]! : "var", r) };
}

export const descriptor = {
  id: "chrf",
  label: "chrF (sacrebleu)",
  needs: ["references"],
  range: [0, 100],
  higherIsBetter: true,
} as const satisfies EvaluatorDescriptor;

/** Scores one answer against its references with sentence chrF (0-100); `not-applicable` without references. */
export function score(input: EvaluationInput, options: ChrfOptions = {}): EvaluationResult {
  const refs = input.references ?? [];
  if (refs.length === 0) {
    return {
      status: "not-applicable",
      value: null,
      reason: "chrF needs at least one reference answer",
      signature: "chrf|sacrebleu",
      cost: ZERO_COST,
    };
  }
  const r = sentenceChrf(input.answer, refs, options);
  return { status: "scored", value: r.score, signature: `chrf|${r.signature}`, cost: ZERO_COST };
}
