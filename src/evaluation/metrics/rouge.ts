/**
 * ROUGE-1/2/L/Lsum with exact parity to google `rouge-score` 0.1.2 (`rouge_scorer.RougeScorer`,
 * default tokenizer):
 * - tokenizer: lowercase, every run of characters outside `[a-z0-9]` becomes a space, split on
 *   whitespace; with `stemmer` on, NLTK's PorterStemmer (NLTK_EXTENSIONS, see
 *   `support/porter-stemmer.ts`) for tokens longer than 3 characters; empty tokens dropped.
 *   Non-ASCII letters are therefore dropped ("café" -> "caf"), and a text with no ASCII
 *   letters/digits has no tokens.
 * - ROUGE-N: P = overlap / max(#hyp n-grams, 1), R = overlap / max(#ref n-grams, 1), F = 2PR/(P+R).
 * - rougeL: LCS over the whole token sequences; 0 when either side has no tokens.
 * - rougeLsum: summary-level union LCS over sentences split on "\n" (empty lines dropped); no
 *   `split_summaries` (nltk sentence splitting).
 * - several references: per ROUGE type, the reference with the highest F (first on ties), as `score_multi`.
 * Empty hypothesis or reference: all zeros (as rouge-score).
 *
 * Non-Latin text: the default tokenizer leaves no tokens in, e.g., Japanese or Greek text, so such a row
 * scores 0 whatever it says. Such rows are flagged, not hidden: when a non-empty answer or reference has no
 * tokens, the result's `reason` starts with {@link ROUGE_NO_TOKENS} and `details.noTokens` is 1 (the value
 * stays rouge-score's 0). Option `tokenizer: "unicode"` (not rouge-score compatible; in the signature) keeps
 * letters and digits of every script: lowercased, split on anything that is not a letter, mark or digit,
 * and each character of scripts written without spaces (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar)
 * a token of its own; Porter stemming only touches ASCII tokens.
 */
import { type EvaluationInput, type EvaluationResult, type EvaluatorDescriptor, ZERO_COST } from "../types.ts";
import { porterStem } from "./support/porter-stemmer.ts";

export const ROUGE_SCORE_VERSION = "0.1.2";
export const ROUGE_TYPES = ["rouge1", "rouge2", "rougeL", "rougeLsum"] as const;
export type RougeType = (typeof ROUGE_TYPES)[number];

/** Tokenizers: rouge-score's (default, parity) or a Unicode-aware one (see the module doc). */
export const ROUGE_TOKENIZERS = ["rouge-score", "unicode"] as const;
export type RougeTokenizer = (typeof ROUGE_TOKENIZERS)[number];

/** Start of the `reason` of a row whose non-empty answer or reference the tokenizer left without tokens. */
export const ROUGE_NO_TOKENS = "no tokens:";

export interface RougeOptions {
  /** Porter-stem tokens longer than 3 characters (rouge-score `use_stemmer`). Default true (seed study, Ragas). */
  stemmer?: boolean;
  /** "rouge-score" (default: ASCII letters and digits only) or "unicode". */
  tokenizer?: RougeTokenizer;
  /** Which ROUGE variant `score()` reports as `value`. Default "rougeL". */
  primary?: RougeType;
}

/** Precision, recall and F-measure, each in [0, 1]. */
export interface PrfScore {
  precision: number;
  recall: number;
  fmeasure: number;
}

export type RougeScores = Record<RougeType, PrfScore>;

const NON_ALNUM = /[^a-z0-9]+/g;

/**
 * rouge-score `tokenize.tokenize(text, stemmer)`.
 * @returns tokens over `[a-z0-9]`, stemmed when `stemmer` is true.
 */
export function rougeTokenize(text: string, stemmer: boolean): string[] {
  const parts = text.toLowerCase().replace(NON_ALNUM, " ").split(" ");
  const out: string[] = [];
  for (const p of parts) {
    if (p === "") continue;
    out.push(stemmer && p.length > 3 ? porterStem(p) : p);
  }
  return out;
}

/** Scripts written without spaces between words: each character is a token in the Unicode tokenizer. */
const UNSPACED =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
const NON_WORD = /[^\p{L}\p{M}\p{N}]+/gu;

/**
 * The Unicode tokenizer (option `tokenizer: "unicode"`): NFKC, lowercase, split on every run of characters
 * that are not letters, marks or digits; characters of unspaced scripts become one token each; Porter
 * stemming (when on) only for ASCII tokens longer than 3 characters, as rouge-score.
 */
export function unicodeTokenize(text: string, stemmer: boolean): string[] {
  const out: string[] = [];
  for (const part of text.normalize("NFKC").toLowerCase().replace(NON_WORD, " ").split(" ")) {
    if (part === "") continue;
    let run = "";
    for (const ch of part) {
      if (UNSPACED.test(ch)) {
        if (run) out.push(run);
        run = "";
        out.push(ch);
      } else run += ch;
    }
    if (run) out.push(run);
  }
  return stemmer ? out.map((t) => (t.length > 3 && /^[a-z0-9]+$/.test(t) ? porterStem(t) : t)) : out;
}

function tokenizerOf(name: RougeTokenizer): (text: string, stemmer: boolean) => string[] {
  return name === "unicode" ? unicodeTokenize : rougeTokenize;
}

function fmeasure(precision: number, recall: number): number {
  return precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0.0;
}

const ZERO: PrfScore = Object.freeze({ precision: 0, recall: 0, fmeasure: 0 });

function ngrams(tokens: readonly string[], n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = n === 1 ? tokens[i]! : tokens.slice(i, i + n).join(" ");
    m.set(key, (m.get(key) ?? 0) + 1);
  }
  return m;
}

function scoreNgrams(target: Map<string, number>, prediction: Map<string, number>): PrfScore {
  let overlap = 0;
  let targetCount = 0;
  let predictionCount = 0;
  for (const [k, c] of target) {
    overlap += Math.min(c, prediction.get(k) ?? 0);
    targetCount += c;
  }
  for (const c of prediction.values()) predictionCount += c;
  const precision = overlap / Math.max(predictionCount, 1);
  const recall = overlap / Math.max(targetCount, 1);
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/** LCS table (rows = ref, cols = can) as a flat Int32Array of (rows+1)*(cols+1). */
function lcsTable(ref: readonly string[], can: readonly string[]): Int32Array {
  const rows = ref.length;
  const cols = can.length;
  const w = cols + 1;
  const t = new Int32Array((rows + 1) * w);
  for (let i = 1; i <= rows; i++) {
    const ri = ref[i - 1];
    for (let j = 1; j <= cols; j++) {
      if (ri === can[j - 1]) t[i * w + j] = t[(i - 1) * w + j - 1]! + 1;
      else {
        const up = t[(i - 1) * w + j]!;
        const left = t[i * w + j - 1]!;
        t[i * w + j] = up > left ? up : left;
      }
    }
  }
  return t;
}

/** LCS length with O(cols) memory. */
function lcsLength(ref: readonly string[], can: readonly string[]): number {
  const cols = can.length;
  let prev = new Int32Array(cols + 1);
  let cur = new Int32Array(cols + 1);
  for (let i = 1; i <= ref.length; i++) {
    const ri = ref[i - 1];
    for (let j = 1; j <= cols; j++) {
      if (ri === can[j - 1]) cur[j] = prev[j - 1]! + 1;
      else cur[j] = prev[j]! > cur[j - 1]! ? prev[j]! : cur[j - 1]!;
    }
    [prev, cur] = [cur, prev];
  }
  return prev[cols]!;
}

function scoreLcs(target: readonly string[], prediction: readonly string[]): PrfScore {
  if (target.length === 0 || prediction.length === 0) return ZERO;
  const lcs = lcsLength(target, prediction);
  const precision = lcs / prediction.length;
  const recall = lcs / target.length;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/** rouge-score `lcs_ind` + `_backtrack_norec`: indices into `ref` of one LCS. */
function lcsIndices(ref: readonly string[], can: readonly string[]): number[] {
  const t = lcsTable(ref, can);
  const w = can.length + 1;
  let i = ref.length;
  let j = can.length;
  const out: number[] = [];
  while (i > 0 && j > 0) {
    if (ref[i - 1] === can[j - 1]) {
      out.push(i - 1);
      i--;
      j--;
    } else if (t[i * w + j - 1]! > t[(i - 1) * w + j]!) j--;
    else i--;
  }
  return out.reverse();
}

function summaryLevelLcs(refSents: readonly string[][], canSents: readonly string[][]): PrfScore {
  if (refSents.length === 0 || canSents.length === 0) return ZERO;
  let m = 0;
  let n = 0;
  for (const s of refSents) m += s.length;
  for (const s of canSents) n += s.length;
  if (!n || !m) return ZERO;
  const cntR = new Map<string, number>();
  const cntC = new Map<string, number>();
  for (const s of refSents) for (const t of s) cntR.set(t, (cntR.get(t) ?? 0) + 1);
  for (const s of canSents) for (const t of s) cntC.set(t, (cntC.get(t) ?? 0) + 1);
  let hits = 0;
  for (const r of refSents) {
    const union = new Set<number>();
    for (const c of canSents) for (const idx of lcsIndices(r, c)) union.add(idx);
    const sorted = [...union].sort((a, b) => a - b);
    for (const idx of sorted) {
      const tok = r[idx]!;
      const c = cntC.get(tok) ?? 0;
      const rr = cntR.get(tok) ?? 0;
      if (c > 0 && rr > 0) {
        hits++;
        cntC.set(tok, c - 1);
        cntR.set(tok, rr - 1);
      }
    }
  }
  const recall = hits / m;
  const precision = hits / n;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

function sentences(text: string): string[] {
  return text.split("\n").filter((s) => s.length > 0);
}

/** rouge-score `RougeScorer(ROUGE_TYPES, use_stemmer).score(target, prediction)`. */
function scorePair(
  target: string,
  prediction: string,
  stemmer: boolean,
  tokenize: (text: string, stemmer: boolean) => string[],
): RougeScores {
  const tt = tokenize(target, stemmer);
  const pt = tokenize(prediction, stemmer);
  return {
    rouge1: scoreNgrams(ngrams(tt, 1), ngrams(pt, 1)),
    rouge2: scoreNgrams(ngrams(tt, 2), ngrams(pt, 2)),
    rougeL: scoreLcs(tt, pt),
    rougeLsum: summaryLevelLcs(
      sentences(target).map((s) => tokenize(s, stemmer)),
      sentences(prediction).map((s) => tokenize(s, stemmer)),
    ),
  };
}

/**
 * All four ROUGE variants of one prediction against one or more references
 * (`RougeScorer.score` / `score_multi`).
 *
 * @param prediction system output.
 * @param references non-empty list; per type the reference with the best F wins (first on ties).
 * @param options.stemmer default true.
 * @throws RangeError on an empty reference list.
 */
export function rougeScores(
  prediction: string,
  references: readonly string[],
  options: RougeOptions = {},
): RougeScores {
  if (references.length === 0) throw new RangeError("rougeScores: at least one reference is required");
  const stemmer = options.stemmer ?? true;
  const tokenize = tokenizerOf(options.tokenizer ?? "rouge-score");
  const all = references.map((r) => scorePair(r, prediction, stemmer, tokenize));
  if (all.length === 1) return all[0]!;
  const out = {} as RougeScores;
  for (const t of ROUGE_TYPES) {
    let best = all[0]!;
    for (const s of all) if (s[t].fmeasure > best[t].fmeasure) best = s;
    out[t] = best[t];
  }
  return out;
}

/**
 * Signature, e.g. `rouge|rougeL|nrefs:1|stem:porter-nltk|tok:ascii-alnum(non-ascii dropped)|lsum-split:newline|version:0.1.2`;
 * with the Unicode tokenizer `tok:unicode-nfkc-letters-digits(unspaced scripts per char;not rouge-score)`.
 */
export function rougeSignature(
  primary: RougeType,
  stemmer: boolean,
  nrefs: number,
  tokenizer: RougeTokenizer = "rouge-score",
): string {
  const tok =
    tokenizer === "unicode"
      ? "unicode-nfkc-letters-digits(unspaced scripts per char;not rouge-score)"
      : "ascii-alnum(non-ascii dropped)";
  return `rouge|${primary}|nrefs:${nrefs}|stem:${stemmer ? "porter-nltk" : "no"}|tok:${tok}|lsum-split:newline|version:${ROUGE_SCORE_VERSION}`;
}

export const descriptor = {
  id: "rouge",
  label: "ROUGE (google rouge-score)",
  needs: ["references"],
  range: [0, 1],
  higherIsBetter: true,
} as const satisfies EvaluatorDescriptor;

/**
 * Scores one answer: `value` is the F-measure of `options.primary` (default rougeL); `details` has
 * P/R/F of all four variants (`rouge1.precision`, ...).
 */
export function score(input: EvaluationInput, options: RougeOptions = {}): EvaluationResult {
  const refs = input.references ?? [];
  const primary = options.primary ?? "rougeL";
  const stemmer = options.stemmer ?? true;
  const tokenizer = options.tokenizer ?? "rouge-score";
  const sig = rougeSignature(primary, stemmer, refs.length, tokenizer);
  if (refs.length === 0) {
    return {
      status: "not-applicable",
      value: null,
      reason: "ROUGE needs at least one reference answer",
      signature: sig,
      cost: ZERO_COST,
    };
  }
  const s = rougeScores(input.answer, refs, { stemmer, tokenizer });
  const details: Record<string, number> = {};
  for (const t of ROUGE_TYPES) {
    details[`${t}.precision`] = s[t].precision;
    details[`${t}.recall`] = s[t].recall;
    details[`${t}.f1`] = s[t].fmeasure;
  }
  const flag = noTokensReason(input.answer, refs, tokenizer);
  if (flag) details.noTokens = 1;
  return {
    status: "scored",
    value: s[primary].fmeasure,
    ...(flag ? { reason: flag } : {}),
    details,
    signature: sig,
    cost: ZERO_COST,
  };
}

/**
 * The flag of a row whose non-empty answer or reference(s) the tokenizer left without a single token (the
 * value is then 0 by construction, not by content), or undefined.
 */
export function noTokensReason(
  answer: string,
  references: readonly string[],
  tokenizer: RougeTokenizer = "rouge-score",
): string | undefined {
  const tokenize = tokenizerOf(tokenizer);
  const empty = (t: string) => t.trim() !== "" && tokenize(t, false).length === 0;
  const what = [
    ...(empty(answer) ? ["the answer"] : []),
    ...references.flatMap((r, i) =>
      empty(r) ? [references.length === 1 ? "the reference" : `reference ${i + 1}`] : [],
    ),
  ];
  if (what.length === 0) return undefined;
  const fix = tokenizer === "unicode" ? "" : '; option tokenizer: "unicode" keeps letters of every script';
  return `${ROUGE_NO_TOKENS} ${what.join(" and ")} ${what.length === 1 ? "is" : "are"} not empty but ${what.length === 1 ? "has" : "have"} no ${tokenizer === "unicode" ? "letters or digits" : "ASCII letters or digits (non-Latin text?)"}: ROUGE is 0 by construction${fix}`;
}
