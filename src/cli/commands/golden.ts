import { resolve } from "node:path";
import { createInterface } from "node:readline";
import type { Command } from "commander";
import { reviewInTerminal } from "../../datasets/golden-review.ts";
import type { CliContext, CommandDefinition } from "../context.ts";

/** Options of `wayfarer golden review`. */
export interface GoldenReviewOptions {
  file: string;
  /** Reviewed file (default FILE with .reviewed.jsonl). */
  out?: string;
  /** Name recorded on each decision (default $USER, else "reviewer"). */
  reviewer?: string;
}

/**
 * Reviews golden drafts in the terminal, reading decisions line by line from `input` (default stdin, so a
 * script can pipe them). Returns the number of decisions made.
 */
export async function runGoldenReview(
  opts: GoldenReviewOptions,
  ctx: CliContext,
  input: NodeJS.ReadableStream = process.stdin,
): Promise<number> {
  const rl = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  try {
    const r = await reviewInTerminal(
      {
        file: resolve(ctx.cwd, opts.file),
        ...(opts.out ? { out: resolve(ctx.cwd, opts.out) } : {}),
        reviewer: opts.reviewer ?? ctx.env.USER ?? "reviewer",
      },
      {
        readLine: async () => {
          const n = await lines.next();
          return n.done ? null : (n.value as string);
        },
        write: (t) => ctx.out(t),
      },
    );
    return r.decided;
  } finally {
    rl.close();
  }
}

export const goldenCommand: CommandDefinition = {
  name: "golden",
  register(program: Command, ctx: CliContext) {
    const golden = program.command("golden").description("Golden sets built by a teacher: review the drafts");
    golden
      .command("review <file>")
      .description(
        "Accept, edit or reject each golden draft (datasets/golden-drafts/drafts.jsonl) in the terminal; decisions go to FILE.reviewed.jsonl as you make them, and a later review resumes there",
      )
      .option("-o, --out <file>", "reviewed file (default FILE with .reviewed.jsonl)")
      .option("--reviewer <name>", "name recorded with each decision (default $USER)")
      .action(async (file: string, o: { out?: string; reviewer?: string }) => {
        await runGoldenReview({ file, ...o }, ctx);
      });
  },
};
