import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { DEFAULT_STORE, resolveStoreLocation } from "../../config/store-location.ts";
import { ConfigError } from "../../errors/config-error.ts";
import { InputError } from "../../errors/input-error.ts";
import { WayfarerServer } from "../../server/server.ts";
import { Store } from "../../store/store.ts";
import type { CliContext, CommandDefinition } from "../context.ts";

export { DEFAULT_STORE };

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
}

/**
 * Starts the server and resolves when `signal` aborts (the command wires SIGINT/SIGTERM to it).
 * Prints `listening on <url>` once bound.
 */
export async function runServe(opts: ServeCommandOptions, ctx: CliContext, signal: AbortSignal): Promise<void> {
  const where = await resolveStoreLocation({
    ...(opts.experiment !== undefined ? { experiment: opts.experiment } : {}),
    ...(opts.store !== undefined ? { store: opts.store } : {}),
    cwd: ctx.cwd,
  });
  // A new empty store would serve no task: every rater link would say "not valid".
  if (!existsSync(where.path))
    throw new InputError(
      { file: opts.store ?? where.path },
      where.from === "default"
        ? "no such store; give the experiment file (`wayfarer serve path/to/experiment.yaml`) or --store FILE"
        : "no such store; create rating tasks first with `wayfarer human create` (or give the store with --store)",
    );
  const store = Store.open(where.path);
  try {
    const server = await WayfarerServer.create({
      store,
      host: opts.host ?? "127.0.0.1",
      port: opts.port ?? 8080,
      ...(opts.golden ? { goldenFile: resolve(ctx.cwd, opts.golden) } : {}),
    });
    ctx.err(`store: ${where.path}\n`);
    ctx.out(`listening on ${server.url}\n`);
    await new Promise<void>((done) => {
      if (signal.aborted) return done();
      signal.addEventListener("abort", () => done(), { once: true });
    });
    await server.dispose();
  } finally {
    store.dispose();
  }
}

export const serveCommand: CommandDefinition = {
  name: "serve",
  register(program: Command, ctx: CliContext) {
    program
      .command("serve")
      .description("Start the Wayfarer server (rater UI; raters open their personal links)")
      .argument("[experiment]", "experiment file: serve the store `wayfarer run` uses for it")
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
