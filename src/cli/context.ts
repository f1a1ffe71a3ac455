import type { Command } from "commander";

/** What a command may touch of the outside world; tests pass their own. */
export interface CliContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Normal output (results, JSON). */
  out: (text: string) => void;
  /** Progress and diagnostics. */
  err: (text: string) => void;
  /** True when stderr is a terminal (progress bars are drawn only then). */
  interactive: boolean;
  /** Width of the stderr terminal in characters, when it is one (the live status line is cut to it). */
  columns?: number;
}

/** One CLI command: `register` adds it to the program and wires its action to a `run<Name>` function. */
export interface CommandDefinition {
  name: string;
  register(program: Command, ctx: CliContext): void;
}
