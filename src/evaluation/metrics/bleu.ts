/**
 * BLEU (Papineni et al., 2002) with exact parity to two reference implementations:
 *
 * - `mode: "sacrebleu"` (default): sacrebleu 2.5.1 `BLEU` — tokenizer 13a, case-sensitive, max order 4,
 *   clipped counts against the per-n-gram maximum over references, brevity penalty from the
 *   *closest* reference length (ties -> the shorter), smoothing `exp` (default) / `floor` /
 *   `add-k` / `none`, scale 0-100. Sentence BLEU uses `effective_order=True` as
 *   `sacrebleu.sentence_bleu` does; corpus BLEU sums the sufficient statistics over all segments
 *   first (`effective_order=False`, as `sacrebleu.corpus_bleu`).
 * - `mode: "hf-evaluate"`: HF `evaluate`'s `bleu` metric = tensorflow/nmt `compute_bleu`
 *   (huggingface/evaluate `metrics/bleu/nmt_bleu.py`) on the 13a tokens — brevity penalty from the
 *   *shortest* reference, no smoothing unless `smooth` (then (m+1)/(t+1) for *every* order),
 *   geometric mean 0 if any precision is 0, scale 0-1. The seed study used this.
 *   Empty hypothesis or reference: current evaluate returns bleu 0 (bp 0, ratio 0); evaluate
 *   releases before that guard raised ZeroDivisionError. We follow the guarded version.
 *
 * Empty strings in sacrebleu mode: no n-gram matches -> score 0 (sacrebleu's early exit, #141),
 * brevity penalty 0 when the hypothesis is empty.
 */
import { type EvaluationInput, type EvaluationResult, type EvaluatorDescriptor, ZERO_COST } from "../types.ts";
import { Counters, NgramTable, SubstringInterner } from "./support/ngram-table.ts";
import { pyRstrip } from "./support/python-text.ts";
import { forEachToken13a } from "./support/tokenizer-13a.ts";

/** sacrebleu version whose behaviour is reproduced; goes into the signature. */
export const SACREBLEU_VERSION = "2.5.1";
const MAX_ORDER = 4;

export type BleuSmoothing = "exp" | "floor" | "add-k" | "none";

export interface SacreBleuOptions {
  /**
   * Smoothing (Chen & Cherry 2014). `exp` (default): the k-th order with zero matches gets
   * precision 100/(2^k * total); `floor`: zero-match orders get 100*smoothValue/total;
   * `add-k`: adds smoothValue to matches and totals of orders >= 2; `none`: no smoothing.
   */
  smooth?: BleuSmoothing;
  /** Value for `floor` (default 0.1) and `add-k` (default 1); ignored by `exp` and `none`. */
  smoothValue?: number;
  /** Lowercase hypothesis and references before tokenizing (signature `case:lc`). Default false. */
  lowercase?: boolean;
  /**
   * sacrebleu `effective_order`: ignore orders above the highest order with a non-zero total.
   * Default: true for sentence BLEU (as `sacrebleu.sentence_bleu`), false for corpus BLEU.
   */
  effectiveOrder?: boolean;
}

export interface HfBleuOptions {
  /** Lin & Och (2004) add-one smoothing of every order, as `evaluate.load("bleu").compute(smooth=True)`. Default false. */
  smooth?: boolean;
}

/** sacrebleu's `BLEUScore` fields. Precisions are percentages (0-100). */
export interface SacreBleuScore {
  /** 0-100. */
  score: number;
  counts: number[];
  totals: number[];
  /** Per-order precision, 0-100 (smoothed values for zero-match orders, 0 beyond the effective order). */
  precisions: number[];
  /** Brevity penalty, 0-1. */
  bp: number;
  sysLen: number;
  refLen: number;
  /** sacrebleu signature, e.g. `nrefs:1|case:mixed|eff:yes|tok:13a|smooth:exp|version:2.5.1`. */
  signature: string;
}

/** HF evaluate bleu output. */
export interface HfBleuScore {
  /** 0-1. */
  bleu: number;
  /** Per-order precision, 0-1. */
  precisions: number[];
  brevityPenalty: number;
  lengthRatio: number;
  translationLength: number;
  referenceLength: number;
  signature: string;
}

const ngramTable = new NgramTable();
const tokenInterner = new SubstringInterner();
const refMaxCounts = new Counters();
const refCurCounts = new Counters();
const usedCounts = new Counters();

/**
 * 13a tokens of a segment as ids of `tokenInterner` (interned when `add`, else 0 for a token not
 * seen since the last reset). Ids identify tokens exactly (equal ids <=> equal strings).
 */
function tokenIds(line: string, add: boolean): Int32Array {
  const t = tokenSpans(line);
  const ids = new Int32Array(t.spans.length / 2);
  for (let i = 0; i < ids.length; i++) {
    const start = t.spans[2 * i]!;
    const end = t.spans[2 * i + 1]!;
    ids[i] = add ? tokenInterner.intern(t.codes, start, end) : tokenInterner.get(t.codes, start, end);
  }
  return ids;
}

/** 13a tokens of a line as code units + [start, end) spans (what `forEachToken13a` reports). */
interface TokenSpans {
  codes: Uint16Array;
  spans: Int32Array;
}

/**
 * Memoised 13a tokenisation, bounded like sacrebleu's own `@lru_cache(maxsize=2**16)` on its
 * tokenizer call (least recently used entry evicted first). Pure: the same line always gives the
 * same tokens, so the cache cannot change a value.
 */
const TOKEN_CACHE_MAX = 1 << 16;
const tokenCache = new Map<string, TokenSpans>();

function tokenSpans(line: string): TokenSpans {
  const hit = tokenCache.get(line);
  if (hit) {
    tokenCache.delete(line);
    tokenCache.set(line, hit);
    return hit;
  }
  let scratch: Uint16Array | undefined;
  let maxEnd = 0;
  let spans = new Int32Array(64);
  let n = 0;
  forEachToken13a(line, (_s, buf, start, end) => {
    scratch = buf;
    if (end > maxEnd) maxEnd = end;
    if (n + 2 > spans.length) {
      const bigger = new Int32Array(spans.length * 2);
      bigger.set(spans);
      spans = bigger;
    }
    spans[n++] = start;
    spans[n++] = end;
  });
  // the tokenizer's scratch buffer stays intact until its next call: copy what the spans cover
  const entry: TokenSpans = {
    codes: scratch ? scratch.slice(0, maxEnd) : new Uint16Array(0),
    spans: spans.slice(0, n),
  };
  tokenCache.set(line, entry);
  if (tokenCache.size > TOKEN_CACHE_MAX) tokenCache.delete(tokenCache.keys().next().value!);
  return entry;
}

/**
 * Clipped n-gram matches of orders 1..MAX_ORDER: per order, the sum over the hypothesis n-grams of
 * min(count in hypothesis, max count in any reference), i.e. sacrebleu's `correct` and
 * tensorflow/nmt's `matches_by_order`. Tokens and n-grams are interned to integer ids
 * (`SubstringInterner`, `NgramTable`) instead of space-joined string keys; the counts are identical.
 * Call `tokenInterner.reset()`, then tokenize the references with `add` and the hypothesis without.
 */
function clippedMatches(hypToks: Int32Array, refToks: readonly Int32Array[]): number[] {
  const table = ngramTable;
  table.reset();
  const refIdLists: Int32Array[] = [];
  for (const uni of refToks) {
    const n = uni.length;
    // ids[i * MAX_ORDER + k] = id of the (k+1)-gram starting at i (0 past the end).
    const ids = new Int32Array(n * MAX_ORDER);
    for (let i = 0; i < n; i++) {
      let prev = 0;
      for (let k = 0; k < MAX_ORDER && i + k < n; k++) {
        prev = table.intern(prev, uni[i + k]!);
        ids[i * MAX_ORDER + k] = prev;
      }
    }
    refIdLists.push(ids);
  }
  const size = table.next;
  const refMax = refMaxCounts.reset(size);
  if (refIdLists.length === 1) {
    const ids = refIdLists[0]!;
    for (let p = 0; p < ids.length; p++) refMax[ids[p]!]!++;
  } else {
    for (const ids of refIdLists) {
      const cur = refCurCounts.reset(size);
      for (let p = 0; p < ids.length; p++) cur[ids[p]!]!++;
      for (let p = 0; p < ids.length; p++) {
        const id = ids[p]!;
        if (cur[id]! > refMax[id]!) refMax[id] = cur[id]!;
      }
    }
  }
  refMax[0] = 0;
  const used = usedCounts.reset(size);
  const correct = new Array<number>(MAX_ORDER).fill(0);
  const uni = hypToks;
  const n = uni.length;
  for (let i = 0; i < n; i++) {
    let prev = 0;
    for (let k = 0; k < MAX_ORDER && i + k < n; k++) {
      const t = uni[i + k]!;
      if (t === 0) break;
      prev = table.get(prev, t);
      // An n-gram absent from every reference has no extension in them either.
      if (prev === 0) break;
      if (used[prev]! < refMax[prev]!) {
        used[prev]!++;
        correct[k]!++;
      }
    }
  }
  return correct;
}

/** Number of n-grams of each order 1..MAX_ORDER in a sequence of `len` tokens. */
function ngramTotals(len: number): number[] {
  const total = new Array<number>(MAX_ORDER).fill(0);
  for (let k = 0; k < MAX_ORDER; k++) total[k] = Math.max(0, len - k);
  return total;
}

interface SegmentStats {
  hypLen: number;
  refLen: number;
  correct: number[];
  total: number[];
}

function closestRefLen(hypLen: number, refLens: readonly number[]): number {
  let closestDiff = -1;
  let closestLen = -1;
  for (const refLen of refLens) {
    const diff = Math.abs(hypLen - refLen);
    if (closestDiff === -1 || diff < closestDiff) {
      closestDiff = diff;
      closestLen = refLen;
    } else if (diff === closestDiff && refLen < closestLen) {
      closestLen = refLen;
    }
  }
  return closestLen;
}

function sacreSegmentStats(hypothesis: string, references: readonly string[], lowercase: boolean): SegmentStats {
  const prep = (s: string, add: boolean): Int32Array => tokenIds(pyRstrip(lowercase ? s.toLowerCase() : s), add);
  tokenInterner.reset();
  const refToks = references.map((r) => prep(r, true));
  const refLens = refToks.map((t) => t.length);
  const hypToks = prep(hypothesis, false);
  const correct = clippedMatches(hypToks, refToks);
  const total = ngramTotals(hypToks.length);
  return { hypLen: hypToks.length, refLen: closestRefLen(hypToks.length, refLens), correct, total };
}

function smoothSignature(smooth: BleuSmoothing, smoothValue: number | undefined): string {
  if (smooth === "exp" || smooth === "none") return smooth;
  const v = smoothValue ?? (smooth === "floor" ? 0.1 : 1);
  return `${smooth}[${v.toFixed(2)}]`;
}

function sacreSignature(nrefs: number | "var", lowercase: boolean, eff: boolean, smooth: string): string {
  return `nrefs:${nrefs}|case:${lowercase ? "lc" : "mixed"}|eff:${eff ? "yes" : "no"}|tok:13a|smooth:${smooth}|version:${SACREBLEU_VERSION}`;
}

/** sacrebleu `BLEU.compute_bleu` from summed statistics (a straight port, including float order). */
function computeSacreBleu(
  stats: SegmentStats,
  smooth: BleuSmoothing,
  smoothValueOpt: number | undefined,
  effectiveOrder: boolean,
  signature: string,
): SacreBleuScore {
  const smoothValue = smoothValueOpt ?? (smooth === "floor" ? 0.1 : smooth === "add-k" ? 1 : 0);
  const correct = stats.correct.slice();
  const total = stats.total.slice();
  const { hypLen: sysLen, refLen } = stats;
  let bp = 1.0;
  if (sysLen < refLen) bp = sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0.0;
  const precisions = new Array<number>(MAX_ORDER).fill(0);
  const result = (score: number): SacreBleuScore => ({
    score,
    counts: correct,
    totals: total,
    precisions,
    bp,
    sysLen,
    refLen,
    signature,
  });
  if (!correct.some((c) => c !== 0)) return result(0.0);
  let smoothMteval = 1.0;
  let effOrder = MAX_ORDER;
  for (let n = 1; n <= MAX_ORDER; n++) {
    if (smooth === "add-k" && n > 1) {
      correct[n - 1]! += smoothValue;
      total[n - 1]! += smoothValue;
    }
    if (total[n - 1] === 0) break;
    if (effectiveOrder) effOrder = n;
    if (correct[n - 1] === 0) {
      if (smooth === "exp") {
        smoothMteval *= 2;
        precisions[n - 1] = 100.0 / (smoothMteval * total[n - 1]!);
      } else if (smooth === "floor") {
        precisions[n - 1] = (100.0 * smoothValue) / total[n - 1]!;
      }
    } else {
      precisions[n - 1] = (100.0 * correct[n - 1]!) / total[n - 1]!;
    }
  }
  let logSum = 0;
  for (let i = 0; i < effOrder; i++) {
    const p = precisions[i]!;
    logSum += p === 0 ? -9999999999 : Math.log(p);
  }
  return result(bp * Math.exp(logSum / effOrder));
}

function checkRefs(references: readonly string[], fn: string): void {
  if (references.length === 0) throw new RangeError(`${fn}: at least one reference is required`);
}

/**
 * Sentence BLEU, `sacrebleu.sentence_bleu(hypothesis, references, ...)`.
 *
 * @param hypothesis detokenized system output.
 * @param references one or more detokenized references (non-empty array).
 * @returns score 0-100 with sacrebleu's statistics and signature.
 * @throws RangeError when `references` is empty.
 */
export function sentenceBleu(
  hypothesis: string,
  references: readonly string[],
  options: SacreBleuOptions = {},
): SacreBleuScore {
  checkRefs(references, "sentenceBleu");
  const smooth = options.smooth ?? "exp";
  const lowercase = options.lowercase ?? false;
  const eff = options.effectiveOrder ?? true;
  const stats = sacreSegmentStats(hypothesis, references, lowercase);
  const sig = sacreSignature(references.length, lowercase, eff, smoothSignature(smooth, options.smoothValue));
  return computeSacreBleu(stats, smooth, options.smoothValue, eff, sig);
}

/**
 * Corpus BLEU, `sacrebleu.corpus_bleu(hypotheses, [refs_stream_1, ...])`: clipped counts and
 * lengths are summed over all segments before the precisions are taken (not a mean of sentence BLEU).
 *
 * @param hypotheses one string per segment.
 * @param references per segment, its references (`references[i]` belongs to `hypotheses[i]`;
 *   note: segment-major, unlike sacrebleu's stream-major argument).
 * @throws RangeError when lengths differ, the corpus is empty or a segment has no reference.
 */
export function corpusBleu(
  hypotheses: readonly string[],
  references: readonly (readonly string[])[],
  options: SacreBleuOptions = {},
): SacreBleuScore {
  if (hypotheses.length !== references.length || hypotheses.length === 0) {
    throw new RangeError(
      `corpusBleu: need one reference list per hypothesis (got ${hypotheses.length} hypotheses, ${references.length} reference lists)`,
    );
  }
  const smooth = options.smooth ?? "exp";
  const lowercase = options.lowercase ?? false;
  const eff = options.effectiveOrder ?? false;
  const sum: SegmentStats = {
    hypLen: 0,
    refLen: 0,
    correct: new Array<number>(MAX_ORDER).fill(0),
    total: new Array<number>(MAX_ORDER).fill(0),
  };
  const nrefs = new Set<number>();
  hypotheses.forEach((hyp, i) => {
    const refs = references[i]!;
    checkRefs(refs, "corpusBleu");
    nrefs.add(refs.length);
    const s = sacreSegmentStats(hyp, refs, lowercase);
    sum.hypLen += s.hypLen;
    sum.refLen += s.refLen;
    for (let n = 0; n < MAX_ORDER; n++) {
      sum.correct[n]! += s.correct[n]!;
      sum.total[n]! += s.total[n]!;
    }
  });
  const nr = nrefs.size === 1 ? [...nrefs][0]! : "var";
  const sig = sacreSignature(nr, lowercase, eff, smoothSignature(smooth, options.smoothValue));
  return computeSacreBleu(sum, smooth, options.smoothValue, eff, sig);
}

/**
 * HF `evaluate` bleu (`evaluate.load("bleu").compute(predictions, references)`), i.e.
 * tensorflow/nmt `compute_bleu` over 13a tokens. Pass one prediction for a sentence score.
 *
 * @param predictions system outputs.
 * @param references per prediction, its references (at least one each).
 * @returns bleu 0-1 and its statistics.
 * @throws RangeError when lengths differ, the list is empty or a prediction has no reference.
 */
export function hfBleu(
  predictions: readonly string[],
  references: readonly (readonly string[])[],
  options: HfBleuOptions = {},
): HfBleuScore {
  if (predictions.length !== references.length || predictions.length === 0) {
    throw new RangeError(
      `hfBleu: need one reference list per prediction (got ${predictions.length} predictions, ${references.length} reference lists)`,
    );
  }
  const smooth = options.smooth ?? false;
  const matches = new Array<number>(MAX_ORDER).fill(0);
  const possible = new Array<number>(MAX_ORDER).fill(0);
  let referenceLength = 0;
  let translationLength = 0;
  predictions.forEach((pred, idx) => {
    const refs = references[idx]!;
    checkRefs(refs, "hfBleu");
    tokenInterner.reset();
    const refToks = refs.map((r) => tokenIds(r, true));
    const trans = tokenIds(pred, false);
    referenceLength += Math.min(...refToks.map((r) => r.length));
    translationLength += trans.length;
    const m = clippedMatches(trans, refToks);
    for (let k = 0; k < MAX_ORDER; k++) matches[k]! += m[k]!;
    for (let order = 1; order <= MAX_ORDER; order++) {
      const p = trans.length - order + 1;
      if (p > 0) possible[order - 1]! += p;
    }
  });
  const precisions = new Array<number>(MAX_ORDER).fill(0);
  for (let i = 0; i < MAX_ORDER; i++) {
    if (smooth) precisions[i] = (matches[i]! + 1) / (possible[i]! + 1);
    else precisions[i] = possible[i]! > 0 ? matches[i]! / possible[i]! : 0.0;
  }
  let geoMean = 0;
  if (Math.min(...precisions) > 0) {
    let pLogSum = 0;
    for (const p of precisions) pLogSum += (1 / MAX_ORDER) * Math.log(p);
    geoMean = Math.exp(pLogSum);
  }
  let ratio: number;
  let bp: number;
  if (referenceLength === 0 || translationLength === 0) {
    ratio = 0.0;
    bp = 0.0;
  } else {
    ratio = translationLength / referenceLength;
    bp = ratio > 1.0 ? 1.0 : Math.exp(1 - 1.0 / ratio);
  }
  return {
    bleu: geoMean * bp,
    precisions,
    brevityPenalty: bp,
    lengthRatio: ratio,
    translationLength,
    referenceLength,
    signature: `hf-evaluate-bleu|nrefs:${references[0]!.length}|tok:13a|bp:shortest|smooth:${smooth ? "add-1" : "none"}|scale:0-1`,
  };
}

export type BleuOptions = ({ mode?: "sacrebleu" } & SacreBleuOptions) | ({ mode: "hf-evaluate" } & HfBleuOptions);

export const descriptor = {
  id: "bleu",
  label: "BLEU (sacrebleu 13a; HF evaluate compatible mode)",
  needs: ["references"],
  range: [0, 100],
  higherIsBetter: true,
} as const satisfies EvaluatorDescriptor;

/**
 * Scores one answer against its references. Default: sacrebleu sentence BLEU (0-100).
 * `mode: "hf-evaluate"` returns HF evaluate's bleu for this single pair (0-1 scale!).
 *
 * @returns `status: "scored"` with per-order precisions in `details`; `not-applicable` without references.
 */
export function score(input: EvaluationInput, options: BleuOptions = {}): EvaluationResult {
  const refs = input.references ?? [];
  if (options.mode === "hf-evaluate") {
    const sig = `bleu|hf-evaluate|tok:13a|smooth:${options.smooth ? "add-1" : "none"}`;
    if (refs.length === 0) return notApplicable(sig);
    const r = hfBleu([input.answer], [refs], options);
    return {
      status: "scored",
      value: r.bleu,
      details: {
        ...Object.fromEntries(r.precisions.map((p, i) => [`precision${i + 1}`, p])),
        brevityPenalty: r.brevityPenalty,
        lengthRatio: r.lengthRatio,
        translationLength: r.translationLength,
        referenceLength: r.referenceLength,
      },
      signature: `bleu|${r.signature}`,
      cost: ZERO_COST,
    };
  }
  if (refs.length === 0) return notApplicable("bleu|sacrebleu");
  const r = sentenceBleu(input.answer, refs, options);
  return {
    status: "scored",
    value: r.score,
    details: {
      ...Object.fromEntries(r.precisions.map((p, i) => [`precision${i + 1}`, p])),
      brevityPenalty: r.bp,
      sysLen: r.sysLen,
      refLen: r.refLen,
    },
    signature: `bleu|${r.signature}`,
    cost: ZERO_COST,
  };
}

function notApplicable(signature: string): EvaluationResult {
  return {
    status: "not-applicable",
    value: null,
    reason: "BLEU needs at least one reference answer",
    signature,
    cost: ZERO_COST,
  };
}
