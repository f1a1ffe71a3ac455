import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { stableHash } from "../../config/load.ts";
import type { GoldenItem } from "../../datasets/golden.ts";
import { readJsonlAll, writeJsonl } from "../../datasets/jsonl.ts";
import { trimUnfinishedSentence } from "../../models/postprocess.ts";
import { createGenerator } from "../../models/registry.ts";
import type { AnswerRecord } from "../../store/records.ts";
import { generationCache } from "../../store/runs.ts";
import type { Stage } from "../stage.ts";

export type { AnswerRecord } from "../../store/records.ts";

/**
 * generate: every variant answers every golden question. Each answer is stored in the workspace
 * store the moment it is produced (keyed by variant, question and a hash of everything that
 * shaped it), so a killed run resumes without regenerating.
 */
export const generateStage: Stage = {
  id: "generate",
  deps: ["datasets", "train"],
  version: 1,
  settings: (exp) => ({
    generate: exp.config.generate,
    systemPrompt: exp.config.systemPrompt,
    models: exp.config.generate.variants.map((v) => exp.config.models[v.model]),
    seed: exp.config.seed,
  }),
  async run(ctx) {
    const { config } = ctx.exp;
    const g = config.generate;
    const golden = await readJsonlAll<GoldenItem>(join(ctx.dir("datasets"), "golden.jsonl"));
    const records: AnswerRecord[] = [];
    const counts: Record<string, number> = { questions: golden.length };
    const cache = generationCache(ctx.store);
    for (const variant of g.variants) {
      const model = config.models[variant.model]!;
      const adapterPath = variant.adapter ? join(ctx.dir("train"), variant.adapter, "adapter.gguf") : undefined;
      const adapterSha = adapterPath
        ? createHash("sha256")
            .update(await readFile(adapterPath))
            .digest("hex")
        : null;
      const baseHash = stableHash({
        model,
        adapterSha,
        g: { ...g, variants: undefined },
        system: config.systemPrompt,
        seed: g.seed ?? config.seed,
      });
      let generator: Awaited<ReturnType<typeof createGenerator>> | undefined;
      const bar = ctx.progress.bar(`generate ${variant.name}`, golden.length);
      let reused = 0;
      let cut = 0;
      try {
        for (const [i, item] of golden.entries()) {
          const settingsHash = stableHash({ baseHash, question: item.question });
          const cached = cache.find(config.name, variant.name, item.id, settingsHash);
          let raw: {
            text: string;
            latencySeconds: number;
            promptTokens: number;
            completionTokens: number;
            finishReason: string;
            modelId: string;
          };
          if (cached) {
            reused++;
            raw = {
              text: cached.answer,
              finishReason: cached.finish_reason,
              modelId: cached.model_id,
              latencySeconds: cached.latency_s,
              promptTokens: cached.prompt_tokens,
              completionTokens: cached.completion_tokens,
            };
          } else {
            generator ??= await createGenerator(variant.model, model, {
              runtime: ctx.runtime,
              env: ctx.env,
              ...(adapterPath ? { adapterPath } : {}),
            });
            const r = await generator.doGenerate({
              messages: [
                { role: "system", content: config.systemPrompt },
                { role: "user", content: item.question },
              ],
              maxTokens: g.maxTokens,
              temperature: g.temperature,
              seed: g.seed ?? config.seed,
              repeatPenalty: g.repeatPenalty,
              ...(ctx.signal ? { signal: ctx.signal } : {}),
            });
            raw = { ...r, modelId: generator.modelId };
            cache.insert({
              experiment: config.name,
              variant: variant.name,
              itemId: item.id,
              question: item.question,
              answer: r.text,
              finishReason: r.finishReason,
              modelId: generator.modelId,
              latencySeconds: r.latencySeconds,
              promptTokens: r.promptTokens,
              completionTokens: r.completionTokens,
              settingsHash,
            });
          }
          const answer =
            raw.finishReason === "length" && g.trimUnfinishedSentence
              ? trimUnfinishedSentence(raw.text)
              : raw.text.trim();
          if (raw.finishReason === "length") cut++;
          records.push({
            variant: variant.name,
            itemId: item.id,
            question: item.question,
            answer,
            rawAnswer: raw.text,
            reference: item.answer,
            latencySeconds: raw.latencySeconds,
            promptTokens: raw.promptTokens,
            completionTokens: raw.completionTokens,
            finishReason: raw.finishReason,
            modelId: raw.modelId,
          });
          bar.update(i + 1);
        }
      } finally {
        bar.stop();
        await generator?.dispose();
      }
      counts[`${variant.name}.answers`] = golden.length;
      counts[`${variant.name}.reused`] = reused;
      counts[`${variant.name}.cutByMaxTokens`] = cut;
    }
    await writeJsonl(join(ctx.dir("generate"), "answers.jsonl"), records);
    return { counts, outputs: ["answers.jsonl"] };
  },
};
