import type { CommandDefinition } from "../context.ts";
import { corpusCommand } from "./corpus.ts";
import { humanCommand } from "./human.ts";
import { importCommand } from "./import.ts";
import { metaCommand } from "./meta.ts";
import { serveCommand } from "./serve.ts";

/** Every CLI command, in help order. Add one import and one entry per command file. */
export const COMMANDS: readonly CommandDefinition[] = [
  importCommand,
  corpusCommand,
  humanCommand,
  metaCommand,
  serveCommand,
];
