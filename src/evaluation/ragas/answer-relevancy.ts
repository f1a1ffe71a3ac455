/**
 * Ragas answer relevancy, after ragas 0.4.3 `AnswerRelevancy` / `ResponseRelevancy`
 * (ragas/metrics/_answer_relevance.py): `ResponseRelevancePrompt` generates `strictness` (default 3)
 * questions from the answer, each with a noncommittal flag; score = mean cosine(embedding of the user
 * question, embedding of each generated question), set to 0 by the noncommittal rule.
 *
 * Two deliberate differences from ragas 0.4.3 in the default (each has an option restoring ragas, used by
 * the parity tests, and the signature records both):
 * - `noncommittal: "any"` (default): ONE evasive generation zeroes the score, so an evasive answer can never
 *   score well (ragas 0.1.x did this too). ragas >= 0.2 zeroes only when ALL generations are noncommittal
 *   (`"all"`), so with flags [0, 1, 0] an evasive "I'm not sure" keeps the cosine of the other two.
 * - `emptyQuestions: "skip"` (default): a generated question that is empty is left out of the cosine mean
 *   (and not embedded): it carries no question. ragas (`"include"`) embeds "" and averages its cosine in.
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
  binaryVerdict,
  CostMeter,
  notMeasured,
  parseRagasReply,
  RAGAS_PROMPTS_VERSION,
  RAGAS_VERSION,
  RagasStepError,
  ragasCall,
  VERDICT_RULE,
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
  /** "any" (default, as ragas 0.1.x): one noncommittal generation zeroes the score; "all" (ragas >= 0.2): only when every one is. */
  noncommittal: z.enum(["any", "all"]).default("any"),
  /** "skip" (default): empty generated questions stay out of the cosine mean; "include" (ragas 0.4.3): embedded and averaged in. */
  emptyQuestions: z.enum(["skip", "include"]).default("skip"),
  /** Sampling temperature of the generations (ragas: 0.3 when n > 1). */
  temperature: z.number().min(0).max(2).default(0.3),
});
export type AnswerRelevancyOptions = z.output<typeof optionsSchema>;

/** ragas `ResponseRelevanceOutput`. */
const shape = z.object({ question: z.string(), noncommittal: binaryVerdict });

export function signature(o: AnswerRelevancyOptions, ctx: EvaluatorContext): string {
  return `ragas-answer-relevancy|algo:ragas-${RAGAS_VERSION}|prompts:${RAGAS_PROMPTS_VERSION}|${VERDICT_RULE}|strictness:${o.strictness}|noncommittal:${o.noncommittal}|empty-questions:${o.emptyQuestions}|t:${o.temperature}|judge:${judgeModelSignature(ctx)}|embed:${ctx.embedder?.modelId ?? "none"}`;
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

/**
 * The noncommittal rule: with "any", one flag 1 zeroes the score (e.g. [0, 1, 0] -> true); with "all"
 * (ragas >= 0.2) only flags that are all 1 do ([0, 1, 0] -> false).
 */
export function noncommittalZeroes(flags: readonly (0 | 1)[], rule: "any" | "all"): boolean {
  return rule === "any" ? flags.some((f) => f === 1) : flags.every((f) => f === 1);
}

/** Answer relevancy of one answer (see module doc); needs `ctx.judge` and `ctx.embedder`. */
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
    // which generations enter the cosine mean (ragas: all of them, empty ones included)
    const used = gens.map((g) => o.emptyQuestions === "include" || g.question !== "");
    const questions = gens.filter((_, i) => used[i]).map((g) => g.question);
    const [q, ...gq] = await ctx.embedder.embed([input.question, ...questions], signal);
    const sims = questionSimilarities(q!, gq);
    if (sims.some((s) => Number.isNaN(s))) return notMeasured("an embedding has zero length", sig, meter);
    const meanSim = sims.reduce((a, b) => a + b, 0) / sims.length;
    const flags = gens.map((g) => g.noncommittal);
    const zero = noncommittalZeroes(flags, o.noncommittal);
    let k = 0;
    const cosOf = gens.map((_, i) => (used[i] ? sims[k++]! : null));
    return {
      status: "scored",
      value: zero ? 0 : meanSim,
      reason: gens
        .map(
          (g, i) =>
            `${flags[i] ? "[noncommittal] " : ""}${g.question === "" ? "(empty question)" : g.question} (${cosOf[i] === null ? "left out of the mean" : `cos ${cosOf[i]!.toFixed(4)}`})`,
        )
        .join("\n"),
      details: {
        meanCosine: meanSim,
        noncommittal: flags.filter((f) => f === 1).length,
        emptyQuestions: gens.filter((g) => g.question === "").length,
      },
      signature: sig,
      cost: meter.total,
    };
  } catch (error) {
    if (error instanceof RagasStepError) return notMeasured(error.message, sig, meter);
    throw error;
  }
}
