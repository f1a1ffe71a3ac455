import type { Command } from "commander";
import { compareRuns, type RunComparison, renderComparison, reportFileOf } from "../../report/compare.ts";
import type { CliContext, CommandDefinition } from "../context.ts";

/** Compares two runs' reports: settings that differ, results that moved beyond their intervals. */
export function runCompare(opts: { a: string; b: string; json?: boolean }, ctx: CliContext): RunComparison {
  const c = compareRuns(reportFileOf(opts.a, ctx.cwd), reportFileOf(opts.b, ctx.cwd));
  ctx.out(opts.json ? `${JSON.stringify(c, null, 2)}\n` : renderComparison(c));
  return c;
}

export const compareCommand: CommandDefinition = {
  name: "compare",
  register(program: Command, ctx: CliContext) {
    program
      .command("compare")
      .description("Compare two runs: settings that differ, results that moved beyond their 95% intervals")
      .argument("<runA>", "run folder (runs/<experiment>) or report.json")
      .argument("<runB>", "run folder (runs/<experiment>) or report.json")
      .option("--json", "print the comparison as JSON")
      .action((a: string, b: string, opts: { json?: boolean }) => {
        runCompare({ a, b, ...opts }, ctx);
      });
  },
};
