/**
 * Perplexity, embeddings and the Ragas family with real local GGUF models (SmolLM2-135M-Instruct as
 * reference LM, encoder and judge; weak, but the whole path runs). Skipped without the model file.
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cosine, LlamaTextEmbedder } from "../../../src/evaluation/metrics/embedding.ts";
import { LlamaTokenScorer, perplexityOf } from "../../../src/evaluation/metrics/perplexity.ts";
import { EVALUATORS, type EvaluatorContext } from "../../../src/evaluation/registry.ts";
import { type LlamaGenerator, LlamaRuntime } from "../../../src/models/llama-generator.ts";
import { SMOLLM } from "./models.ts";

describe.skipIf(!existsSync(SMOLLM))("local models (SmolLM2-135M)", () => {
  let runtime: LlamaRuntime;
  let scorer: LlamaTokenScorer;
  let embedder: LlamaTextEmbedder;
  let judge: LlamaGenerator;
  let ctx: EvaluatorContext;
  beforeAll(async () => {
    runtime = await LlamaRuntime.create();
    scorer = await LlamaTokenScorer.create({ runtime, modelPath: SMOLLM, contextSize: 1024, threads: 1 });
    embedder = await LlamaTextEmbedder.create({ runtime, modelPath: SMOLLM, threads: 1 });
    judge = await runtime.createGenerator({ modelPath: SMOLLM, threads: 1, contextSize: 4096 });
    ctx = { judge, embedder, tokenScorer: scorer };
  });
  afterAll(async () => {
    await scorer?.dispose();
    await embedder?.dispose();
    await judge?.dispose();
    await runtime?.dispose();
  });

  it("perplexity: fluent < gibberish, deterministic, exp(-mean logprob)", async () => {
    const q = "What is the capital of France?";
    const good = await EVALUATORS.perplexity.evaluate({ question: q, answer: "The capital of France is Paris." }, ctx);
    const bad = await EVALUATORS.perplexity.evaluate(
      { question: q, answer: "Purple lawnmower seventeen banana of." },
      ctx,
    );
    expect(good.status).toBe("scored");
    expect(good.value!).toBeLessThan(bad.value! / 10);
    const lp = await scorer.scoreTokens(`Question: ${q}\nAnswer:\n`, "The capital of France is Paris.");
    expect(perplexityOf(lp)).toBe(good.value);
    expect(good.status === "scored" && good.details?.tokens).toBe(lp.length);
    for (const x of lp) expect(x).toBeLessThanOrEqual(0);
    expect(good.signature).toContain("model:SmolLM2-135M-Instruct.Q4_1.gguf");
    expect((await EVALUATORS.perplexity.evaluate({ question: q, answer: "" }, ctx)).status).toBe("not-applicable");
  });

  it("embedding cosine: identical texts 1, best reference wins", async () => {
    const [a, b] = await embedder.embed(["Take the metro.", "Take the metro."]);
    expect(cosine(a!, b!)).toBeCloseTo(1, 6);
    const r = await EVALUATORS["embedding-cosine"].evaluate(
      {
        question: "q",
        answer: "Take the metro.",
        references: ["Bananas grow on trees in the tropics.", "Take the metro."],
      },
      ctx,
    );
    expect(r.value).toBeCloseTo(1, 6);
    expect(r.signature).toContain("SmolLM2");
  });

  it("ragas faithfulness and context precision run under the grammar with a local judge", async () => {
    const input = {
      question: "How do I get from CDG airport to Paris?",
      answer: "Take the RER B train.",
      references: ["The RER B train."],
      contexts: ["RER B connects CDG airport with Gare du Nord."],
    };
    for (const id of ["ragas-faithfulness", "ragas-context-precision"] as const) {
      const r = await EVALUATORS[id].evaluate(input, ctx);
      if (r.status === "scored") {
        expect(r.value).toBeGreaterThanOrEqual(0);
        expect(r.value).toBeLessThanOrEqual(1);
      } else {
        expect(r.status, r.reason).toBe("error");
      }
      expect(r.cost.promptTokens).toBeGreaterThan(50);
    }
  });
});
