import { resolve } from "node:path";
import type { Command } from "commander";
import { ConfigError } from "../../errors/config-error.ts";
import {
  type ImportResult,
  type MetricScore,
  readHumanJudgments,
  readMetricScores,
} from "../../evaluation/meta/judgments.ts";
import { META_LEVELS, type MetaEvaluation, type MetaLevel, metaEvaluate } from "../../evaluation/meta/meta-evaluate.ts";
import {
  type PairwiseMeta,
  pairwiseMetaEvaluate,
  readHumanPairwise,
  readPairwiseVerdicts,
  renderPairwiseMetaMarkdown,
} from "../../evaluation/meta/pairwise-verdicts.ts";
import { buildTrustTable, renderTrustTableMarkdown, type TrustTable } from "../../evaluation/meta/trust-table.ts";
import { humanNotes } from "../../report/human-section.ts";
import type { CliContext, CommandDefinition } from "../context.ts";

/** Options of `wayfarer meta`. */
export interface MetaCommandOptions {
  /** Human judgments JSONL (`{input_id, system_id, rater_id?, criterion, score}`). */
  human?: string;
  /** Evaluator scores JSONL (`{input_id, system_id, evaluator, score}`, or the evaluate stage's scores.jsonl). */
  scores?: string;
  /** Human pairwise choices JSONL (`{input_id, model_a, model_b, verdict: A|B|tie, rater_id?}`). */
  humanPairwise?: string;
  /** Evaluator pairwise verdicts JSONL (`{input_id, model_a, model_b, verdict: A|B|tie, evaluator}`). */
  pairwiseScores?: string;
  /** Levels to compute; default all. */
  level?: MetaLevel[];
  /** Human criteria; default all in the file. */
  criterion?: string[];
  /** Bootstrap resamples (default 1000). */
  resamples?: number;
  /** Bootstrap seed (default 1). */
  seed?: number;
  /** Skip and count invalid lines instead of failing. */
  skipInvalid?: boolean;
  json?: boolean;
}

/** JSON output of `wayfarer meta --json`. */
export interface MetaCommandResult {
  /** Skipped lines by reason, per input file given (keys: human, scores, humanPairwise, pairwiseScores). */
  skipped: Record<string, Record<string, number>>;
  /** Per input file: fields present in its lines that were not read, with the number of lines. */
  unread: Record<string, Record<string, number>>;
  /** Correlations with the scalar human judgments; null without --human. */
  meta: MetaEvaluation | null;
  /** Agreement with the human pairwise choices; absent without --human-pairwise. */
  pairwise?: PairwiseMeta;
}

/** Reads both files, runs the meta-evaluation and prints a table (or JSON). */
export function runMeta(opts: MetaCommandOptions, ctx: CliContext): MetaCommandResult {
  const levels = opts.level ?? [...META_LEVELS];
  for (const l of levels)
    if (!META_LEVELS.includes(l)) throw new ConfigError(`--level ${l}: unknown level; use item, input or system`);
  if (!opts.human && !opts.humanPairwise)
    throw new ConfigError("give --human (scalar judgments) and/or --human-pairwise (pairwise choices)");
  if (opts.human && !opts.scores) throw new ConfigError("--human needs --scores (the evaluator scores to compare)");
  if (opts.pairwiseScores && !opts.humanPairwise)
    throw new ConfigError("--pairwise-scores needs --human-pairwise (the human choices to compare with)");
  if (opts.humanPairwise && !opts.pairwiseScores && !opts.scores)
    throw new ConfigError("--human-pairwise needs --pairwise-scores and/or --scores (the evaluators to compare)");
  const importOptions = { skipInvalid: opts.skipInvalid ?? false };
  const files: { name: string; label: string; result: ImportResult<unknown> }[] = [];
  const read = <T>(name: string, label: string, reader: (f: string, o: typeof importOptions) => ImportResult<T>) => {
    const r = reader(resolve(ctx.cwd, label), importOptions);
    files.push({ name, label, result: r });
    return r;
  };
  const scores: ImportResult<MetricScore> | undefined = opts.scores
    ? read("scores", opts.scores, readMetricScores)
    : undefined;
  if (scores && scores.records.length === 0)
    throw new ConfigError(`${opts.scores}: no evaluator scores found${skippedNote(scores)}`);
  let meta: MetaEvaluation | null = null;
  if (opts.human) {
    const human = read("human", opts.human, readHumanJudgments);
    if (human.records.length === 0)
      throw new ConfigError(`${opts.human}: no human judgments found${skippedNote(human)}`);
    meta = metaEvaluate(human.records, scores!.records, {
      levels,
      ...(opts.criterion ? { criteria: opts.criterion } : {}),
      ...(opts.resamples !== undefined ? { resamples: opts.resamples } : {}),
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    });
  }
  let pairwise: PairwiseMeta | undefined;
  if (opts.humanPairwise) {
    const choices = read("humanPairwise", opts.humanPairwise, readHumanPairwise);
    if (choices.records.length === 0)
      throw new ConfigError(`${opts.humanPairwise}: no human pairwise choices found${skippedNote(choices)}`);
    const verdicts = opts.pairwiseScores
      ? read("pairwiseScores", opts.pairwiseScores, readPairwiseVerdicts)
      : undefined;
    if (verdicts && verdicts.records.length === 0)
      throw new ConfigError(`${opts.pairwiseScores}: no pairwise verdicts found${skippedNote(verdicts)}`);
    pairwise = pairwiseMetaEvaluate(choices.records, verdicts?.records ?? [], scores?.records ?? []);
  }
  // A field we do not read is most often a misspelt one (rater for rater_id): say so, even with --json.
  for (const f of files)
    for (const [field, n] of Object.entries(f.result.unread))
      ctx.err(`${f.label}: field "${field}" is not read (${n} line(s)); the fields read are listed in --help\n`);
  const result: MetaCommandResult = {
    skipped: Object.fromEntries(files.map((f) => [f.name, f.result.skipped])),
    unread: Object.fromEntries(files.map((f) => [f.name, f.result.unread])),
    meta,
    ...(pairwise ? { pairwise } : {}),
  };
  if (opts.json) {
    ctx.out(`${JSON.stringify(result, null, 2)}\n`);
    return result;
  }
  for (const f of files)
    for (const [reason, n] of Object.entries(f.result.skipped))
      ctx.err(`${f.label}: skipped ${n} line(s) (${reason})\n`);
  if (meta) {
    for (const h of meta.human)
      ctx.out(
        `human "${h.criterion}": ${h.items} items, ${h.ratings} ratings, ${h.raters} raters, ${h.itemsWithTwoRatings} items with ≥ 2 ratings\n`,
      );
    ctx.out("\n");
    let table: TrustTable | undefined;
    for (const method of ["kendall", "spearman", "pearson"] as const) {
      table = buildTrustTable(meta, { method });
      ctx.out(renderTrustTableMarkdown({ ...table, notes: [] }));
      ctx.out("\n");
    }
    // the notes are the same for the three tables: said once, grouped
    for (const n of humanNotes([], meta, table ?? null)) ctx.out(`- ${n}\n`);
    ctx.out("\n");
  }
  if (pairwise) {
    ctx.out(renderPairwiseMetaMarkdown(pairwise));
    for (const n of pairwise.notes) ctx.out(`- ${n}\n`);
    ctx.out("\n");
  }
  return result;
}

/** ` (skipped: 3 line(s) invalid, first: file:2 ...)` for an import that kept nothing; "" when nothing was skipped. */
function skippedNote(r: ImportResult<unknown>): string {
  const parts = Object.entries(r.skipped).map(([reason, n]) => `${n} line(s) ${reason}`);
  if (parts.length === 0) return "";
  return ` (skipped ${parts.join(", ")}${r.problems[0] ? `; first: ${r.problems[0]}` : ""})`;
}

function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${name} ${v}: expected a whole number ≥ 0`);
    return n;
  };
}

const collect = (v: string, prev: string[] | undefined) => [
  ...(prev ?? []),
  ...v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean),
];

export const metaCommand: CommandDefinition = {
  name: "meta",
  register(program: Command, ctx: CliContext) {
    program
      .command("meta")
      .description(
        "Agreement of each automatic evaluator with human ratings (Pearson, Spearman, Kendall tau-b with bootstrap CIs) and with human pairwise choices (with and without ties)",
      )
      .option(
        "--human <file>",
        "human judgments JSONL: {input_id, system_id, rater_id?, criterion, score} (what `wayfarer human export --what judgments` writes)",
      )
      .option(
        "--scores <file>",
        "evaluator scores JSONL: {input_id, system_id, evaluator, score}, or runs/<name>/evaluate/scores.jsonl as the evaluate stage writes it",
      )
      .option(
        "--human-pairwise <file>",
        "human pairwise choices JSONL: {input_id, model_a, model_b, verdict: A|B|tie, rater_id?}",
      )
      .option(
        "--pairwise-scores <file>",
        "evaluator pairwise verdicts JSONL: {input_id, model_a, model_b, verdict: A|B|tie, evaluator} (or evaluate/pairwise.jsonl)",
      )
      .option("--level <level>", "item | input | system (repeatable or comma-separated; default all)", collect)
      .option("--criterion <name>", "human criterion to compare against (repeatable; default all)", collect)
      .option("--resamples <n>", "bootstrap resamples (default 1000; 0 = no CIs)", positiveInt("--resamples"))
      .option("--seed <n>", "bootstrap seed (default 1)", positiveInt("--seed"))
      .option("--skip-invalid", "skip and count invalid lines instead of stopping at the first")
      .option("--json", "print JSON")
      .action((opts: MetaCommandOptions) => {
        runMeta(opts, ctx);
      });
  },
};
