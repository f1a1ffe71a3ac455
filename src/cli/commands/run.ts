import type { Command } from "commander";
import { loadExperiment } from "../../config/load.ts";
import { ConfigError } from "../../errors/config-error.ts";
import { createProgress } from "../../experiment/progress.ts";
import { runExperiment, type StageOutcome } from "../../experiment/runner.ts";
import { STAGE_IDS, type StageId } from "../../experiment/stage.ts";
import type { CliContext, CommandDefinition } from "../context.ts";

/** Options of `wayfarer run` (and of the single-stage commands). */
export interface RunCommandOptions {
  experiment: string;
  /** Comma-separated stage ids to run (their inputs must exist). */
  only?: string;
  force?: boolean;
  json?: boolean;
}

/** Loads the experiment, runs its stages and prints a per-stage timing table. */
export async function runRun(opts: RunCommandOptions, ctx: CliContext): Promise<StageOutcome[]> {
  const exp = await loadExperiment(opts.experiment, ctx.cwd);
  let only: StageId[] | undefined;
  if (opts.only) {
    only = opts.only.split(",").map((s) => s.trim()) as StageId[];
    const bad = only.filter((s) => !STAGE_IDS.includes(s));
    if (bad.length)
      throw new ConfigError(`--only ${opts.only}: unknown stage(s) ${bad.join(", ")}; stages: ${STAGE_IDS.join(", ")}`);
  }
  const progress = createProgress(ctx.err, ctx.interactive);
  progress.log(`wayfarer: experiment "${exp.config.name}" from ${exp.file} -> ${exp.runDir}`);
  const started = performance.now();
  const outcomes = await runExperiment({
    exp,
    progress,
    force: opts.force ?? false,
    env: ctx.env,
    ...(only ? { only } : {}),
  });
  const total = (performance.now() - started) / 1000;
  if (opts.json) {
    ctx.out(
      `${JSON.stringify({ experiment: exp.config.name, runDir: exp.runDir, seconds: total, stages: outcomes }, null, 2)}\n`,
    );
  } else {
    ctx.out(`\nstage      status    seconds\n`);
    for (const o of outcomes)
      ctx.out(`${o.stage.padEnd(10)} ${o.status.padEnd(9)} ${o.seconds.toFixed(1).padStart(7)}\n`);
    ctx.out(`total                ${total.toFixed(1).padStart(7)}\n`);
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
        "Run an experiment end to end (import, corpus, datasets, train, generate, evaluate, report); unchanged stages are skipped",
      )
      .argument("<experiment>", "experiment YAML file")
      .option("--only <stages>", `comma-separated stages to run: ${STAGE_IDS.join(",")}`)
      .option("--force", "rerun stages even when their inputs and settings are unchanged")
      .option("--json", "print the outcome as JSON")
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
