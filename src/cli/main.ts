import { Command, CommanderError } from "commander";
import { printable } from "../errors/printable.ts";
import { WayfarerError } from "../errors/wayfarer-error.ts";
import { COMMANDS } from "./commands/registry.ts";
import type { CliContext } from "./context.ts";

/** Builds the `wayfarer` program with every command registered. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command("wayfarer")
    .description("Reddit travel threads -> fine-tuned chatbots -> evaluators you can trust")
    .version("0.1.0")
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.out(s), writeErr: (s) => ctx.err(s) });
  for (const command of COMMANDS) command.register(program, ctx);
  return program;
}

/** What an operating-system error on a path means to a user; the codes a bad path or disk gives. */
const FS_ERRORS: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOTDIR: "a path component is a file, not a folder",
  EISDIR: "is a folder, not a file",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  EEXIST: "already exists",
  ENAMETOOLONG: "name too long",
  EMFILE: "too many open files",
};

/** `<path>: <meaning>` for a Node file-system error on a path (ENOENT excluded: commands check inputs), else null. */
export function fileSystemMessage(error: unknown): string | null {
  const e = error as (NodeJS.ErrnoException & { dest?: string }) | undefined;
  if (!e || typeof e.code !== "string" || !(e.code in FS_ERRORS)) return null;
  const path = e.dest ?? e.path;
  return `${path ?? "(file system)"}: ${FS_ERRORS[e.code]} (${e.code}${e.syscall ? ` in ${e.syscall}` : ""})`;
}

/**
 * Runs the CLI with `argv` (without node and script). Returns the exit code. Expected failures
 * (`WayfarerError`) print one line `wayfarer: <message>`; other errors are bugs and print a stack.
 */
export async function main(argv: string[], ctx: CliContext): Promise<number> {
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (WayfarerError.isInstance(error)) {
      ctx.err(`wayfarer: ${printable(error.message)}\n`);
      return 1;
    }
    const fsMessage = fileSystemMessage(error);
    if (fsMessage) {
      ctx.err(`wayfarer: ${printable(fsMessage)}\n`);
      return 1;
    }
    ctx.err(`wayfarer: internal error (please report): ${(error as Error)?.stack ?? String(error)}\n`);
    return 2;
  }
}

const isEntry =
  process.argv[1] !== undefined && import.meta.url === (await import("node:url")).pathToFileURL(process.argv[1]).href;
if (isEntry || process.env.WAYFARER_CLI_ENTRY === "1") {
  const code = await main(process.argv.slice(2), {
    cwd: process.cwd(),
    env: process.env,
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    interactive: Boolean(process.stderr.isTTY),
    ...(process.stderr.columns ? { columns: process.stderr.columns } : {}),
  });
  process.exitCode = code;
}
