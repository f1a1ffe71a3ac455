/**
 * The golden set, the SFT set and the aggregate dataset card. Once one `datasets` stage; now each recipe is
 * its own artifact of the graph (src/experiment/graph/dataset-artifacts.ts), calling these and the recipes of
 * datasets-recipes.ts with a stage context whose `dir("datasets")` is the run's `datasets/` folder.
 */
import { rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileSha256, writeDatasetCard } from "../../datasets/card.ts";
import { type GoldenItem, readGoldenCsv } from "../../datasets/golden.ts";
import { readReviewedGolden } from "../../datasets/golden-build.ts";
import { readJsonlAll, writeJson } from "../../datasets/jsonl.ts";
import { contentWords, overlapsGolden } from "../../datasets/overlap.ts";
import { type SftExample, type SftSkipReason, sftExampleFromThread } from "../../datasets/sft.ts";
import { ConfigError } from "../../errors/config-error.ts";
import { readThreadsJsonl } from "../../reddit/import.ts";
import type { StageContext } from "../stage.ts";
import {
  buildSynthesisSft,
  corpusProvenance,
  type RecipeResult,
  seededShuffle,
  TRAIN_SPLITS,
} from "./datasets-recipes.ts";

/**
 * The golden set (the test questions every variant answers): the experiment's golden CSV or reviewed JSONL ->
 * `golden/golden.jsonl` with its card (`golden/card.{json,md}`, src/datasets/card.ts). Skipped rows and repaired
 * cells become notes naming file, line and field.
 */
export async function buildGolden(ctx: StageContext): Promise<RecipeResult> {
  const { config } = ctx.exp;
  const gfile = config.datasets.golden.file;
  const golden = gfile.endsWith(".jsonl")
    ? await readReviewedGolden(gfile, config.datasets.golden.limit)
    : await readGoldenCsv(gfile, { limit: config.datasets.golden.limit });
  const card = await writeDatasetCard(ctx.dir("datasets"), {
    name: "golden",
    title: `Golden set: ${config.name}`,
    format: "golden set (question, answer)",
    files: [{ split: "golden", rows: golden.items }],
    filters: [
      {
        id: "golden-read",
        description: gfile.endsWith(".jsonl")
          ? "reviewed golden JSONL -> accepted and edited items"
          : "golden CSV -> rows with a question and an answer",
        in: golden.items.length + golden.skipped.length,
        out: golden.items.length,
        dropped: Object.fromEntries(
          [...new Set(golden.skipped.map((s) => s.reason))].map((r) => [
            r,
            golden.skipped.filter((s) => s.reason === r).length,
          ]),
        ),
      },
    ],
    provenance: { file: gfile, sha256: await fileSha256(gfile) },
    settings: { ...config.datasets.golden, build: undefined },
  });
  const notes: string[] = [];
  for (const s of golden.skipped)
    notes.push(`golden: skipped ${s.file}${s.line ? `:${s.line}` : ""} field "${s.field}": ${s.reason}`);
  if (golden.repaired.length > 0)
    notes.push(
      `golden: ${golden.repaired.length} cell(s) had invalid UTF-8 (replaced by U+FFFD), first at line ${golden.repaired[0]!.line}`,
    );
  return {
    counts: { golden: golden.items.length },
    outputs: ["golden/golden.jsonl", "golden/card.json"],
    notes,
    summary: {
      file: gfile,
      questions: golden.items.length,
      skipped: golden.skipped,
      repaired: golden.repaired.length,
      sha256: card.files[0]!.sha256,
    },
  };
}

/**
 * The SFT set: top-comment targets (the best-scored top-level comment of each train/validation thread) or teacher
 * synthesis (datasets-recipes.ts), threads overlapping a golden question left out when `excludeGoldenOverlap`
 * (`goldenFile`: the golden artifact's `golden.jsonl`, read only then). Writes `sft/{train,validation}.jsonl`
 * and the card; its summary lists the threads left out for overlap (`excludedForGoldenOverlap`).
 * @throws ConfigError when no training example is left and an adapter trains on `sft`.
 */
export async function buildSft(ctx: StageContext, goldenFile: string | null): Promise<RecipeResult> {
  const { config } = ctx.exp;
  const dir = ctx.dir("datasets");
  const o = { systemPrompt: config.systemPrompt, ...config.datasets.sft };
  const golden = goldenFile && o.excludeGoldenOverlap ? await readJsonlAll<GoldenItem>(goldenFile) : [];
  const goldenWords = golden.map((g) => contentWords(g.question));
  const leaks: { thread: string; title: string; golden: string }[] = [];
  let result: RecipeResult;
  if (o.target === "synthesis") {
    result = await buildSynthesisSft(ctx, goldenWords);
  } else {
    const files: { split: string; rows: SftExample[] }[] = [];
    const filters = [];
    for (const split of TRAIN_SPLITS) {
      let examples: SftExample[] = [];
      let threads = 0;
      const skipped: Partial<Record<SftSkipReason | "overlaps-golden", number>> = {};
      for await (const thread of readThreadsJsonl(join(ctx.dir("corpus"), "splits", `${split}.jsonl`))) {
        threads++;
        const r = sftExampleFromThread(thread, o);
        if (typeof r === "string") {
          skipped[r] = (skipped[r] ?? 0) + 1;
          continue;
        }
        if (o.excludeGoldenOverlap) {
          const g = overlapsGolden(thread.post.title, thread.post.selftext, goldenWords);
          if (g >= 0) {
            skipped["overlaps-golden"] = (skipped["overlaps-golden"] ?? 0) + 1;
            leaks.push({ thread: thread.post.name, title: thread.post.title, golden: golden[g]!.id });
            continue;
          }
        }
        examples.push(r);
      }
      const limit = o.maxExamples;
      if (split === "train" && limit && examples.length > limit)
        examples = seededShuffle(examples, config.seed).slice(0, limit);
      files.push({ split, rows: examples });
      filters.push({
        id: `top-comment-${split}`,
        description: `corpus ${split} threads -> best-scored top-level comment, ${o.minTargetChars}-${o.maxTargetChars} chars, score >= ${o.minTargetScore}${o.excludeGoldenOverlap ? ", no golden overlap" : ""}${split === "train" && limit ? ` -> sample ${limit}` : ""}`,
        in: threads,
        out: examples.length,
        dropped: skipped as Record<string, number>,
      });
    }
    const sftCard = await writeDatasetCard(dir, {
      name: "sft",
      title: `SFT set (top comment): ${config.name}`,
      format: "conversational language modeling (messages)",
      files,
      filters,
      provenance: await corpusProvenance(ctx, TRAIN_SPLITS),
      settings: { ...config.datasets.sft, synthesis: undefined },
    });
    result = {
      counts: { sftTrain: files[0]!.rows.length, sftValidation: files[1]!.rows.length },
      outputs: sftCard.files.map((f) => f.path).concat("sft/card.json"),
      notes: [],
      summary: {
        examples: Object.fromEntries(sftCard.files.map((f) => [f.split, f.rows])),
        filters,
        target: o.target,
      },
    };
  }
  if ((result.counts.sftTrain ?? 0) === 0 && config.train.adapters.some((a) => a.dataset === "sft")) {
    throw new ConfigError(
      `datasets: no SFT training example could be built from ${join(ctx.dir("corpus"), "splits", "train.jsonl")} (see ${join(dir, "sft", "card.md")} for skip reasons); loosen datasets.sft or corpus filters`,
    );
  }
  if ((result.counts.sftTrain ?? 0) === 0)
    result.notes.push("sft: no training example (no adapter trains on it); see sft/card.md for the skip reasons");
  result.counts.excludedGoldenOverlap = leaks.length;
  result.summary.excludedForGoldenOverlap = leaks;
  return result;
}

/**
 * The aggregate card of every dataset (`dataset-card.json`: one summary per recipe, the golden set, the threads
 * left out for golden overlap; `dataset-card.md`: examples per set, links to each set's own card).
 */
export async function writeAggregateCard(
  dir: string,
  name: string,
  recipes: { name: string; counts: Record<string, number>; summary: Record<string, unknown> }[],
): Promise<void> {
  const card: Record<string, unknown> = { kind: "wayfarer-dataset-card", version: 2 };
  const counts: Record<string, number> = {};
  let leaks: unknown = [];
  for (const r of recipes) {
    const { excludedForGoldenOverlap, ...summary } = r.summary;
    card[r.name] = summary;
    if (excludedForGoldenOverlap !== undefined) leaks = excludedForGoldenOverlap;
    Object.assign(counts, r.counts);
  }
  card.excludedForGoldenOverlap = leaks;
  await writeJson(join(dir, "dataset-card.json"), card);
  const rows = Object.entries(counts)
    .map(([k, v]) => `| ${k} | ${v} |`)
    .join("\n");
  await writeFile(
    join(dir, "dataset-card.md.partial"),
    `# Dataset card: ${name}\n\n| set | examples |\n|---|---|\n${rows}\n\nEach dataset has its own card: ${recipes
      .map((r) => `${r.name}/card.md`)
      .join(", ")}.\n`,
  );
  await rename(join(dir, "dataset-card.md.partial"), join(dir, "dataset-card.md"));
}
