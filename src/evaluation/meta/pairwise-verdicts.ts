/**
 * Meta-evaluation of pairwise verdicts: how often does an evaluator pick the same answer as the humans when
 * it compares two systems' answers to the same input? MT-Bench (Zheng et al. 2023, "Judging LLM-as-a-judge",
 * section 4.2 / Table 2) definitions, per vote:
 * - every human vote on (input, model pair) is compared with the evaluator's verdict on that pair;
 * - with ties ("setup S1"): share of those comparisons with the same verdict among A, B and tie;
 * - without ties ("setup S2"): the same share after dropping the comparisons where either side says tie.
 * Human-human agreement (two different raters' votes on the same pair) is reported as the reference line.
 *
 * JSONL import (blank lines ignored; ids may be strings or numbers):
 *   evaluator verdict: {"input_id": "q1", "model_a": "base", "model_b": "dpo", "verdict": "A", "evaluator": "gpt4-pair"}
 *   human choice:      {"input_id": "q1", "model_a": "base", "model_b": "dpo", "verdict": "tie", "rater_id": "r1"}
 * `verdict` is "A" (model_a's answer is better), "B" or "tie" (any case). Wayfarer's own
 * `evaluate/pairwise.jsonl` (itemId, variantA, variantB, verdict, evaluator) reads as evaluator verdicts too.
 * `verdict: null` (the evaluator gave no verdict) is skipped and counted, never read as a tie. A bad line is
 * an InputError naming file:line and the field, unless `skipInvalid` (skipped, counted as "invalid"). The
 * same pair may appear in either orientation ([a, b] or [b, a]); verdicts are oriented before comparing.
 * An evaluator judging the same pair of the same input twice, or a rater choosing twice, is an error
 * (`skipInvalid`: the later line is skipped and counted as "duplicate").
 *
 * Scalar evaluator scores (`judgments.ts` MetricScore) can be read pairwise against the same human choices:
 * the higher score wins, equal scores tie (`preferenceFromScores`).
 */
import { z } from "zod";
import { InputError } from "../../errors/input-error.ts";
import {
  fieldsOutside,
  type ImportOptions,
  type ImportResult,
  jsonlId,
  type MetricScore,
  parseJsonl,
  readText,
} from "./judgments.ts";
import { type PairwiseAgreement, type Preference, pairwiseAgreement, preferenceFromScores } from "./pairwise.ts";

/** One evaluator's verdict on one input's pair of answers. */
export interface PairwiseVerdict {
  inputId: string;
  modelA: string;
  modelB: string;
  /** "a": model A's answer is better; "b"; or "tie". */
  verdict: Preference;
  evaluator: string;
  line: number;
}

/** One human's choice between two answers to one input. */
export interface HumanPairwiseChoice {
  inputId: string;
  modelA: string;
  modelB: string;
  verdict: Preference;
  /** Absent in aggregated data (each line then counts as its own vote). */
  raterId?: string;
  line: number;
}

const id = jsonlId;
const verdict = z
  .string()
  .transform((v) => v.trim().toLowerCase())
  .pipe(z.enum(["a", "b", "tie"], { message: 'expected "A", "B" or "tie"' }))
  .nullable();

/** Wayfarer's evaluate/pairwise.jsonl names (itemId, variantA, variantB) as aliases of the JSONL fields. */
const ALIASES: Record<string, string> = { itemId: "input_id", variantA: "model_a", variantB: "model_b" };
const withAliases = (v: unknown): unknown => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return v;
  const o = { ...(v as Record<string, unknown>) };
  for (const [alias, name] of Object.entries(ALIASES)) if (!(name in o) && alias in o) o[name] = o[alias];
  return o;
};
const distinctModels = (v: { model_a: string; model_b: string }, ctx: z.RefinementCtx) => {
  if (v.model_a === v.model_b)
    ctx.addIssue({ code: "custom", path: ["model_b"], message: "the same model as model_a" });
};

const verdictLine = z.preprocess(
  withAliases,
  z
    .object({ input_id: id, model_a: id, model_b: id, verdict, evaluator: z.string().min(1) })
    .superRefine(distinctModels),
);
const humanLine = z.preprocess(
  withAliases,
  z
    .object({ input_id: id, model_a: id, model_b: id, verdict, rater_id: id.optional().nullable() })
    .superRefine(distinctModels),
);

const PAIR_FIELDS = ["input_id", "model_a", "model_b", "verdict"];
/** Unread fields of a verdict line; none for Wayfarer's own pairwise.jsonl (it carries the raw replies too). */
const unreadVerdictFields = (line: Record<string, unknown>) =>
  "itemId" in line ? [] : fieldsOutside([...PAIR_FIELDS, "evaluator"])(line);

const verdictIsNull = (v: { verdict: Preference | null }) => (v.verdict === null ? "verdict is null" : undefined);

/** `input\0low\0high` and whether (a, b) is the reverse of (low, high). */
function orient(inputId: string, a: string, b: string): { key: string; swapped: boolean } {
  const swapped = a > b;
  return { key: `${inputId}\u0000${swapped ? b : a}\u0000${swapped ? a : b}`, swapped };
}
const flip = (p: Preference): Preference => (p === "a" ? "b" : p === "b" ? "a" : "tie");

/** Removes (or rejects) a second record with the same `who` on the same input and pair. */
function dropDuplicates<T extends { inputId: string; modelA: string; modelB: string; line: number }>(
  file: string,
  result: ImportResult<T>,
  who: (r: T) => string | undefined,
  describe: (r: T) => string,
  options: ImportOptions,
): ImportResult<T> {
  const first = new Map<string, number>();
  const records: T[] = [];
  for (const r of result.records) {
    const w = who(r);
    if (w === undefined) {
      records.push(r);
      continue;
    }
    const k = `${w}\u0000${orient(r.inputId, r.modelA, r.modelB).key}`;
    const at = first.get(k);
    if (at === undefined) {
      first.set(k, r.line);
      records.push(r);
      continue;
    }
    const err = new InputError(
      { file, line: r.line, field: "input_id" },
      `${describe(r)} on input "${r.inputId}" for ${r.modelA} vs ${r.modelB} is given twice (first at line ${at})`,
    );
    if (!options.skipInvalid) throw err;
    result.skipped.duplicate = (result.skipped.duplicate ?? 0) + 1;
    if (result.problems.length < 20) result.problems.push(err.message);
  }
  return { ...result, records };
}

/** Parses evaluator pairwise verdicts from JSONL text; `file` is used in messages only. */
export function parsePairwiseVerdicts(
  file: string,
  text: string,
  options: ImportOptions = {},
): ImportResult<PairwiseVerdict> {
  const parsed = parseJsonl(
    file,
    text,
    verdictLine,
    (v, line) => ({
      inputId: v.input_id,
      modelA: v.model_a,
      modelB: v.model_b,
      verdict: v.verdict as Preference,
      evaluator: v.evaluator,
      line,
    }),
    options,
    verdictIsNull,
    unreadVerdictFields,
  );
  return dropDuplicates(
    file,
    parsed,
    (r) => r.evaluator,
    (r) => `the verdict of evaluator "${r.evaluator}"`,
    options,
  );
}

/** Parses human pairwise choices from JSONL text; `file` is used in messages only. */
export function parseHumanPairwise(
  file: string,
  text: string,
  options: ImportOptions = {},
): ImportResult<HumanPairwiseChoice> {
  const parsed = parseJsonl(
    file,
    text,
    humanLine,
    (v, line) => ({
      inputId: v.input_id,
      modelA: v.model_a,
      modelB: v.model_b,
      verdict: v.verdict as Preference,
      ...(v.rater_id != null ? { raterId: v.rater_id } : {}),
      line,
    }),
    options,
    verdictIsNull,
    fieldsOutside([...PAIR_FIELDS, "rater_id"]),
  );
  return dropDuplicates(
    file,
    parsed,
    (r) => r.raterId,
    (r) => `the choice of rater "${r.raterId}"`,
    options,
  );
}

export function readPairwiseVerdicts(file: string, options: ImportOptions = {}): ImportResult<PairwiseVerdict> {
  return parsePairwiseVerdicts(file, readText(file), options);
}

export function readHumanPairwise(file: string, options: ImportOptions = {}): ImportResult<HumanPairwiseChoice> {
  return parseHumanPairwise(file, readText(file), options);
}

/** Agreement of one evaluator's pairwise verdicts with the human votes. */
export interface PairwiseEvaluatorAgreement {
  evaluator: string;
  /** "verdicts": pairwise verdicts given; "scores": scalar scores read pairwise (higher wins, equal ties). */
  source: "verdicts" | "scores";
  /** Over (human vote, evaluator verdict) comparisons; `pairs` counts those comparisons. */
  agreement: PairwiseAgreement;
  /** Human votes on pairs the evaluator gave no verdict for (counted, not compared). */
  humanVotesUnmatched: number;
  /** The evaluator's verdicts on pairs no human voted on. */
  verdictsWithoutHuman: number;
}

/** The pairwise meta-evaluation. */
export interface PairwiseMeta {
  /** Human votes read (non-null). */
  humanVotes: number;
  /** Distinct (input, unordered model pair) the humans voted on. */
  humanPairs: number;
  /** Distinct rater ids (votes without a rater id are not counted here). */
  raters: number;
  /** Agreement between two different raters' votes on the same pair (each two votes once); null without such votes. */
  humanHuman: PairwiseAgreement | null;
  results: PairwiseEvaluatorAgreement[];
  notes: string[];
}

/**
 * Agreement of each evaluator with the human pairwise choices (see the module doc), with and without ties.
 * @param verdicts evaluator pairwise verdicts
 * @param scores scalar evaluator scores, read pairwise on the pairs the humans voted on (optional)
 */
export function pairwiseMetaEvaluate(
  human: readonly HumanPairwiseChoice[],
  verdicts: readonly PairwiseVerdict[],
  scores: readonly MetricScore[] = [],
): PairwiseMeta {
  // human votes per oriented pair
  const votes = new Map<
    string,
    { inputId: string; low: string; high: string; verdict: Preference; rater?: string }[]
  >();
  for (const h of human) {
    const { key, swapped } = orient(h.inputId, h.modelA, h.modelB);
    const list = votes.get(key) ?? [];
    list.push({
      inputId: h.inputId,
      low: swapped ? h.modelB : h.modelA,
      high: swapped ? h.modelA : h.modelB,
      verdict: swapped ? flip(h.verdict) : h.verdict,
      ...(h.raterId !== undefined ? { rater: h.raterId } : {}),
    });
    votes.set(key, list);
  }
  const humanHumanPairs: { human: Preference; evaluator: Preference }[] = [];
  for (const list of votes.values())
    for (let i = 0; i < list.length; i++)
      for (let j = i + 1; j < list.length; j++) {
        const a = list[i]!;
        const b = list[j]!;
        if (a.rater !== undefined && a.rater === b.rater) continue;
        humanHumanPairs.push({ human: a.verdict, evaluator: b.verdict });
      }

  const results: PairwiseEvaluatorAgreement[] = [];
  const notes: string[] = [];
  const compare = (
    evaluator: string,
    source: PairwiseEvaluatorAgreement["source"],
    verdictOf: Map<string, Preference>,
  ) => {
    const compared: { human: Preference; evaluator: Preference }[] = [];
    let unmatched = 0;
    for (const [key, list] of votes) {
      const v = verdictOf.get(key);
      if (v === undefined) {
        unmatched += list.length;
        continue;
      }
      for (const h of list) compared.push({ human: h.verdict, evaluator: v });
    }
    const without = [...verdictOf.keys()].filter((k) => !votes.has(k)).length;
    results.push({
      evaluator,
      source,
      agreement: pairwiseAgreement(compared),
      humanVotesUnmatched: unmatched,
      verdictsWithoutHuman: without,
    });
    if (unmatched > 0)
      notes.push(
        `${evaluator}: ${unmatched} of ${human.length} human vote(s) have no verdict of this evaluator (not compared)`,
      );
  };

  const byEvaluator = new Map<string, Map<string, Preference>>();
  for (const v of verdicts) {
    const { key, swapped } = orient(v.inputId, v.modelA, v.modelB);
    let m = byEvaluator.get(v.evaluator);
    if (!m) {
      m = new Map();
      byEvaluator.set(v.evaluator, m);
    }
    m.set(key, swapped ? flip(v.verdict) : v.verdict);
  }
  for (const [evaluator, m] of byEvaluator) compare(evaluator, "verdicts", m);

  // scalar scores: (input, system) -> score per evaluator (a repeated line: the last one counts)
  const scoreOf = new Map<string, Map<string, number>>();
  for (const s of scores) {
    let m = scoreOf.get(s.evaluator);
    if (!m) {
      m = new Map();
      scoreOf.set(s.evaluator, m);
    }
    m.set(`${s.inputId}\u0000${s.systemId}`, s.score);
  }
  for (const [evaluator, m] of scoreOf) {
    const name = byEvaluator.has(evaluator) ? `${evaluator} (scores)` : evaluator;
    const verdictOf = new Map<string, Preference>();
    for (const [key, list] of votes) {
      const { inputId, low, high } = list[0]!;
      const a = m.get(`${inputId}\u0000${low}`);
      const b = m.get(`${inputId}\u0000${high}`);
      if (a !== undefined && b !== undefined) verdictOf.set(key, preferenceFromScores(a, b));
    }
    compare(name, "scores", verdictOf);
  }

  return {
    humanVotes: human.length,
    humanPairs: votes.size,
    raters: new Set(human.flatMap((h) => (h.raterId !== undefined ? [h.raterId] : []))).size,
    humanHuman: humanHumanPairs.length > 0 ? pairwiseAgreement(humanHumanPairs) : null,
    results,
    notes,
  };
}

/** Markdown table of a pairwise meta-evaluation (rates with their counts). */
export function renderPairwiseMetaMarkdown(meta: PairwiseMeta): string {
  const rate = (r: number | null, k: number) =>
    r === null ? `n/a (0)` : `${r.toFixed(3)} (${Math.round(r * k)}/${k})`;
  const lines = [
    `Pairwise agreement with ${meta.humanVotes} human vote(s) on ${meta.humanPairs} pair(s), ${meta.raters} rater(s) (MT-Bench: per vote; without ties drops comparisons where either side says tie)`,
    "",
    "| evaluator | source | compared votes | agree with ties | agree without ties | human votes without a verdict |",
    "|---|---|---|---|---|---|",
  ];
  const row = (name: string, source: string, a: PairwiseAgreement, unmatched: string) =>
    lines.push(
      `| ${name} | ${source} | ${a.pairs} | ${rate(a.agreeWithTies, a.pairs)} | ${rate(a.agreeWithoutTies, a.pairsWithoutTies)} | ${unmatched} |`,
    );
  if (meta.humanHuman) row("human vs human", "votes", meta.humanHuman, "–");
  for (const r of meta.results) row(r.evaluator, r.source, r.agreement, String(r.humanVotesUnmatched));
  return `${lines.join("\n")}\n`;
}
