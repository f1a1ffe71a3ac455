import type { CommandDefinition } from "../context.ts";

/** Every CLI command, in help order. Add one import and one entry per command file. */
export const COMMANDS: readonly CommandDefinition[] = [];
