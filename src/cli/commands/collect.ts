import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Command } from "commander";
import { parse as parseYaml } from "yaml";
import { CollectOptionsSchema } from "../../config/collect.ts";
import { ConfigError } from "../../errors/config-error.ts";
import { defaultDeps } from "../../reddit/collect/client.ts";
import { type CollectReport, collectThreads } from "../../reddit/collect/collect.ts";
import type { CliContext, CommandDefinition } from "../context.ts";

/** Options of `wayfarer collect`. */
export interface CollectCommandOptions {
  /** YAML/JSON file: the collect settings (src/config/collect.ts), at the top or under a `collect:` key. */
  config: string;
  /** Output folder (journal, state, threads.jsonl, report). */
  out: string;
  /** Start over instead of resuming. */
  fresh?: boolean;
  json?: boolean;
}

/** Reads and validates the settings file; ConfigError names the file and the field. */
export async function readCollectConfig(path: string): Promise<ReturnType<typeof CollectOptionsSchema.parse>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new ConfigError(`--config ${path}: cannot read the file`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new ConfigError(`--config ${path}: not valid YAML/JSON (${(e as Error).message})`);
  }
  const block =
    typeof raw === "object" && raw !== null && "collect" in raw ? (raw as { collect: unknown }).collect : raw;
  const parsed = CollectOptionsSchema.safeParse(block);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `field "${i.path.join(".") || "(root)"}": ${i.message}`);
    throw new ConfigError(`--config ${path}: ${lines.join("; ")}`);
  }
  return parsed.data;
}

/** Runs `collect` with the real network, clock and the CLI's environment; prints a summary. */
export async function runCollect(opts: CollectCommandOptions, ctx: CliContext): Promise<CollectReport> {
  const options = await readCollectConfig(resolve(ctx.cwd, opts.config));
  const outDir = resolve(ctx.cwd, opts.out);
  const report = await collectThreads({
    options,
    outDir,
    fresh: opts.fresh ?? false,
    deps: defaultDeps(ctx.env, (line) => ctx.err(`${line}\n`)),
    onProgress: ({ threads, fetched, fromJournal }) => {
      if (ctx.interactive) ctx.err(`\r${threads} threads, ${fetched} pages fetched, ${fromJournal} from the journal`);
    },
  });
  if (ctx.interactive) ctx.err("\n");
  if (opts.json) {
    ctx.out(`${JSON.stringify(report, null, 2)}\n`);
    return report;
  }
  ctx.out(
    `${report.threads} threads, ${report.comments} comments -> ${report.threadsFile}\n` +
      `pages: ${report.pages.fetched} fetched, ${report.pages.fromJournal} from the journal; ` +
      `retries: ${report.client.status429} x 429, ${report.client.status5xx} x 5xx, ${report.client.errorBodies} error bodies, ` +
      `${report.client.refreshesOn401} token refreshes\n`,
  );
  for (const l of report.listings.filter((x) => x.end === "cap" || x.end === "unavailable"))
    ctx.err(
      `r/${l.subreddit} ${l.sort}${l.t ? ` t=${l.t}` : ""}: ${l.end === "cap" ? `ended at Reddit's listing cap after ${l.taken} of ${l.quota} posts` : "unavailable (403/404)"}\n`,
    );
  return report;
}

export const collectCommand: CommandDefinition = {
  name: "collect",
  register(program: Command, ctx: CliContext) {
    program
      .command("collect")
      .description(
        "Fetch threads from the Reddit API (tiers and quotas from the config) into threads JSONL; resumable (rerun to continue)",
      )
      .requiredOption(
        "--config <file>",
        "YAML/JSON collect settings (see src/config/collect.ts, examples/collect-seed-tiers.yaml)",
      )
      .requiredOption(
        "-o, --out <dir>",
        "output folder: pages.jsonl (journal), state.json, threads.jsonl, collect-report.json",
      )
      .option("--fresh", "discard an earlier journal in the folder and start over")
      .option("--json", "print the report as JSON")
      .action(async (opts: CollectCommandOptions) => {
        await runCollect(opts, ctx);
      });
  },
};
