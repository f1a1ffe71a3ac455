import type { CommandDefinition } from "../context.ts";
import { collectCommand } from "./collect.ts";
import { corpusCommand } from "./corpus.ts";
import { goldenCommand } from "./golden.ts";
import { humanCommand } from "./human.ts";
import { importCommand } from "./import.ts";
import { metaCommand } from "./meta.ts";
import { raftCommand } from "./raft.ts";
import { runCommand, stageCommand } from "./run.ts";
import { scoreCommand } from "./score.ts";
import { serveCommand } from "./serve.ts";

/** Every CLI command, in help order. Add one import and one entry per command file. */
export const COMMANDS: readonly CommandDefinition[] = [
  runCommand,
  collectCommand,
  importCommand,
  corpusCommand,
  stageCommand("datasets", "Build every dataset (SFT, preferences, RAFT, golden drafts) with its card"),
  stageCommand("train", "Train the LoRA adapters (Python trainer) and export them to GGUF"),
  stageCommand("generate", "Answer the golden questions with every model variant"),
  stageCommand("evaluate", "Score every answer with every evaluator"),
  stageCommand("report", "Write the HTML/Markdown/JSON report"),
  scoreCommand,
  humanCommand,
  goldenCommand,
  metaCommand,
  raftCommand,
  serveCommand,
];
