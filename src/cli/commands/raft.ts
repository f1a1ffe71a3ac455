import { resolve } from "node:path";
import type { Command } from "commander";
import { checkRaftFile, QUOTE_MODES, type RaftFileCounts } from "../../datasets/raft-check.ts";
import { formatLocation } from "../../errors/input-error.ts";
import { printable } from "../../errors/printable.ts";
import type { CliContext, CommandDefinition } from "../context.ts";

/** Options of `wayfarer raft check`. */
export interface RaftCheckOptions {
  files: string[];
  json?: boolean;
}

const pct = (n: number, of: number) => (of > 0 ? `${((100 * n) / of).toFixed(1)}%` : "-");

/** The counts of one file as text (one line per count; modes named). */
export function formatRaftCounts(c: RaftFileCounts): string {
  const n = c.records;
  const row = (label: string, v: number, of = n) => `  ${label.padEnd(34)}${String(v).padStart(6)}  ${pct(v, of)}\n`;
  const modes = (label: string, v: Record<(typeof QUOTE_MODES)[number], number>, of = n) =>
    `  ${label.padEnd(34)}${QUOTE_MODES.map((m) => `${m} ${v[m]} (${pct(v[m], of)})`).join(", ")}\n`;
  let s = `${printable(c.file)}\n`;
  s += `  ${"records".padEnd(34)}${String(n).padStart(6)}  (${c.lines} lines, ${c.malformed} malformed)\n`;
  s += row("oracle document in context", c.oracleInContext);
  s += row("with quotes", c.withQuotes);
  s += row("quote markers balanced", c.markersBalanced);
  s += modes("all quotes verbatim", c.allQuotesVerbatim);
  s += modes(`quotes found in oracle (of ${c.quotes.total})`, c.quotes, c.quotes.total);
  s += row("<ANSWER>: present", c.answerTagPresent);
  s += row("<ANSWER>: exactly once", c.answerTagExactlyOnce);
  s += modes("valid", c.valid);
  s += modes("valid with >= 1 quote", c.validWithQuote);
  const failures = Object.entries(c.failuresStrict);
  if (failures.length > 0) s += `  failures (strict): ${failures.map(([k, v]) => `${k} ${v}`).join(", ")}\n`;
  for (const m of c.malformedLines)
    s += `  malformed: ${printable(formatLocation({ file: m.file, line: m.line, field: m.field }))}: ${printable(m.reason)}\n`;
  if (c.malformed > c.malformedLines.length)
    s += `  ... and ${c.malformed - c.malformedLines.length} more malformed lines\n`;
  return s;
}

/** Checks every file and prints the counts (text, or one JSON array with --json). */
export async function runRaftCheck(opts: RaftCheckOptions, ctx: CliContext): Promise<RaftFileCounts[]> {
  const results: RaftFileCounts[] = [];
  for (const f of opts.files) results.push(await checkRaftFile(resolve(ctx.cwd, f)));
  if (opts.json) ctx.out(`${JSON.stringify(results, null, 2)}\n`);
  else {
    ctx.out(
      "valid = quote markers balanced, exactly one <ANSWER>: with an answer, every quote found in the oracle under the mode (strict: byte for byte; whitespace: whitespace runs collapsed; lenient: also case, curly quotes and wrapping quotation marks ignored)\n",
    );
    for (const r of results) ctx.out(formatRaftCounts(r));
  }
  return results;
}

export const raftCommand: CommandDefinition = {
  name: "raft",
  register(program: Command, ctx: CliContext) {
    const raft = program.command("raft").description("RAFT datasets (gorilla raft.py format)");
    raft
      .command("check <files...>")
      .description(
        "Validate gorilla-format RAFT JSONL files and print counts: records, with quotes, all quotes verbatim (strict, whitespace-normalised, lenient), answer tag present, valid; malformed lines with file:line and field",
      )
      .option("--json", "print JSON")
      .action(async (files: string[], o: { json?: boolean }) => {
        await runRaftCheck({ files, ...o }, ctx);
      });
  },
};
