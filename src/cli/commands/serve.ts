import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { loadExperiment } from "../../config/load.ts";
import { DEFAULT_STORE, resolveStoreLocation } from "../../config/store-location.ts";
import { ConfigError } from "../../errors/config-error.ts";
import { InputError } from "../../errors/input-error.ts";
import { experimentRetriever } from "../../experiment/experiment-retriever.ts";
import { LlamaRuntime } from "../../models/llama-generator.ts";
import type { Retriever } from "../../retrieval/index.ts";
import { ChatService } from "../../server/chat-service.ts";
import { WayfarerServer } from "../../server/server.ts";
import { Store } from "../../store/store.ts";
import type { CliContext, CommandDefinition } from "../context.ts";

export { DEFAULT_STORE };

function positiveInt(flag: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${flag} ${v}: expected an integer >= 1`);
    return n;
  };
}

/** Options of `wayfarer serve`. */
export interface ServeCommandOptions {
  /** Experiment file: the server opens the store `wayfarer run` uses for it. */
  experiment?: string;
  /** Store file; overrides the experiment file's store (default runs/wayfarer.sqlite in the working folder). */
  store?: string;
  /** Interface (default 127.0.0.1). */
  host?: string;
  /** Port (default 8080; 0 = any free port). */
  port?: number;
  /** Golden drafts file to review in the browser at /r/<token>/golden. */
  golden?: string;
  /** Serve only these variants as chat models. */
  variant?: string[];
  /** Parallel sequences per local (base, adapter) context. Default 4. */
  sequences?: number;
  /** Requests running or waiting at once before 429. Default 64. */
  maxPending?: number;
}

/** What `runServe` can be given besides flags. */
export interface ServeDeps {
  /** Opens the retrieval index for variants with `retrieval`; default the experiment's (experiment-retriever.ts). */
  retriever?: () => Promise<Retriever>;
}

/**
 * Starts the server and resolves when `signal` aborts (the command wires SIGINT/SIGTERM to it).
 * Prints `listening on <url>` once bound. With an experiment file, its variants are served as chat models; the API
 * key comes from `WAYFARER_API_KEY` (required when binding beyond loopback).
 */
export async function runServe(
  opts: ServeCommandOptions,
  ctx: CliContext,
  signal: AbortSignal,
  deps: ServeDeps = {},
): Promise<void> {
  const where = await resolveStoreLocation({
    ...(opts.experiment !== undefined ? { experiment: opts.experiment } : {}),
    ...(opts.store !== undefined ? { store: opts.store } : {}),
    cwd: ctx.cwd,
  });
  // With an experiment file its variants are served as chat models (chat page, OpenAI-compatible /v1).
  const exp = where.experimentFile ? await loadExperiment(where.experimentFile, ctx.cwd) : undefined;
  // A new empty store would serve no task: every rater link would say "not valid" (the chat needs no tasks).
  if (!exp && !existsSync(where.path))
    throw new InputError(
      { file: opts.store ?? where.path },
      where.from === "default"
        ? "no such store; give the experiment file (`wayfarer serve path/to/experiment.yaml`) or --store FILE"
        : "no such store; create rating tasks first with `wayfarer human create` (or give the store with --store)",
    );
  const store = Store.open(where.path);
  let runtime: Promise<LlamaRuntime> | undefined;
  let chat: ChatService | undefined;
  const index = exp && !deps.retriever ? experimentRetriever(exp, ctx.env) : undefined;
  try {
    chat = exp
      ? ChatService.fromExperiment(exp, {
          runtime: () => {
            runtime ??= LlamaRuntime.create({ gpu: ctx.env.WAYFARER_GPU === "auto" });
            return runtime;
          },
          env: ctx.env,
          ...(deps.retriever ? { retriever: deps.retriever } : index ? { retriever: index.open } : {}),
          ...(opts.sequences ? { sequences: opts.sequences } : {}),
          ...(opts.maxPending ? { maxPending: opts.maxPending } : {}),
          ...(opts.variant?.length ? { only: opts.variant } : {}),
        })
      : undefined;
    const apiKey = ctx.env.WAYFARER_API_KEY || undefined;
    const server = await WayfarerServer.create({
      store,
      host: opts.host ?? "127.0.0.1",
      port: opts.port ?? 8080,
      ...(opts.golden ? { goldenFile: resolve(ctx.cwd, opts.golden) } : {}),
      ...(chat ? { chat } : {}),
      ...(apiKey ? { apiKey } : {}),
    });
    ctx.err(`store: ${where.path}\n`);
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
    await index?.dispose();
    if (runtime) await (await runtime.catch(() => undefined))?.dispose();
    store.dispose();
  }
}

export const serveCommand: CommandDefinition = {
  name: "serve",
  register(program: Command, ctx: CliContext) {
    program
      .command("serve")
      .description(
        "Start the Wayfarer server: rater UI (raters open their personal links); with an experiment file, also a chat page (/chat) and an OpenAI-compatible API (/v1) for its variants (key: WAYFARER_API_KEY, required beyond 127.0.0.1)",
      )
      .argument(
        "[experiment]",
        "experiment file: serve the store `wayfarer run` uses for it, and its variants as chat models",
      )
      .option("--variant <name...>", "serve only these variants as chat models")
      .option("--sequences <n>", "parallel sequences per local model context (default 4)", positiveInt("--sequences"))
      .option(
        "--max-pending <n>",
        "chat requests running or waiting before 429 (default 64)",
        positiveInt("--max-pending"),
      )
      .option("--store <file>", `store file; overrides the experiment file's store (default ${DEFAULT_STORE} here)`)
      .option("--golden <file>", "golden drafts to review in the browser: <rater link>/golden")
      .option("--host <host>", "interface to bind (default 127.0.0.1; 0.0.0.0 for the network)")
      .option("--port <n>", "port (default 8080; 0 = any free port)", (v: string) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`--port ${v}: expected 0–65535`);
        return n;
      })
      .action(async (experiment: string | undefined, o: Omit<ServeCommandOptions, "experiment">) => {
        const opts: ServeCommandOptions = { ...o, ...(experiment !== undefined ? { experiment } : {}) };
        const controller = new AbortController();
        const stop = () => controller.abort();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
        try {
          await runServe(opts, ctx, controller.signal);
        } finally {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
        }
      });
  },
};
