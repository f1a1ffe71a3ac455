import type { Command } from "commander";
import { loadExperiment } from "../../config/load.ts";
import { experimentStatus, type StatusRow } from "../../experiment/graph/status.ts";
import "../../report/artifact.ts"; // registers the report artifact kind
import type { CliContext, CommandDefinition } from "../context.ts";

/** Prints the state of every artifact of an experiment (a table, or JSON). */
export async function runStatus(opts: { experiment: string; json?: boolean }, ctx: CliContext): Promise<StatusRow[]> {
  const exp = await loadExperiment(opts.experiment, ctx.cwd);
  const rows = experimentStatus(exp);
  if (opts.json) {
    ctx.out(`${JSON.stringify({ experiment: exp.config.name, runDir: exp.runDir, artifacts: rows }, null, 2)}\n`);
    return rows;
  }
  const w = Math.max(8, ...rows.map((r) => r.id.length));
  ctx.out(`${"artifact".padEnd(w)} ${"state".padEnd(8)} ${"finished".padEnd(20)} ${"seconds".padStart(8)}  note\n`);
  for (const r of rows) {
    const note = [r.picked ? `picked ${r.picked}` : "", r.state === "done" ? "" : (r.reason ?? "")]
      .filter(Boolean)
      .join("; ");
    ctx.out(
      `${r.id.padEnd(w)} ${r.state.padEnd(8)} ${(r.finishedAt?.replace("T", " ").slice(0, 19) ?? "-").padEnd(20)} ${(r.seconds === null ? "-" : r.seconds.toFixed(1)).padStart(8)}  ${note}\n`,
    );
  }
  const by = (s: string) => rows.filter((r) => r.state === s).length;
  ctx.out(
    `${by("done")} done, ${by("stale")} stale, ${by("missing")} missing, ${by("running")} running, ${by("failed")} failed\n`,
  );
  return rows;
}

export const statusCommand: CommandDefinition = {
  name: "status",
  register(program: Command, ctx: CliContext) {
    program
      .command("status")
      .description("Show every artifact of an experiment: done / stale / missing / running / failed, with times")
      .argument("<experiment>", "experiment YAML file")
      .option("--json", "print the rows as JSON")
      .action(async (experiment: string, opts: { json?: boolean }) => {
        await runStatus({ ...opts, experiment }, ctx);
      });
  },
};
