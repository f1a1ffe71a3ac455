/**
 * JSONL import of human judgments and automatic evaluator scores, so the meta-evaluation can run on
 * Wayfarer's own ratings or on public benchmark data (SummEval expert annotations, MT-Bench votes).
 *
 * Human line:  {"input_id": "q1", "system_id": "dpo", "rater_id": "r1", "criterion": "helpfulness", "score": 4}
 * Score line:  {"input_id": "q1", "system_id": "dpo", "evaluator": "bleu", "score": 0.31}
 * Wayfarer's own `evaluate/scores.jsonl` reads as scores without conversion: its names (`itemId`, `variant`,
 * `value`) are aliases of input_id, system_id and score, and a row whose `status` is not "scored" (an
 * evaluator error, or not applicable) is skipped and counted by its status. `wayfarer human export --what
 * judgments` writes human lines exactly.
 * `input_id` / `system_id` / `rater_id` may be strings or numbers (numbers become strings).
 * Blank lines are ignored. A line that is not JSON or lacks a field is an error naming file:line and
 * the field, unless `skipInvalid` is set, in which case it is skipped and counted. `score: null`
 * (an evaluator that could not measure) is always skipped and counted, never treated as 0.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { InputError } from "../../errors/input-error.ts";

/** One human rating of one system's output for one input on one criterion. */
export interface HumanJudgment {
  inputId: string;
  systemId: string;
  /** Absent in aggregated data sets (one score per item). */
  raterId?: string;
  criterion: string;
  score: number;
}

/** One automatic evaluator's score for one system's output for one input. */
export interface MetricScore {
  inputId: string;
  systemId: string;
  evaluator: string;
  score: number;
}

/** What an import read, with everything it skipped. */
export interface ImportResult<T> {
  records: T[];
  /** Lines skipped, by reason (e.g. `"score is null"`, `"invalid"`). */
  skipped: Record<string, number>;
  /** file:line: problem, for skipped invalid lines (first 20). */
  problems: string[];
  /**
   * Fields present in read lines that the import does not read, with the number of lines carrying each
   * (e.g. `{ rater: 12 }` for a misspelt `rater_id`): reported, so that a typo is not silently ignored.
   */
  unread: Record<string, number>;
}

/** Options of the import functions. */
export interface ImportOptions {
  /** Skip (and count) invalid lines instead of failing on the first one. Default false. */
  skipInvalid?: boolean;
}

/**
 * An id: a non-empty string, or a number (made a string). A whole number beyond 2^53 is refused: JSON.parse
 * has already rounded it, so two different ids could silently become the same one.
 */
export const jsonlId = z
  .union([z.string().min(1), z.number()])
  .refine((v) => typeof v === "string" || !Number.isInteger(v) || Number.isSafeInteger(v), {
    message: "a number too large to read exactly (beyond 2^53); write the id as a string",
  })
  .transform((v) => String(v));
const id = jsonlId;
const humanLine = z.object({
  input_id: id,
  system_id: id,
  rater_id: id.optional().nullable(),
  criterion: z.string().min(1),
  score: z.number().finite().nullable(),
});
const scoreFields = z.object({
  input_id: id,
  system_id: id,
  evaluator: z.string().min(1),
  score: z.number().finite().nullable(),
  /** Only in Wayfarer's scores.jsonl: "scored", "error" or "not-applicable". */
  status: z.string().optional(),
});
/** Wayfarer's evaluate/scores.jsonl names (itemId, variant, value) as aliases of the JSONL fields. */
const SCORE_ALIASES: Record<string, string> = { itemId: "input_id", variant: "system_id", value: "score" };
const scoreLine = z.preprocess((v: unknown) => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return v;
  const o = { ...(v as Record<string, unknown>) };
  for (const [alias, name] of Object.entries(SCORE_ALIASES)) if (!(name in o) && alias in o) o[name] = o[alias];
  return o;
}, scoreFields);
/** Fields of a Wayfarer scores.jsonl row that meta has no use for (not reported as unread). */
const SCORE_ROW_EXTRAS = ["reason", "signature"];

/** `unreadFields` for a line format that reads exactly `fields`. */
export const fieldsOutside =
  (fields: readonly string[]) =>
  (line: Record<string, unknown>): string[] =>
    Object.keys(line).filter((k) => !fields.includes(k));

const scoreIsNull = (v: { score: number | null }) => (v.score === null ? "score is null" : undefined);

/**
 * Parses JSONL lines with `schema` (blank lines ignored). A line that is not JSON or fails the schema is an
 * InputError naming file:line and the field (or is skipped and counted as "invalid" with `skipInvalid`);
 * a line for which `skipReason` returns a reason (a null value: nothing measured) is skipped and counted.
 */
export function parseJsonl<S extends z.ZodType, T>(
  file: string,
  text: string,
  schema: S,
  toRecord: (v: z.output<S>, line: number) => T,
  options: ImportOptions,
  skipReason: (v: z.output<S>) => string | undefined,
  unreadFields: (line: Record<string, unknown>) => string[] = () => [],
): ImportResult<T> {
  const records: T[] = [];
  const skipped: Record<string, number> = {};
  const unread: Record<string, number> = {};
  const problems: string[] = [];
  const skip = (reason: string, problem?: string) => {
    skipped[reason] = (skipped[reason] ?? 0) + 1;
    if (problem && problems.length < 20) problems.push(problem);
  };
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === "") continue;
    const line = i + 1;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (cause) {
      const err = new InputError({ file, line }, `not valid JSON (${(cause as Error).message})`, { cause });
      if (!options.skipInvalid) throw err;
      skip("invalid", err.message);
      continue;
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path.join(".") || undefined;
      let got: unknown = value;
      for (const key of issue.path)
        got = typeof got === "object" && got !== null ? (got as Record<PropertyKey, unknown>)[key] : undefined;
      const err = new InputError(
        { file, line, ...(field ? { field } : {}) },
        field && got === undefined ? "missing" : `${issue.message} (got ${JSON.stringify(got) ?? String(got)})`,
      );
      if (!options.skipInvalid) throw err;
      skip("invalid", err.message);
      continue;
    }
    const reason = skipReason(parsed.data);
    if (reason !== undefined) {
      skip(reason);
      continue;
    }
    for (const k of unreadFields(value as Record<string, unknown>)) unread[k] = (unread[k] ?? 0) + 1;
    records.push(toRecord(parsed.data, line));
  }
  return { records, skipped, problems, unread };
}

/** Parses human judgments from JSONL text; `file` is used in messages only. */
export function parseHumanJudgments(
  file: string,
  text: string,
  options: ImportOptions = {},
): ImportResult<HumanJudgment> {
  return parseJsonl(
    file,
    text,
    humanLine,
    (v) => ({
      inputId: v.input_id,
      systemId: v.system_id,
      ...(v.rater_id != null ? { raterId: v.rater_id } : {}),
      criterion: v.criterion,
      score: v.score as number,
    }),
    options,
    scoreIsNull,
    fieldsOutside(Object.keys(humanLine.shape)),
  );
}

/** Parses evaluator scores from JSONL text; `file` is used in messages only. */
export function parseMetricScores(file: string, text: string, options: ImportOptions = {}): ImportResult<MetricScore> {
  return parseJsonl(
    file,
    text,
    scoreLine,
    (v) => ({ inputId: v.input_id, systemId: v.system_id, evaluator: v.evaluator, score: v.score as number }),
    options,
    (v) =>
      v.status !== undefined && v.status !== "scored"
        ? `status ${v.status} (not measured)`
        : v.score === null
          ? "score is null"
          : undefined,
    (line) =>
      "itemId" in line
        ? fieldsOutside([...Object.keys(SCORE_ALIASES), "evaluator", "status", ...SCORE_ROW_EXTRAS])(line)
        : fieldsOutside(Object.keys(scoreFields.shape))(line),
  );
}

/** Reads a whole text file; InputError naming the file when it cannot. */
export function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (cause) {
    throw new InputError({ file }, `cannot read the file (${(cause as Error).message})`, { cause });
  }
}

/** Reads and parses a human-judgment JSONL file. */
export function readHumanJudgments(file: string, options: ImportOptions = {}): ImportResult<HumanJudgment> {
  return parseHumanJudgments(file, readText(file), options);
}

/** Reads and parses an evaluator-score JSONL file. */
export function readMetricScores(file: string, options: ImportOptions = {}): ImportResult<MetricScore> {
  return parseMetricScores(file, readText(file), options);
}
