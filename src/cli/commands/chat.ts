import { createInterface } from "node:readline";
import type { Command } from "commander";
import { loadExperiment } from "../../config/load.ts";
import { ConfigError } from "../../errors/config-error.ts";
import { experimentRetriever } from "../../experiment/experiment-retriever.ts";
import type { ChatMessage } from "../../models/generator.ts";
import { LlamaRuntime } from "../../models/llama-generator.ts";
import type { Retriever } from "../../retrieval/index.ts";
import { ChatService } from "../../server/chat-service.ts";
import type { CliContext, CommandDefinition } from "../context.ts";

/** Options of `wayfarer chat`. */
export interface ChatCommandOptions {
  experiment: string;
  /** The variant to talk to; default the experiment's first. */
  variant?: string;
}

/** What `runChat` reads besides flags: the lines typed (tests pass their own) and the retrieval index. */
export interface ChatDeps {
  /** Lines typed by the user; default stdin. */
  input?: AsyncIterable<string>;
  /** Opens the retrieval index for a RAG variant; default the experiment's (experiment-retriever.ts). */
  retriever?: () => Promise<Retriever>;
  /** Prompt printed before each question (default "> " on a terminal, nothing otherwise). */
  prompt?: string;
}

/**
 * Talks to one variant of an experiment in the terminal: each line is a question, the answer streams to stdout,
 * then (RAG variants) its sources, numbered. `/reset` starts a new conversation, `/exit` (or end of input) quits.
 * Returns the number of answers given.
 */
export async function runChat(opts: ChatCommandOptions, ctx: CliContext, deps: ChatDeps = {}): Promise<number> {
  const exp = await loadExperiment(opts.experiment, ctx.cwd);
  const name = opts.variant ?? exp.config.generate.variants[0]!.name;
  let runtime: Promise<LlamaRuntime> | undefined;
  const index = deps.retriever ? undefined : experimentRetriever(exp, ctx.env);
  const chat = ChatService.fromExperiment(exp, {
    runtime: () => {
      runtime ??= LlamaRuntime.create({ gpu: ctx.env.WAYFARER_GPU === "auto" });
      return runtime;
    },
    env: ctx.env,
    sequences: 1,
    only: [name],
    retriever: deps.retriever ?? index!.open,
  });
  const input = deps.input ?? createInterface({ input: process.stdin, terminal: false });
  const prompt = deps.prompt ?? (ctx.interactive ? "> " : "");
  const v = chat.variants[0]!;
  ctx.err(
    `chatting with ${v.name} (base ${v.base}${v.adapter ? `, adapter ${v.adapter}` : ""}${v.retrieval ? `, retrieval top-${v.retrieval.k}` : ""}); /reset, /exit\n`,
  );
  let history: ChatMessage[] = [];
  let answers = 0;
  try {
    if (prompt) ctx.err(prompt);
    for await (const raw of input) {
      const line = raw.trim();
      if (line === "/exit") break;
      if (line === "/reset") {
        history = [];
        ctx.err("(new conversation)\n");
      } else if (line) {
        const messages: ChatMessage[] = [...history, { role: "user", content: line }];
        const prepared = await chat.prepare({ model: name, messages });
        let text = "";
        try {
          const { stream } = await prepared.generator.doStream({ ...prepared.options, messages: prepared.messages });
          for await (const part of stream) {
            if (part.type === "text-delta") {
              text += part.delta;
              ctx.out(part.delta);
            }
          }
        } finally {
          prepared.release();
        }
        ctx.out("\n");
        for (const [i, s] of prepared.sources.entries())
          ctx.out(
            `  [${i + 1}] ${s.title ? `${oneLine(s.title)} — ` : ""}${oneLine(s.text).slice(0, 160)} (thread ${s.source.threadId})\n`,
          );
        history = [...messages, { role: "assistant", content: text }];
        answers++;
      }
      if (prompt) ctx.err(prompt);
    }
  } finally {
    await chat.dispose();
    await index?.dispose();
    if (runtime) await (await runtime.catch(() => undefined))?.dispose();
  }
  return answers;
}

/** Control characters (terminal escapes in Reddit text) and line breaks as spaces. */
function oneLine(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  return s.replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").trim();
}

export const chatCommand: CommandDefinition = {
  name: "chat",
  register(program: Command, ctx: CliContext) {
    program
      .command("chat")
      .argument("<experiment>", "experiment file")
      .option("--variant <name>", "the variant to talk to (default: the first)")
      .description("Talk to a variant of an experiment in the terminal (streamed answers, sources of RAG variants)")
      .action(async (experiment: string, opts: { variant?: string }) => {
        if (opts.variant !== undefined && opts.variant.trim() === "")
          throw new ConfigError("--variant: give a variant name");
        await runChat({ experiment, ...(opts.variant ? { variant: opts.variant } : {}) }, ctx);
      });
  },
};
