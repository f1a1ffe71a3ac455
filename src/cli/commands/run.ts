import type { Command } from "commander";
import { loadExperiment } from "../../config/load.ts";
import { createRunView } from "../../experiment/progress.ts";
import { checkSelection, runExperiment, type StageOutcome } from "../../experiment/runner.ts";
import { STAGE_IDS, type StageId } from "../../experiment/stage.ts";
import "../../report/artifact.ts"; // registers the report artifact kind
import type { CliContext, CommandDefinition } from "../context.ts";

/** Options of `wayfarer run` (and of the single-stage commands). */
export interface RunCommandOptions {
  experiment: string;
  /** Comma-separated artifacts to run: ids (adapter:sft), kinds (answers), globs (scores:*) or stages (train). */
  only?: string;
  /** Comma-separated artifacts to rerun together with everything downstream of them. */
  from?: string;
  /** Print one JSON event a line on stdout (artifact started/reused/done/failed). */
  events?: boolean;
  force?: boolean;
  json?: boolean;
}

/** Loads the experiment, runs its stages and prints a per-stage timing table. */
export async function runRun(opts: RunCommandOptions, ctx: CliContext): Promise<StageOutcome[]> {
  const exp = await loadExperiment(opts.experiment, ctx.cwd);
  const list = (s: string | undefined) =>
    s
      ? s
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean)
      : undefined;
  const only = list(opts.only);
  const from = list(opts.from);
  checkSelection(exp, { ...(only ? { only } : {}), ...(from ? { from } : {}) });
  // on a terminal: one live status line (artifact, items, rate, ETA, tokens, cost); else plain lines
  const progress = createRunView({
    write: ctx.err,
    isTTY: ctx.interactive,
    ...(ctx.columns ? { columns: ctx.columns } : {}),
  });
  progress.log(`wayfarer: experiment "${exp.config.name}" from ${exp.file} -> ${exp.runDir}`);
  const started = performance.now();
  let outcomes: StageOutcome[];
  try {
    outcomes = await runExperiment({
      exp,
      progress,
      force: opts.force ?? false,
      env: ctx.env,
      ...(only ? { only } : {}),
      ...(from ? { from } : {}),
      ...(opts.events ? { onEvent: (e: unknown) => ctx.out(`${JSON.stringify(e)}\n`) } : {}),
    });
  } finally {
    progress.close();
  }
  const total = (performance.now() - started) / 1000;
  if (opts.events) {
    // the events were the output
  } else if (opts.json) {
    ctx.out(
      `${JSON.stringify({ experiment: exp.config.name, runDir: exp.runDir, seconds: total, stages: outcomes }, null, 2)}\n`,
    );
  } else {
    const width = Math.max(10, ...outcomes.flatMap((o) => o.artifacts.map((a) => a.id.length)));
    ctx.out(`\n${"artifact".padEnd(width)} status    seconds\n`);
    for (const o of outcomes)
      for (const a of o.artifacts)
        ctx.out(`${a.id.padEnd(width)} ${a.status.padEnd(9)} ${a.seconds.toFixed(1).padStart(7)}\n`);
    ctx.out(`${"total".padEnd(width)}           ${total.toFixed(1).padStart(7)}\n`);
    if (outcomes.some((o) => o.stage === "report")) ctx.out(`report: ${exp.runDir}/report/report.html\n`);
  }
  return outcomes;
}

export const runCommand: CommandDefinition = {
  name: "run",
  register(program: Command, ctx: CliContext) {
    program
      .command("run")
      .description(
        "Run an experiment's artifact graph (datasets, adapters, each variant's answers and scores, selections, meta, report); unchanged artifacts are reused, a killed run resumes",
      )
      .argument("<experiment>", "experiment YAML file")
      .option(
        "--only <artifacts>",
        `comma-separated artifacts to run (ids like adapter:sft, kinds like answers, globs like scores:*, or stages: ${STAGE_IDS.join(",")}); the rest is used as it is`,
      )
      .option("--from <artifacts>", "rerun these artifacts and everything that reads them, changed or not")
      .option("--force", "rerun every selected artifact even when its inputs and settings are unchanged")
      .option("--json", "print the outcome as JSON")
      .option("--events", "print one JSON event a line on stdout while running (for machines)")
      .action(async (experiment: string, opts: Omit<RunCommandOptions, "experiment">) => {
        await runRun({ ...opts, experiment }, ctx);
      });
  },
};

/** `wayfarer <stage> <experiment.yaml>` for the stages that have no standalone command of their own. */
export function stageCommand(stage: StageId, description: string): CommandDefinition {
  return {
    name: stage,
    register(program: Command, ctx: CliContext) {
      program
        .command(stage)
        .description(`${description} (one stage of an experiment; its inputs must exist)`)
        .argument("<experiment>", "experiment YAML file")
        .option("--force", "rerun even when inputs and settings are unchanged")
        .option("--json", "print the outcome as JSON")
        .action(async (experiment: string, opts: { force?: boolean; json?: boolean }) => {
          await runRun({ ...opts, experiment, only: stage }, ctx);
        });
    },
  };
}
