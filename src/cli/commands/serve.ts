import { resolve } from "node:path";
import type { Command } from "commander";
import { loadExperiment } from "../../config/load.ts";
import { ConfigError } from "../../errors/config-error.ts";
import { LlamaRuntime } from "../../models/llama-generator.ts";
import type { Retriever } from "../../retrieval/types.ts";
import { ChatService } from "../../server/chat-service.ts";
import { WayfarerServer } from "../../server/server.ts";
import { Store } from "../../store/store.ts";
import type { CliContext, CommandDefinition } from "../context.ts";

function positiveInt(flag: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${flag} ${v}: expected an integer >= 1`);
    return n;
  };
}

/** Default store file of a workspace, relative to the working directory. */
export const DEFAULT_STORE = "runs/wayfarer.sqlite";

/** Options of `wayfarer serve`. */
export interface ServeCommandOptions {
  /** Experiment file: adds the chat page and the OpenAI-compatible API for its variants. */
  experiment?: string;
  /** Serve only these variants (repeatable). */
  variant?: string[];
  /** Parallel sequences per local (base, adapter) context. Default 4. */
  sequences?: number;
  /** Requests running or waiting at once before 429. Default 64. */
  maxPending?: number;
  /** Store file (default runs/wayfarer.sqlite; with an experiment, the experiment's store). */
  store?: string;
  /** Interface (default 127.0.0.1). */
  host?: string;
  /** Port (default 8080; 0 = any free port). */
  port?: number;
}

/** What `runServe` can be given besides flags (the lead wires the retrieval index here). */
export interface ServeDeps {
  /** Opens the experiment's retrieval index, for variants with `retrieval`. */
  retriever?: () => Promise<Retriever>;
}

/**
 * Starts the server and resolves when `signal` aborts (the command wires SIGINT/SIGTERM to it).
 * Prints `listening on <url>` once bound. With an experiment, its variants are served as chat models; the API
 * key comes from `WAYFARER_API_KEY` (required when binding beyond loopback).
 */
export async function runServe(
  opts: ServeCommandOptions,
  ctx: CliContext,
  signal: AbortSignal,
  deps: ServeDeps = {},
): Promise<void> {
  const exp = opts.experiment ? await loadExperiment(opts.experiment, ctx.cwd) : undefined;
  const store = Store.open(
    opts.store ? resolve(ctx.cwd, opts.store) : (exp?.storePath ?? resolve(ctx.cwd, DEFAULT_STORE)),
  );
  let runtime: Promise<LlamaRuntime> | undefined;
  const chat = exp
    ? ChatService.fromExperiment(exp, {
        runtime: () => {
          runtime ??= LlamaRuntime.create({ gpu: ctx.env.WAYFARER_GPU === "auto" });
          return runtime;
        },
        env: ctx.env,
        ...(deps.retriever ? { retriever: deps.retriever } : {}),
        ...(opts.sequences ? { sequences: opts.sequences } : {}),
        ...(opts.maxPending ? { maxPending: opts.maxPending } : {}),
        ...(opts.variant?.length ? { only: opts.variant } : {}),
      })
    : undefined;
  try {
    const apiKey = ctx.env.WAYFARER_API_KEY || undefined;
    const server = await WayfarerServer.create({
      store,
      host: opts.host ?? "127.0.0.1",
      port: opts.port ?? 8080,
      ...(chat ? { chat } : {}),
      ...(apiKey ? { apiKey } : {}),
    });
    if (chat)
      ctx.err(
        `chat models: ${chat.variants.map((v) => v.name).join(", ")} — page ${server.url}/chat, API ${server.url}/v1${apiKey ? " (key: WAYFARER_API_KEY)" : ""}\n`,
      );
    ctx.out(`listening on ${server.url}\n`);
    await new Promise<void>((done) => {
      if (signal.aborted) return done();
      signal.addEventListener("abort", () => done(), { once: true });
    });
    await server.dispose();
  } finally {
    await chat?.dispose();
    if (runtime) await (await runtime.catch(() => undefined))?.dispose();
    store.dispose();
  }
}

export const serveCommand: CommandDefinition = {
  name: "serve",
  register(program: Command, ctx: CliContext) {
    program
      .command("serve")
      .argument("[experiment]", "experiment file: serve its variants (chat page /chat, OpenAI-compatible API /v1)")
      .description(
        "Start the Wayfarer server: rater UI (raters open their personal links); with an experiment, a chat page and an OpenAI-compatible API for its variants",
      )
      .option("--variant <name...>", "serve only these variants")
      .option("--sequences <n>", "parallel sequences per local model context (default 4)", positiveInt("--sequences"))
      .option("--max-pending <n>", "requests running or waiting before 429 (default 64)", positiveInt("--max-pending"))
      .option("--store <file>", `store file (default ${DEFAULT_STORE})`)
      .option("--host <host>", "interface to bind (default 127.0.0.1; 0.0.0.0 for the network)")
      .option("--port <n>", "port (default 8080; 0 = any free port)", (v: string) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`--port ${v}: expected 0–65535`);
        return n;
      })
      .action(async (experiment: string | undefined, opts: ServeCommandOptions) => {
        const controller = new AbortController();
        const stop = () => controller.abort();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
        try {
          await runServe({ ...opts, ...(experiment ? { experiment } : {}) }, ctx, controller.signal);
        } finally {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
        }
      });
  },
};
