import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileSha256, writeDatasetCard } from "../../datasets/card.ts";
import { readGoldenCsv } from "../../datasets/golden.ts";
import { readReviewedGolden } from "../../datasets/golden-build.ts";
import { writeJson } from "../../datasets/jsonl.ts";
import { contentWords, overlapsGolden } from "../../datasets/overlap.ts";
import { type SftExample, type SftSkipReason, sftExampleFromThread } from "../../datasets/sft.ts";
import { ConfigError } from "../../errors/config-error.ts";
import { readThreadsJsonl } from "../../reddit/import.ts";
import type { Stage } from "../stage.ts";
import {
  buildGoldenDrafts,
  buildPreferences,
  buildRaft,
  buildSynthesisSft,
  corpusProvenance,
  type RecipeResult,
  seededShuffle,
  TRAIN_SPLITS,
} from "./datasets-recipes.ts";

/** The models a recipe names (teacher, tokenizer): their settings are part of the stage's inputs. */
function recipeModels(exp: Parameters<Stage["settings"]>[0]): Record<string, unknown> {
  const d = exp.config.datasets;
  const keys = [
    d.sft.target === "synthesis" ? d.sft.synthesis.teacher : undefined,
    d.golden.build?.teacher,
    d.raft?.teacher,
    d.preferences
      ? (d.preferences.tokenizer ??
        Object.keys(exp.config.models).find((k) => exp.config.models[k]!.provider === "llama"))
      : undefined,
  ].filter((k): k is string => k !== undefined);
  return Object.fromEntries([...new Set(keys)].sort().map((k) => [k, exp.config.models[k]]));
}

/**
 * datasets: clean splits -> every configured dataset, each JSONL in TRL's formats with its card
 * (`<name>/card.{json,md}`, src/datasets/card.ts): `sft/` (top-comment or teacher synthesis), `preferences/`,
 * `golden-drafts/` (teacher-built, to review), plus the golden set `golden.jsonl` (card in `golden/`) and the
 * aggregate `dataset-card.{json,md}`. Teacher calls are cached in the store: a rerun calls no model and
 * writes byte-identical files.
 */
export const datasetsStage: Stage = {
  id: "datasets",
  deps: ["corpus"],
  version: 2,
  settings: (exp) => ({
    datasets: exp.config.datasets,
    systemPrompt: exp.config.systemPrompt,
    seed: exp.config.seed,
    models: recipeModels(exp),
    ...(exp.config.datasets.raft ? { retrieval: exp.config.retrieval } : {}),
  }),
  async run(ctx) {
    const { config } = ctx.exp;
    const dir = ctx.dir("datasets");
    const o = { systemPrompt: config.systemPrompt, ...config.datasets.sft };
    const card: Record<string, unknown> = { kind: "wayfarer-dataset-card", version: 2 };
    const counts: Record<string, number> = {};
    const outputs: string[] = [];
    const notes: string[] = [];
    const gfile = config.datasets.golden.file;
    const golden = gfile.endsWith(".jsonl")
      ? await readReviewedGolden(gfile, config.datasets.golden.limit)
      : await readGoldenCsv(gfile, { limit: config.datasets.golden.limit });
    const goldenWords = golden.items.map((g) => contentWords(g.question));
    const leaks: { thread: string; title: string; golden: string }[] = [];
    const recipes: Record<string, RecipeResult> = {};
    if (o.target === "synthesis") {
      recipes.sft = await buildSynthesisSft(ctx, goldenWords);
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
          if (config.datasets.sft.excludeGoldenOverlap) {
            const g = overlapsGolden(thread.post.title, thread.post.selftext, goldenWords);
            if (g >= 0) {
              skipped["overlaps-golden"] = (skipped["overlaps-golden"] ?? 0) + 1;
              leaks.push({ thread: thread.post.name, title: thread.post.title, golden: golden.items[g]!.id });
              continue;
            }
          }
          examples.push(r);
        }
        const limit = config.datasets.sft.maxExamples;
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
      recipes.sft = {
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
    if ((recipes.sft.counts.sftTrain ?? 0) === 0 && config.train.adapters.some((a) => a.dataset === "sft")) {
      throw new ConfigError(
        `datasets: no SFT training example could be built from ${join(ctx.dir("corpus"), "splits", "train.jsonl")} (see ${join(dir, "sft", "card.md")} for skip reasons); loosen datasets.sft or corpus filters`,
      );
    }
    if (config.datasets.preferences) recipes.preferences = await buildPreferences(ctx);
    if (config.datasets.raft) recipes.raft = await buildRaft(ctx);
    if (config.datasets.golden.build) recipes["golden-drafts"] = await buildGoldenDrafts(ctx);
    if ((recipes.sft.counts.sftTrain ?? 0) === 0)
      notes.push("sft: no training example (no adapter trains on it); see sft/card.md for the skip reasons");
    for (const [name, r] of Object.entries(recipes)) {
      Object.assign(counts, r.counts);
      outputs.push(...r.outputs);
      notes.push(...r.notes);
      card[name] = r.summary;
    }
    card.excludedForGoldenOverlap = leaks;
    counts.excludedGoldenOverlap = leaks.length;
    const goldenCard = await writeDatasetCard(dir, {
      name: "golden",
      title: `Golden set: ${config.name}`,
      format: "golden set (question, answer)",
      files: [{ split: "golden", rows: golden.items, path: "golden.jsonl" }],
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
    card.golden = {
      file: gfile,
      questions: golden.items.length,
      skipped: golden.skipped,
      repaired: golden.repaired.length,
      sha256: goldenCard.files[0]!.sha256,
    };
    counts.golden = golden.items.length;
    outputs.push("golden.jsonl", "golden/card.json");
    await writeJson(join(dir, "dataset-card.json"), card);
    const rows = Object.entries(counts)
      .map(([k, v]) => `| ${k} | ${v} |`)
      .join("\n");
    await writeFile(
      join(dir, "dataset-card.md"),
      `# Dataset card: ${config.name}\n\n| set | examples |\n|---|---|\n${rows}\n\nEach dataset has its own card: ${Object.keys(
        recipes,
      )
        .concat("golden")
        .map((n) => `${n}/card.md`)
        .join(", ")}.\n`,
    );
    for (const s of golden.skipped)
      notes.push(`golden: skipped ${s.file}${s.line ? `:${s.line}` : ""} field "${s.field}": ${s.reason}`);
    if (golden.repaired.length > 0)
      notes.push(
        `golden: ${golden.repaired.length} cell(s) had invalid UTF-8 (replaced by U+FFFD), first at line ${golden.repaired[0]!.line}`,
      );
    return { counts, outputs, notes };
  },
};
