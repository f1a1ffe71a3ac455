/**
 * Ragas answer relevancy, as ragas 0.4.3 `AnswerRelevancy` / `ResponseRelevancy`
 * (ragas/metrics/_answer_relevance.py): `ResponseRelevancePrompt` generates `strictness` (default 3)
 * questions from the answer, each with a noncommittal flag; score = mean cosine(embedding of the user
 * question, embedding of each generated question), times 0 when ALL generations flag the answer
 * noncommittal (ragas >= 0.2; option `noncommittal: "any"` restores 0.1.x, where any flag zeroes it).
 * All generated questions empty, or a zero-length embedding -> error (ragas: NaN).
 * ragas samples the `strictness` generations in one call with n = strictness at temperature 0.3; our
 * generator interface has no `n`, so we make `strictness` calls with the same prompt at temperature 0.3
 * with seeds 0..n-1, then parse the replies in order (ragas' parse, with its FixOutputFormat retry).
 * Needs `ctx.judge` and `ctx.embedder`. Range [-1, 1] in principle, [0, 1] in practice.
 */
import { z } from "zod";
import { judgeModelSignature } from "../judge/call.ts";
import type { EvaluatorContext } from "../registry.ts";
import type { EvaluationInput, EvaluationResult, EvaluatorDescriptor } from "../types.ts";
import {
  CostMeter,
  laxInt,
  notMeasured,
  parseRagasReply,
  RAGAS_PROMPTS_VERSION,
  RAGAS_VERSION,
  RagasStepError,
  ragasCall,
} from "./common.ts";
import { RESPONSE_RELEVANCE_PROMPT } from "./prompts.ts";

export const descriptor = {
  id: "ragas-answer-relevancy",
  label: "Ragas answer relevancy (questions regenerated from the answer vs the question)",
  needs: ["llm", "encoder"],
  range: [0, 1],
  higherIsBetter: true,
} as const satisfies EvaluatorDescriptor;

export const optionsSchema = z.strictObject({
  /** Number of generated questions, 1..10. Default 3 (ragas). */
  strictness: z.number().int().min(1).max(10).default(3),
  /** "all" (ragas >= 0.2, default): zero only when every generation is noncommittal; "any" (ragas 0.1.x). */
  noncommittal: z.enum(["any", "all"]).default("all"),
  /** Sampling temperature of the generations (ragas: 0.3 when n > 1). */
  temperature: z.number().min(0).max(2).default(0.3),
});
export type AnswerRelevancyOptions = z.output<typeof optionsSchema>;

/** ragas `ResponseRelevanceOutput`. */
const shape = z.object({ question: z.string(), noncommittal: laxInt });

export function signature(o: AnswerRelevancyOptions, ctx: EvaluatorContext): string {
  return `ragas-answer-relevancy|algo:ragas-${RAGAS_VERSION}|prompts:${RAGAS_PROMPTS_VERSION}|strictness:${o.strictness}|noncommittal:${o.noncommittal}|t:${o.temperature}|judge:${judgeModelSignature(ctx)}|embed:${ctx.embedder?.modelId ?? "none"}`;
}

/** Euclidean norm. */
function norm(v: readonly number[]): number {
  let s = 0;
  for (const x of v) s += x * x;
  return Math.sqrt(s);
}

/**
 * ragas `ResponseRelevancy.calculate_similarity`: dot(g, q) / (|g|·|q|) per generated question, as
 * numpy computes it (NaN when a norm is 0).
 */
export function questionSimilarities(question: readonly number[], generated: readonly (readonly number[])[]): number[] {
  const nq = norm(question);
  return generated.map((g) => {
    if (g.length !== question.length) throw new RangeError(`dimensions differ (${g.length} vs ${question.length})`);
    let dot = 0;
    for (let i = 0; i < g.length; i++) dot += g[i]! * question[i]!;
    return dot / (norm(g) * nq);
  });
}

export async function score(
  input: EvaluationInput,
  ctx: EvaluatorContext,
  o: AnswerRelevancyOptions,
  signal?: AbortSignal,
): Promise<EvaluationResult> {
  const sig = signature(o, ctx);
  const meter = new CostMeter();
  if (!ctx.embedder) throw new Error("ragas-answer-relevancy: needs EvaluatorContext.embedder");
  try {
    // ragas makes one call with n = strictness and then parses the generations in order (each with its
    // FixOutputFormat retry); we make the strictness calls first, then parse, so the calls come in ragas' order
    const steps = Array.from({ length: o.strictness }, (_, i) => ({
      ctx,
      metric: descriptor.id,
      step: `question generation ${i + 1}`,
      prompt: RESPONSE_RELEVANCE_PROMPT,
      input: { response: input.answer },
      jsonSchema: {
        type: "object",
        properties: {
          question: { type: "string", maxLength: 300 },
          noncommittal: { type: "integer", enum: [0, 1] },
        },
        required: ["question", "noncommittal"],
        additionalProperties: false,
      },
      validate: shape,
      maxTokens: 256,
      meter,
      temperature: o.temperature,
      seed: i,
      ...(signal ? { signal } : {}),
    }));
    const replies = [];
    for (const step of steps) replies.push(await ragasCall(step));
    const gens = [];
    for (const [i, step] of steps.entries()) gens.push(await parseRagasReply(step, replies[i]!));
    if (gens.every((g) => g.question === "")) return notMeasured("every generated question is empty", sig, meter);
    const [q, ...gq] = await ctx.embedder.embed([input.question, ...gens.map((g) => g.question)], signal);
    const sims = questionSimilarities(q!, gq);
    if (sims.some((s) => Number.isNaN(s))) return notMeasured("an embedding has zero length", sig, meter);
    const meanSim = sims.reduce((a, b) => a + b, 0) / sims.length;
    const flags = gens.map((g) => (g.noncommittal !== 0 ? 1 : 0));
    const zero = o.noncommittal === "any" ? flags.some((f) => f === 1) : flags.every((f) => f === 1);
    return {
      status: "scored",
      value: zero ? 0 : meanSim,
      reason: gens
        .map((g, i) => `${flags[i] ? "[noncommittal] " : ""}${g.question} (cos ${sims[i]!.toFixed(4)})`)
        .join("\n"),
      details: { meanCosine: meanSim, noncommittal: flags.filter((f) => f === 1).length },
      signature: sig,
      cost: meter.total,
    };
  } catch (error) {
    if (error instanceof RagasStepError) return notMeasured(error.message, sig, meter);
    throw error;
  }
}
