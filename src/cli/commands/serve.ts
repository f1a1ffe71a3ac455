import { resolve } from "node:path";
import type { Command } from "commander";
import { ConfigError } from "../../errors/config-error.ts";
import { WayfarerServer } from "../../server/server.ts";
import { Store } from "../../store/store.ts";
import type { CliContext, CommandDefinition } from "../context.ts";

/** Default store file of a workspace, relative to the working directory. */
export const DEFAULT_STORE = "runs/wayfarer.sqlite";

/** Options of `wayfarer serve`. */
export interface ServeCommandOptions {
  /** Store file (default runs/wayfarer.sqlite). */
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
  const store = Store.open(resolve(ctx.cwd, opts.store ?? DEFAULT_STORE));
  try {
    const server = await WayfarerServer.create({
      store,
      host: opts.host ?? "127.0.0.1",
      port: opts.port ?? 8080,
      ...(opts.golden ? { goldenFile: resolve(ctx.cwd, opts.golden) } : {}),
    });
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
      .option("--store <file>", `store file (default ${DEFAULT_STORE})`)
      .option("--golden <file>", "golden drafts to review in the browser: <rater link>/golden")
      .option("--host <host>", "interface to bind (default 127.0.0.1; 0.0.0.0 for the network)")
      .option("--port <n>", "port (default 8080; 0 = any free port)", (v: string) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`--port ${v}: expected 0–65535`);
        return n;
      })
      .action(async (opts: ServeCommandOptions) => {
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
