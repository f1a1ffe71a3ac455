import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { readGoldenCsv } from "../../datasets/golden.ts";
import { writeJson, writeJsonl } from "../../datasets/jsonl.ts";
import { contentWords, overlapsGolden } from "../../datasets/overlap.ts";
import { type SftExample, type SftSkipReason, sftExampleFromThread } from "../../datasets/sft.ts";
import { ConfigError } from "../../errors/config-error.ts";
import { readThreadsJsonl } from "../../reddit/import.ts";
import type { Stage } from "../stage.ts";

/** Deterministic shuffle (mulberry32) used to sample `maxExamples`. */
function seededShuffle<T>(items: T[], seed: number): T[] {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * datasets: clean splits -> `sft/{train,validation}.jsonl` (chat `messages`), the golden set
 * `golden.jsonl`, and `dataset-card.json` (counts, skip reasons, hashes, provenance).
 */
export const datasetsStage: Stage = {
  id: "datasets",
  deps: ["corpus"],
  version: 1,
  settings: (exp) => ({ datasets: exp.config.datasets, systemPrompt: exp.config.systemPrompt, seed: exp.config.seed }),
  async run(ctx) {
    const { config } = ctx.exp;
    const dir = ctx.dir("datasets");
    const o = { systemPrompt: config.systemPrompt, ...config.datasets.sft };
    const card: Record<string, unknown> = { kind: "wayfarer-dataset-card", version: 1 };
    const counts: Record<string, number> = {};
    const golden = await readGoldenCsv(config.datasets.golden.file, { limit: config.datasets.golden.limit });
    const goldenWords = golden.items.map((g) => contentWords(g.question));
    const leaks: { thread: string; title: string; golden: string }[] = [];
    for (const split of ["train", "validation"] as const) {
      let examples: SftExample[] = [];
      const skipped: Partial<Record<SftSkipReason | "overlaps-golden", number>> = {};
      for await (const thread of readThreadsJsonl(join(ctx.dir("corpus"), "splits", `${split}.jsonl`))) {
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
      const sha256 = await writeJsonl(join(dir, "sft", `${split}.jsonl`), examples);
      card[`sft.${split}`] = {
        examples: examples.length,
        skipped,
        sha256,
        target: o.target,
        provenance: "corpus/splits",
      };
      counts[`sft${split[0]!.toUpperCase()}${split.slice(1)}`] = examples.length;
    }
    if (counts.sftTrain === 0) {
      throw new ConfigError(
        `datasets: no SFT training example could be built from ${join(ctx.dir("corpus"), "splits", "train.jsonl")} (see ${join(dir, "dataset-card.json")} for skip reasons); loosen datasets.sft or corpus filters`,
      );
    }
    card.excludedForGoldenOverlap = leaks;
    counts.excludedGoldenOverlap = leaks.length;
    const goldenSha = await writeJsonl(join(dir, "golden.jsonl"), golden.items);
    card.golden = {
      file: config.datasets.golden.file,
      questions: golden.items.length,
      skipped: golden.skipped,
      repaired: golden.repaired.length,
      sha256: goldenSha,
    };
    counts.golden = golden.items.length;
    await writeJson(join(dir, "dataset-card.json"), card);
    await writeFile(
      join(dir, "dataset-card.md"),
      `# Dataset card: ${config.name}\n\n| set | examples |\n|---|---|\n| sft train | ${counts.sftTrain} |\n| sft validation | ${counts.sftValidation} |\n| golden | ${counts.golden} |\n\nSFT target: ${o.target} (best-scored top-level comment, ${o.minTargetChars}-${o.maxTargetChars} chars, score >= ${o.minTargetScore}).\n`,
    );
    const notes = golden.skipped.map(
      (s) => `golden: skipped ${s.file}${s.line ? `:${s.line}` : ""} field "${s.field}": ${s.reason}`,
    );
    if (golden.repaired.length > 0)
      notes.push(
        `golden: ${golden.repaired.length} cell(s) had invalid UTF-8 (replaced by U+FFFD), first at line ${golden.repaired[0]!.line}`,
      );
    return {
      counts,
      outputs: ["sft/train.jsonl", "sft/validation.jsonl", "golden.jsonl"],
      notes,
    };
  },
};
