import { resolve } from "node:path";
import type { Command } from "commander";
import { IMPORT_FORMATS, type ImportFormat, SUBREDDIT_NAME } from "../../config/import.ts";
import { ConfigError } from "../../errors/config-error.ts";
import { InputError } from "../../errors/input-error.ts";
import { type ImportReport, importThreads } from "../../reddit/import.ts";
import type { CliContext, CommandDefinition } from "../context.ts";

/** Options of `wayfarer import`. */
export interface ImportCommandOptions {
  /** Files or directories to read. */
  paths: string[];
  /** Forces one format for every path (auto-detected per file when absent). */
  format?: string;
  /** Threads JSONL to write. */
  out: string;
  /** Comma-separated subreddit names: keep only their threads. */
  subreddits?: string;
  json?: boolean;
}

/** Imports every path into one threads JSONL and prints the report (skips with file:line). */
export async function runImport(opts: ImportCommandOptions, ctx: CliContext): Promise<ImportReport> {
  if (opts.format !== undefined && !IMPORT_FORMATS.includes(opts.format as ImportFormat)) {
    throw new ConfigError(`--format ${opts.format}: unknown format; use one of ${IMPORT_FORMATS.join(", ")}`);
  }
  const format = opts.format as ImportFormat | undefined;
  let subreddits: string[] | undefined;
  if (opts.subreddits !== undefined) {
    subreddits = opts.subreddits
      .split(",")
      .map((n) => n.trim())
      .filter(Boolean);
    const bad = subreddits.find((n) => !SUBREDDIT_NAME.test(n));
    if (subreddits.length === 0 || bad !== undefined)
      throw new ConfigError(
        `--subreddits ${opts.subreddits}: ${bad === undefined ? "no name given" : `"${bad}" is not a subreddit name`}; give names separated by commas, e.g. travel,solotravel,JapanTravel`,
      );
  }
  const outFile = resolve(ctx.cwd, opts.out);
  const millions = new Map<string, number>();
  const report = await importThreads({
    inputs: opts.paths.map((p) => ({ path: resolve(ctx.cwd, p), ...(format ? { format } : {}) })),
    outFile,
    ...(subreddits ? { subreddits } : {}),
    onProgress: ({ file, records }) => {
      // A terminal gets one line redrawn; a log (nohup, CI) a line per million records of a file.
      if (ctx.interactive) ctx.err(`\r\u001b[K${file}: ${records} records`);
      else if (Math.floor(records / 1_000_000) > (millions.get(file) ?? 0)) {
        millions.set(file, Math.floor(records / 1_000_000));
        ctx.err(`${file}: ${records} records\n`);
      }
    },
  });
  if (ctx.interactive) ctx.err("\n");
  if (opts.json) {
    ctx.out(`${JSON.stringify(report, null, 2)}\n`);
    return report;
  }
  ctx.out(`${report.files} files -> ${report.threads} threads, ${report.comments} comments -> ${outFile}\n`);
  const loc = (s: { file: string; line?: number; field?: string }) =>
    `${s.file}${s.line !== undefined ? `:${s.line}` : ""}${s.field ? ` field "${s.field}"` : ""}`;
  if (report.skippedCount > 0) {
    ctx.err(
      `skipped ${report.skippedCount} record(s)${report.skippedCount > report.skipped.length ? ` (first ${report.skipped.length} shown)` : ""}:\n`,
    );
    for (const s of report.skipped) ctx.err(`  ${loc(s)}: ${s.reason}\n`);
  }
  if (report.filtered.posts + report.filtered.comments > 0)
    ctx.err(
      `left out ${report.filtered.posts} post(s) and ${report.filtered.comments} comment(s) of other subreddits (--subreddits)\n`,
    );
  if (report.warningCount > 0) {
    ctx.err(`repaired ${report.warningCount} record(s):\n`);
    for (const s of report.warnings.slice(0, 20)) ctx.err(`  ${loc(s)}: ${s.reason}\n`);
  }
  if (report.threads === 0)
    throw new InputError({ file: outFile }, `nothing was imported: ${emptyImportReason(report)}`);
  return report;
}

/**
 * Why an import wrote no thread, in words: every record skipped, every thread of another subreddit, or
 * inputs that hold no records at all (an empty file, a folder without files of a known format).
 */
export function emptyImportReason(report: ImportReport): string {
  if (report.skippedCount > 0)
    return "every input record or file was skipped (reasons above); the file holds no threads";
  if (report.filtered.posts + report.filtered.comments > 0)
    return `every thread was of another subreddit than --subreddits (${report.filtered.posts} post(s), ${report.filtered.comments} comment(s) left out); the file holds no threads`;
  return `the input${report.files === 1 ? "" : "s"} (${report.files} file${report.files === 1 ? "" : "s"} read) hold no records; the file holds no threads`;
}

export const importCommand: CommandDefinition = {
  name: "import",
  register(program: Command, ctx: CliContext) {
    program
      .command("import")
      .description(
        "Read Reddit dumps/exports (CSV, Reddit JSON, Pushshift .zst NDJSON, threads JSONL) into threads JSONL",
      )
      .argument("<paths...>", "files or directories (all matching files inside, sorted)")
      .requiredOption("-o, --out <file>", "threads JSONL to write")
      .option("--format <format>", `force the format: ${IMPORT_FORMATS.join(" | ")} (default: detect per file)`)
      .option(
        "--subreddits <names>",
        "keep only threads of these subreddits, comma-separated, case-insensitive (e.g. travel,solotravel,JapanTravel)",
      )
      .option("--json", "print the report as JSON")
      .action(async (paths: string[], opts: Omit<ImportCommandOptions, "paths">) => {
        await runImport({ ...opts, paths }, ctx);
      });
  },
};
