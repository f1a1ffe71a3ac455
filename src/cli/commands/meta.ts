import { resolve } from "node:path";
import type { Command } from "commander";
import { ConfigError } from "../../errors/config-error.ts";
import { readHumanJudgments, readMetricScores } from "../../evaluation/meta/judgments.ts";
import { META_LEVELS, type MetaEvaluation, type MetaLevel, metaEvaluate } from "../../evaluation/meta/meta-evaluate.ts";
import { buildTrustTable, renderTrustTableMarkdown } from "../../evaluation/meta/trust-table.ts";
import type { CliContext, CommandDefinition } from "../context.ts";

/** Options of `wayfarer meta`. */
export interface MetaCommandOptions {
  /** Human judgments JSONL (`{input_id, system_id, rater_id?, criterion, score}`). */
  human: string;
  /** Evaluator scores JSONL (`{input_id, system_id, evaluator, score}`). */
  scores: string;
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
  skipped: { human: Record<string, number>; scores: Record<string, number> };
  meta: MetaEvaluation;
}

/** Reads both files, runs the meta-evaluation and prints a table (or JSON). */
export function runMeta(opts: MetaCommandOptions, ctx: CliContext): MetaCommandResult {
  const levels = opts.level ?? [...META_LEVELS];
  for (const l of levels)
    if (!META_LEVELS.includes(l)) throw new ConfigError(`--level ${l}: unknown level; use item, input or system`);
  const importOptions = { skipInvalid: opts.skipInvalid ?? false };
  const human = readHumanJudgments(resolve(ctx.cwd, opts.human), importOptions);
  const scores = readMetricScores(resolve(ctx.cwd, opts.scores), importOptions);
  if (human.records.length === 0) throw new ConfigError(`${opts.human}: no human judgments found`);
  if (scores.records.length === 0) throw new ConfigError(`${opts.scores}: no evaluator scores found`);
  const meta = metaEvaluate(human.records, scores.records, {
    levels,
    ...(opts.criterion ? { criteria: opts.criterion } : {}),
    ...(opts.resamples !== undefined ? { resamples: opts.resamples } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
  });
  const result: MetaCommandResult = { skipped: { human: human.skipped, scores: scores.skipped }, meta };
  if (opts.json) {
    ctx.out(`${JSON.stringify(result, null, 2)}\n`);
    return result;
  }
  const skippedText = (what: string, s: Record<string, number>) =>
    Object.entries(s).map(([reason, n]) => `${what}: skipped ${n} line(s) (${reason})`);
  for (const line of [...skippedText(opts.human, human.skipped), ...skippedText(opts.scores, scores.skipped)])
    ctx.err(`${line}\n`);
  for (const h of meta.human)
    ctx.out(
      `human "${h.criterion}": ${h.items} items, ${h.ratings} ratings, ${h.raters} raters, ${h.itemsWithTwoRatings} items with ≥ 2 ratings\n`,
    );
  ctx.out("\n");
  for (const method of ["kendall", "spearman", "pearson"] as const) {
    ctx.out(renderTrustTableMarkdown(buildTrustTable(meta, { method })));
    ctx.out("\n");
  }
  return result;
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
        "Agreement of each automatic evaluator with human ratings (Pearson, Spearman, Kendall tau-b with bootstrap CIs)",
      )
      .requiredOption("--human <file>", "human judgments JSONL: {input_id, system_id, rater_id?, criterion, score}")
      .requiredOption("--scores <file>", "evaluator scores JSONL: {input_id, system_id, evaluator, score}")
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
