import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { stableHash } from "../../config/load.ts";
import { postprocessRulesOf } from "../../config/postprocess.ts";
import { documentFormatOf } from "../../config/rag.ts";
import type { GoldenItem } from "../../datasets/golden.ts";
import { readJsonlAll, writeJsonl } from "../../datasets/jsonl.ts";
import { ConfigError } from "../../errors/config-error.ts";
import { applyPostprocess } from "../../models/postprocess.ts";
import { promptWithDocuments } from "../../models/rag-prompt.ts";
import { createGenerator } from "../../models/registry.ts";
import { reportSpend } from "../../models/spend.ts";
import type { RetrievedDocument, Retriever } from "../../retrieval/index.ts";
import { generationCache } from "../../store/generations.ts";
import type { AnswerRecord } from "../../store/records.ts";
import type { Stage } from "../stage.ts";

/** One row of `generate/answers.jsonl` (defined with the other file formats in src/store/records.ts). */
export type { AnswerRecord } from "../../store/records.ts";

/**
 * generate: every variant answers every golden question. Each answer is stored in the workspace
 * store the moment it is produced (keyed by variant, question and a hash of everything that
 * shaped it), so a killed run resumes without regenerating.
 */
export const generateStage: Stage = {
  id: "generate",
  deps: ["datasets", "train"],
  version: 2,
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
    let retriever: Promise<Retriever> | undefined;
    const openRetriever = (variant: string): Promise<Retriever> => {
      if (!ctx.retriever)
        throw new ConfigError(
          `generate.variants "${variant}": retrieval is set but this run has no retrieval index (artifact retrieval-index builds it)`,
        );
      retriever ??= ctx.retriever();
      return retriever;
    };
    for (const variant of g.variants) {
      const model = config.models[variant.model]!;
      const rules = postprocessRulesOf(g, variant);
      const adapterMethod = config.train.adapters.find((a) => a.name === variant.adapter)?.method as string | undefined;
      const docFormat = variant.retrieval ? documentFormatOf(variant.retrieval, adapterMethod) : undefined;
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
        retrieval: variant.retrieval ? { ...variant.retrieval, format: docFormat } : null,
      });
      let generator: Awaited<ReturnType<typeof createGenerator>> | undefined;
      const bar = ctx.progress.bar(`generate ${variant.name}`, golden.length);
      let reused = 0;
      let cut = 0;
      try {
        for (const [i, item] of golden.entries()) {
          let documents: RetrievedDocument[] | undefined;
          if (variant.retrieval) {
            documents = await (await openRetriever(variant.name)).search(item.question, {
              k: variant.retrieval.k,
              mode: variant.retrieval.mode,
            });
          }
          const settingsHash = stableHash({
            baseHash,
            question: item.question,
            ...(documents ? { documents: documents.map((d) => [d.id, d.text]) } : {}),
          });
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
                {
                  role: "user",
                  content: documents ? promptWithDocuments(item.question, documents, docFormat!) : item.question,
                },
              ],
              maxTokens: g.maxTokens,
              temperature: g.temperature,
              seed: g.seed ?? config.seed,
              repeatPenalty: g.repeatPenalty,
              ...(ctx.signal ? { signal: ctx.signal } : {}),
            });
            raw = { ...r, modelId: generator.modelId };
            reportSpend(r); // tokens to the run's live view (src/models/spend.ts)
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
              contextsJson: documents ? JSON.stringify(documents) : null,
            });
          }
          const processed = applyPostprocess(raw.text, raw.finishReason, rules);
          for (const rule of processed.applied)
            counts[`${variant.name}.postprocess.${rule}`] = (counts[`${variant.name}.postprocess.${rule}`] ?? 0) + 1;
          if (raw.finishReason === "length") cut++;
          records.push({
            variant: variant.name,
            itemId: item.id,
            question: item.question,
            answer: processed.text,
            rawAnswer: raw.text,
            reference: item.answer,
            latencySeconds: raw.latencySeconds,
            promptTokens: raw.promptTokens,
            completionTokens: raw.completionTokens,
            finishReason: raw.finishReason,
            modelId: raw.modelId,
            ...(documents
              ? {
                  contexts: documents.map((d) => d.text),
                  sources: documents.map(({ text: _text, ...rest }) => rest),
                }
              : {}),
            ...(processed.applied.length > 0 ? { postprocessed: processed.applied } : {}),
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
