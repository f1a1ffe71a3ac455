import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { parse as parseYaml } from "yaml";
import type { CorpusOptionsInput } from "../../config/corpus.ts";
import { type CorpusCard, renderCardMarkdown } from "../../corpus/card.ts";
import { buildCorpus } from "../../corpus/clean.ts";
import { ConfigError } from "../../errors/config-error.ts";
import { InputError } from "../../errors/input-error.ts";
import { createProgress, type ProgressBar } from "../../experiment/progress.ts";
import type { CliContext, CommandDefinition } from "../context.ts";

/** Options of `wayfarer corpus`. */
export interface CorpusCommandOptions {
  /** Raw threads JSONL (from `wayfarer import`). */
  input: string;
  /** Output folder. */
  out: string;
  /** YAML/JSON file with corpus settings (src/config/corpus.ts); defaults otherwise. */
  config?: string;
  seed?: string;
  /** Labelled PII snippets JSONL; the card then reports precision/recall per type. */
  piiEval?: string;
  json?: boolean;
}

/** Builds the corpus and prints the card (Markdown, or JSON with --json). */
export async function runCorpus(opts: CorpusCommandOptions, ctx: CliContext): Promise<CorpusCard> {
  let options: Record<string, unknown> = {};
  if (opts.config) {
    const path = resolve(ctx.cwd, opts.config);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch {
      throw new ConfigError(`--config ${opts.config}: cannot read the file`);
    }
    try {
      const v: unknown = parseYaml(text);
      options = typeof v === "object" && v !== null ? (v as Record<string, unknown>) : {};
    } catch (e) {
      throw new ConfigError(`--config ${opts.config}: not valid YAML/JSON (${(e as Error).message})`);
    }
  }
  if (opts.seed !== undefined) {
    const seed = Number(opts.seed);
    if (!Number.isInteger(seed)) throw new ConfigError(`--seed ${opts.seed}: expected a whole number`);
    options.seed = seed;
  }
  // Progress on stderr: a live bar on a terminal, a line every 10% otherwise (stdout keeps the card).
  const progress = createProgress(ctx.err, ctx.interactive);
  const bars: Partial<Record<"filter" | "split", ProgressBar>> = {};
  const card = await buildCorpus({
    inFile: resolve(ctx.cwd, opts.input),
    outDir: resolve(ctx.cwd, opts.out),
    options: options as CorpusOptionsInput,
    ...(opts.piiEval ? { piiLabelledSet: resolve(ctx.cwd, opts.piiEval) } : {}),
    onProgress: ({ pass, done, total }) => {
      let bar = bars[pass];
      if (!bar) {
        bar = progress.bar(pass === "filter" ? "clean and filter threads" : "write splits", total);
        bars[pass] = bar;
      }
      bar.update(done);
      if (done === total) bar.stop();
    },
  });
  const outDir = resolve(ctx.cwd, opts.out);
  ctx.out(
    opts.json
      ? `${JSON.stringify(card, null, 2)}\n`
      : renderCardMarkdown(card)
          .replace(/(<svg[\s\S]*?<\/svg>\n?)+/, `(charts in ${join(outDir, "corpus-card.md")})\n`)
          .replace(/<svg[\s\S]*?<\/svg>\n?/g, "")
          .replace(/\n{3,}/g, "\n\n"),
  );
  for (const w of card.splitWarnings ?? []) ctx.err(`warning: ${w}\n`);
  if (card.output.threads === 0) {
    // The card is written (it says which filter took what); the exit code says the corpus is empty.
    if (card.input.threads === 0) throw new InputError({ file: opts.input }, "no threads in the input (empty file)");
    const worst = card.filters
      .filter((f) => f.unit === "thread" && f.in > f.out)
      .sort((a, b) => b.in - b.out - (a.in - a.out))
      .map((f) => `${f.id} ${f.in - f.out}`)
      .slice(0, 3);
    throw new InputError(
      { file: opts.input },
      `no thread survived the filters (${card.input.threads} in, 0 out${worst.length ? `; threads dropped by ${worst.join(", ")}` : ""}); see ${join(outDir, "corpus-card.md")}`,
    );
  }
  ctx.err(
    `wrote ${join(outDir, "threads.jsonl")}, ${join(outDir, "splits")}/{train,validation,test}.jsonl and ${join(outDir, "corpus-card.{md,json}")}\n`,
  );
  return card;
}

export const corpusCommand: CommandDefinition = {
  name: "corpus",
  register(program: Command, ctx: CliContext) {
    program
      .command("corpus")
      .description(
        "Clean, filter, deduplicate and split raw threads; writes threads.jsonl, splits/ and corpus-card.{md,json}",
      )
      .argument("<input>", "raw threads JSONL (from `wayfarer import`)")
      .requiredOption("-o, --out <dir>", "output folder")
      .option("--config <file>", "YAML/JSON corpus settings (see src/config/corpus.ts); defaults otherwise")
      .option("--seed <n>", "split seed (overrides the config)")
      .option(
        "--pii-eval <file>",
        "labelled PII snippets JSONL (e.g. test/fixtures/pii/snippets.jsonl): report scrubber precision/recall in the card",
      )
      .option("--json", "print the card as JSON")
      .action(async (input: string, opts: Omit<CorpusCommandOptions, "input">) => {
        await runCorpus({ ...opts, input }, ctx);
      });
  },
};
