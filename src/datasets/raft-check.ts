/**
 * Validation of RAFT chain-of-thought answers (gorilla RAFT, Zhang et al. 2024, `raft.py`): the teacher quotes
 * the oracle document between `##begin_quote##` and `##end_quote##` and ends with `<ANSWER>: ...`.
 *
 * One answer is checked for: quote markers balanced (begin/end alternate, none left open), each quote found
 * in the oracle document, exactly one `<ANSWER>:` tag with a non-empty answer after it. Quotes are looked up
 * in three named modes, strictest first:
 *
 * - `strict`: the quote is a substring of the oracle, byte for byte.
 * - `whitespace`: after collapsing every whitespace run to one space and trimming, in quote and oracle.
 * - `lenient`: `whitespace`, plus case folded, curly quotes/apostrophes/dashes made straight, and quotation
 *   marks and trailing punctuation around the quote removed (teachers often wrap quotes in "...").
 *
 * `checkRaftFile` applies this to every line of a gorilla-format JSONL file (`wayfarer raft check`).
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import { InputError } from "../errors/input-error.ts";

export const BEGIN_QUOTE = "##begin_quote##";
export const END_QUOTE = "##end_quote##";
export const ANSWER_TAG = "<ANSWER>:";

/** Quote lookup modes, strictest first (see the module doc). */
export const QUOTE_MODES = ["strict", "whitespace", "lenient"] as const;
export type QuoteMode = (typeof QUOTE_MODES)[number];

/** Why an answer fails validation. */
export const RAFT_FAILURES = [
  "unbalanced-quote-markers",
  "quote-not-in-oracle",
  "no-answer-tag",
  "several-answer-tags",
  "empty-answer",
  "no-quote",
] as const;
export type RaftFailure = (typeof RAFT_FAILURES)[number];

/** What {@link checkCotAnswer} found in one answer. */
export interface CotAnswerCheck {
  /** Texts between balanced markers, in order. */
  quotes: string[];
  markersBalanced: boolean;
  /** Occurrences of `<ANSWER>:`. */
  answerTags: number;
  /** Text after the last tag, trimmed ("" without a tag). */
  answer: string;
  /** Per mode: how many of `quotes` are found in the oracle. */
  quotesFound: Record<QuoteMode, number>;
  /** Failures under `mode` (empty = valid). `no-quote` only when `requireQuote`. */
  failures: RaftFailure[];
}

/** Options of {@link checkCotAnswer}. */
export interface CotCheckOptions {
  /** Mode that decides `quote-not-in-oracle`. Default "strict". */
  mode?: QuoteMode;
  /** An answer without any quote fails with `no-quote`. Default false (the three checks only). */
  requireQuote?: boolean;
}

const collapse = (s: string) => s.replace(/\s+/g, " ").trim();
const lenientForm = (s: string) =>
  collapse(s)
    .toLowerCase()
    .replace(/[‘’‛`´]/g, "'")
    .replace(/[“”„‟«»]/g, '"')
    .replace(/[‐‑‒–—―]/g, "-");
const stripWrapping = (s: string) => s.replace(/^["'\s]+/, "").replace(/["'\s.,;:!?…]+$/, "");

/** True when `quote` occurs in `oracle` under `mode`. An empty quote (after normalising) is never found. */
export function quoteFound(quote: string, oracle: string, mode: QuoteMode): boolean {
  switch (mode) {
    case "strict":
      return quote.length > 0 && oracle.includes(quote);
    case "whitespace": {
      const q = collapse(quote);
      return q.length > 0 && collapse(oracle).includes(q);
    }
    case "lenient": {
      const q = stripWrapping(lenientForm(quote));
      return q.length > 0 && lenientForm(oracle).includes(q);
    }
    default:
      return mode satisfies never;
  }
}

/** Splits `answer` into quotes; `balanced` is false when markers do not alternate begin/end or one is left open. */
export function extractQuotes(answer: string): { quotes: string[]; balanced: boolean } {
  const quotes: string[] = [];
  const re = /##begin_quote##|##end_quote##/g;
  let open = -1;
  let balanced = true;
  for (const m of answer.matchAll(re)) {
    if (m[0] === BEGIN_QUOTE) {
      if (open >= 0) balanced = false;
      open = m.index + m[0].length;
    } else if (open < 0) balanced = false;
    else {
      quotes.push(answer.slice(open, m.index));
      open = -1;
    }
  }
  if (open >= 0) balanced = false;
  return { quotes, balanced };
}

/** Checks one chain-of-thought answer against its oracle document (see the module doc). */
export function checkCotAnswer(answer: string, oracle: string, o: CotCheckOptions = {}): CotAnswerCheck {
  const mode = o.mode ?? "strict";
  const { quotes, balanced } = extractQuotes(answer);
  const answerTags = answer.split(ANSWER_TAG).length - 1;
  const after = answerTags > 0 ? answer.slice(answer.lastIndexOf(ANSWER_TAG) + ANSWER_TAG.length).trim() : "";
  const quotesFound = Object.fromEntries(
    QUOTE_MODES.map((m) => [m, quotes.filter((q) => quoteFound(q, oracle, m)).length]),
  ) as Record<QuoteMode, number>;
  const failures: RaftFailure[] = [];
  if (!balanced) failures.push("unbalanced-quote-markers");
  if (quotesFound[mode] < quotes.length) failures.push("quote-not-in-oracle");
  if (answerTags === 0) failures.push("no-answer-tag");
  if (answerTags > 1) failures.push("several-answer-tags");
  if (answerTags > 0 && after === "") failures.push("empty-answer");
  if (o.requireQuote && quotes.length === 0) failures.push("no-quote");
  return { quotes, markersBalanced: balanced, answerTags, answer: after, quotesFound, failures };
}

/** A line of a RAFT file that is not a gorilla record. */
export interface MalformedLine {
  file: string;
  line: number;
  field: string;
  reason: string;
}

/** Counts of `wayfarer raft check` (every count is over well-formed records). */
export interface RaftFileCounts {
  file: string;
  /** Non-blank lines. */
  lines: number;
  /** Well-formed gorilla records. */
  records: number;
  /** Lines that are not (JSON errors, missing or mistyped fields); see `malformedLines`. */
  malformed: number;
  /** Records whose `oracle_context` is one of the context documents. */
  oracleInContext: number;
  /** Records with at least one balanced quote. */
  withQuotes: number;
  /** Records whose quote markers are balanced (no quote counts as balanced). */
  markersBalanced: number;
  /** Records with >= 1 quote, every one found in the oracle, per mode. */
  allQuotesVerbatim: Record<QuoteMode, number>;
  /** Quotes in all records, and how many are found per mode. */
  quotes: { total: number } & Record<QuoteMode, number>;
  /** Records with at least one `<ANSWER>:`. */
  answerTagPresent: number;
  /** Records with exactly one `<ANSWER>:`. */
  answerTagExactlyOnce: number;
  /**
   * Valid per mode: markers balanced, exactly one answer tag with a non-empty answer, every quote found in the
   * oracle (vacuously true without quotes).
   */
  valid: Record<QuoteMode, number>;
  /** Valid and with at least one quote (what RAFT means by a grounded answer), per mode. */
  validWithQuote: Record<QuoteMode, number>;
  /** Failures by reason under the strict mode (a record may have several). */
  failuresStrict: Partial<Record<RaftFailure, number>>;
  /** The first 50 malformed lines. */
  malformedLines: MalformedLine[];
}

const zeroModes = (): Record<QuoteMode, number> => ({ strict: 0, whitespace: 0, lenient: 0 });

/** The gorilla record fields, checked; returns the problem or the parts the counts need. */
function readRecord(
  raw: unknown,
): { field: string; reason: string } | { oracle: string; cot: string; documents: string[] } {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    return { field: "(line)", reason: "not a JSON object" };
  const r = raw as Record<string, unknown>;
  for (const f of ["id", "type", "question", "oracle_context", "cot_answer", "instruction"]) {
    if (!(f in r)) return { field: f, reason: "missing" };
    if (typeof r[f] !== "string")
      return { field: f, reason: `expected a string, got ${r[f] === null ? "null" : typeof r[f]}` };
  }
  const ctx = r.context;
  if (typeof ctx !== "object" || ctx === null || Array.isArray(ctx))
    return { field: "context", reason: ctx === undefined ? "missing" : "expected an object {title, sentences}" };
  const c = ctx as Record<string, unknown>;
  if (!Array.isArray(c.title)) return { field: "context.title", reason: "missing or not an array" };
  if (!Array.isArray(c.sentences)) return { field: "context.sentences", reason: "missing or not an array" };
  const documents: string[] = [];
  for (const [i, group] of c.sentences.entries()) {
    const items = Array.isArray(group) ? group : [group];
    for (const d of items) {
      if (typeof d !== "string") return { field: `context.sentences[${i}]`, reason: "expected strings" };
      documents.push(d);
    }
  }
  return { oracle: r.oracle_context as string, cot: r.cot_answer as string, documents };
}

/**
 * Validates every line of a gorilla-format RAFT JSONL file and counts (see {@link RaftFileCounts}). Malformed
 * lines are counted and listed with file, line and field, never fatal.
 * @throws InputError when the file does not exist or is not a file.
 */
export async function checkRaftFile(file: string): Promise<RaftFileCounts> {
  try {
    if (!(await stat(file)).isFile()) throw new InputError({ file }, "not a file");
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError({ file }, "no such file");
  }
  const counts: RaftFileCounts = {
    file,
    lines: 0,
    records: 0,
    malformed: 0,
    oracleInContext: 0,
    withQuotes: 0,
    markersBalanced: 0,
    allQuotesVerbatim: zeroModes(),
    quotes: { total: 0, ...zeroModes() },
    answerTagPresent: 0,
    answerTagExactlyOnce: 0,
    valid: zeroModes(),
    validWithQuote: zeroModes(),
    failuresStrict: {},
    malformedLines: [],
  };
  const rl = createInterface({
    input: createReadStream(file, { encoding: "utf8" }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let lineNo = 0;
  for await (const line of rl) {
    lineNo++;
    if (line.trim() === "") continue;
    counts.lines++;
    let raw: unknown;
    let rec: ReturnType<typeof readRecord>;
    try {
      raw = JSON.parse(line);
      rec = readRecord(raw);
    } catch (e) {
      rec = { field: "(line)", reason: `invalid JSON (${(e as Error).message})` };
    }
    if ("field" in rec) {
      counts.malformed++;
      if (counts.malformedLines.length < 50) counts.malformedLines.push({ file, line: lineNo, ...rec });
      continue;
    }
    counts.records++;
    if (rec.documents.includes(rec.oracle)) counts.oracleInContext++;
    const strict = checkCotAnswer(rec.cot, rec.oracle, { mode: "strict" });
    const n = strict.quotes.length;
    if (n > 0) counts.withQuotes++;
    if (strict.markersBalanced) counts.markersBalanced++;
    if (strict.answerTags > 0) counts.answerTagPresent++;
    if (strict.answerTags === 1) counts.answerTagExactlyOnce++;
    counts.quotes.total += n;
    for (const f of strict.failures) counts.failuresStrict[f] = (counts.failuresStrict[f] ?? 0) + 1;
    const structural = strict.markersBalanced && strict.answerTags === 1 && strict.answer !== "";
    for (const m of QUOTE_MODES) {
      counts.quotes[m] += strict.quotesFound[m];
      const all = strict.quotesFound[m] === n;
      if (n > 0 && all) counts.allQuotesVerbatim[m]++;
      if (structural && all) {
        counts.valid[m]++;
        if (n > 0) counts.validWithQuote[m]++;
      }
    }
  }
  return counts;
}
