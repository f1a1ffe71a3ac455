/**
 * Ragas answer relevancy (ragas 0.1.x `AnswerRelevancy`): the LLM generates `strictness` (default 3)
 * questions from the answer, each with a noncommittal flag ("Generate a question for the given answer
 * and Identify if answer is noncommittal. Give noncommittal as 1 if the answer is noncommittal and 0 if
 * the answer is committal. A noncommittal answer is one that is evasive, vague, or ambiguous. For
 * example, "I don't know" or "I'm not sure" are noncommittal answers"); score = mean cosine(embedding
 * of the user question, embedding of each generated question), times 0 if ANY generation flagged the
 * answer noncommittal (0.1.x; ragas >= 0.2 zeroes only when all do — option `noncommittal: "all"`).
 * ragas samples the `strictness` generations in one call with n = strictness at temperature 0.3; our
 * generator interface has no `n`, so we make `strictness` calls at temperature 0.3 with seeds 0..n-1.
 * Needs `ctx.judge` and `ctx.embedder`. Range [-1, 1] in principle, [0, 1] in practice.
 */
import { z } from "zod";
import { judgeModelSignature } from "../judge/call.ts";
import { cosine } from "../metrics/embedding.ts";
import type { EvaluatorContext } from "../registry.ts";
import type { EvaluationInput, EvaluationResult, EvaluatorDescriptor } from "../types.ts";
import { CostMeter, llmJson, RAGAS_PROMPTS_VERSION, RagasStepError } from "./common.ts";

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
  /** "any" (ragas 0.1.x, default): any noncommittal generation zeroes the score; "all" (ragas >= 0.2). */
  noncommittal: z.enum(["any", "all"]).default("any"),
  /** Sampling temperature of the generations (ragas: 0.3 when n > 1). */
  temperature: z.number().min(0).max(2).default(0.3),
});
export type AnswerRelevancyOptions = z.output<typeof optionsSchema>;

const shape = z.object({ question: z.string(), noncommittal: z.union([z.literal(0), z.literal(1)]) });

const INSTRUCTION =
  'Generate a question for the given answer and Identify if answer is noncommittal. Give noncommittal as 1 if the answer is noncommittal and 0 if the answer is committal. A noncommittal answer is one that is evasive, vague, or ambiguous. For example, "I don\'t know" or "I\'m not sure" are noncommittal answers. ' +
  'Output a JSON object {"question": "...", "noncommittal": 0 or 1}.\n' +
  'Example: answer "Albert Einstein was born in Germany." -> {"question": "Where was Albert Einstein born?", "noncommittal": 0}';

export function signature(o: AnswerRelevancyOptions, ctx: EvaluatorContext): string {
  return `ragas-answer-relevancy|algo:ragas-0.1|prompts:${RAGAS_PROMPTS_VERSION}|strictness:${o.strictness}|noncommittal:${o.noncommittal}|t:${o.temperature}|judge:${judgeModelSignature(ctx)}|embed:${ctx.embedder?.modelId ?? "none"}`;
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
    const gens = [];
    for (let i = 0; i < o.strictness; i++) {
      gens.push(
        await llmJson({
          ctx,
          metric: descriptor.id,
          step: `question generation ${i + 1}`,
          instruction: INSTRUCTION,
          blocks: [{ label: "Answer", text: input.answer }],
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
        }),
      );
    }
    const [q, ...gq] = await ctx.embedder.embed([input.question, ...gens.map((g) => g.question)], signal);
    const sims = gq.map((v) => cosine(q!, v));
    const meanSim = sims.reduce((a, b) => a + b, 0) / sims.length;
    const flags = gens.map((g) => g.noncommittal);
    const zero = o.noncommittal === "any" ? flags.some((f) => f === 1) : flags.every((f) => f === 1);
    return {
      status: "scored",
      value: zero ? 0 : meanSim,
      reason: gens
        .map((g, i) => `${g.noncommittal ? "[noncommittal] " : ""}${g.question} (cos ${sims[i]!.toFixed(4)})`)
        .join("\n"),
      details: { meanCosine: meanSim, noncommittal: flags.filter((f) => f === 1).length },
      signature: sig,
      cost: meter.total,
    };
  } catch (error) {
    if (error instanceof RagasStepError)
      return { status: "error", value: null, reason: error.message, signature: sig, cost: meter.total };
    throw error;
  }
}
