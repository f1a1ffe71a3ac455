/**
 * Ragas answer correctness, as ragas 0.4.3 `AnswerCorrectness` (ragas/metrics/_answer_correctness.py;
 * also Wayfarer's golden E2E metric): `StatementGeneratorPrompt` extracts statements from the answer, then
 * from the reference; unless both lists are empty (then F1 = 1), `CorrectnessClassifier` sorts them into
 * TP / FP / FN and F1 = ragas `fbeta_score(TP, FP, FN, beta)` (precision and recall 0 when undefined;
 * 0 when both are 0); similarity = ragas `AnswerSimilarity`: cosine of the embeddings of the reference
 * and the answer (an empty text embedded as " "); final = np.average([F1, similarity], weights)
 * with weights [0.75, 0.25] by default. No reference -> not-applicable; a zero-length embedding -> error
 * (ragas: NaN). Needs `ctx.judge` and (with a non-zero similarity weight) `ctx.embedder`.
 */
import { z } from "zod";
import { judgeModelSignature } from "../judge/call.ts";
import type { EvaluatorContext } from "../registry.ts";
import type { EvaluationInput, EvaluationResult, EvaluatorDescriptor } from "../types.ts";
import {
  CostMeter,
  extractStatements,
  MAX_STATEMENT_CHARS,
  MAX_STATEMENTS,
  notApplicable,
  notMeasured,
  RAGAS_PROMPTS_VERSION,
  RAGAS_VERSION,
  RagasStepError,
  ragasStep,
} from "./common.ts";
import { CORRECTNESS_CLASSIFIER_PROMPT } from "./prompts.ts";

export const descriptor = {
  id: "ragas-answer-correctness",
  label: "Ragas answer correctness (0.75 statement F1 + 0.25 embedding similarity to the golden answer)",
  needs: ["references", "llm", "encoder"],
  range: [0, 1],
  higherIsBetter: true,
} as const satisfies EvaluatorDescriptor;

export const optionsSchema = z
  .strictObject({
    /** [factuality, similarity] weights, non-negative, not both 0. Default [0.75, 0.25] (ragas). */
    weights: z.tuple([z.number().min(0), z.number().min(0)]).default([0.75, 0.25]),
    /** F-beta of the statement classes; > 1 favours recall. Default 1 (ragas). */
    beta: z.number().positive().default(1),
  })
  .refine((o) => o.weights[0] + o.weights[1] > 0, "weights must not both be 0");
export type AnswerCorrectnessOptions = z.output<typeof optionsSchema>;

const listSchema = {
  type: "array",
  items: {
    type: "object",
    properties: {
      statement: { type: "string", maxLength: MAX_STATEMENT_CHARS },
      reason: { type: "string", maxLength: 200 },
    },
    required: ["statement", "reason"],
    additionalProperties: false,
  },
  maxItems: MAX_STATEMENTS,
};
/** ragas `ClassificationWithReason`. */
const item = z.object({ statement: z.string(), reason: z.string() });
const shape = z.object({ TP: z.array(item), FP: z.array(item), FN: z.array(item) });

/** ragas `fbeta_score` (ragas/metrics/utils.py), operation for operation. */
export function statementF1(tp: number, fp: number, fn: number, beta = 1): number {
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  if (precision === 0 && recall === 0) return 0;
  const b2 = beta ** 2;
  return ((1 + b2) * (precision * recall)) / (b2 * precision + recall);
}

/** ragas `SemanticSimilarity` without threshold: each vector divided by its norm, then the dot product. */
export function normalisedDot(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new RangeError(`dimensions differ (${a.length} vs ${b.length})`);
  const na = Math.sqrt(a.reduce((s, x) => s + x * x, 0));
  const nb = Math.sqrt(b.reduce((s, x) => s + x * x, 0));
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += (a[i]! / na) * (b[i]! / nb);
  return dot;
}

export function signature(o: AnswerCorrectnessOptions, ctx: EvaluatorContext): string {
  return `ragas-answer-correctness|algo:ragas-${RAGAS_VERSION}|prompts:${RAGAS_PROMPTS_VERSION}|weights:${o.weights.join(",")}|beta:${o.beta}|ref:first|t:0|judge:${judgeModelSignature(ctx)}|embed:${o.weights[1] > 0 ? (ctx.embedder?.modelId ?? "none") : "unused"}`;
}

export async function score(
  input: EvaluationInput,
  ctx: EvaluatorContext,
  o: AnswerCorrectnessOptions,
  signal?: AbortSignal,
): Promise<EvaluationResult> {
  const sig = signature(o, ctx);
  const meter = new CostMeter();
  const reference = input.references?.[0];
  if (reference === undefined) return notApplicable("needs a reference (golden) answer", sig, meter);
  try {
    const answerStatements = await extractStatements(ctx, descriptor.id, input.question, input.answer, meter, signal);
    const refStatements = await extractStatements(ctx, descriptor.id, input.question, reference, meter, signal);
    let f1 = 1;
    let counts = { tp: 0, fp: 0, fn: 0 };
    if (answerStatements.length > 0 || refStatements.length > 0) {
      const r = await ragasStep({
        ctx,
        metric: descriptor.id,
        step: "TP/FP/FN classification",
        prompt: CORRECTNESS_CLASSIFIER_PROMPT,
        input: { question: input.question, answer: answerStatements, ground_truth: refStatements },
        jsonSchema: {
          type: "object",
          properties: { TP: listSchema, FP: listSchema, FN: listSchema },
          required: ["TP", "FP", "FN"],
          additionalProperties: false,
        },
        validate: shape,
        maxTokens: 2048,
        meter,
        ...(signal ? { signal } : {}),
      });
      counts = { tp: r.TP.length, fp: r.FP.length, fn: r.FN.length };
      f1 = statementF1(counts.tp, counts.fp, counts.fn, o.beta);
    }
    const [wf, ws] = o.weights;
    let similarity = 0;
    if (ws !== 0) {
      if (!ctx.embedder) throw new Error("ragas-answer-correctness: needs EvaluatorContext.embedder");
      const [ref, ans] = await ctx.embedder.embed([reference || " ", input.answer || " "], signal);
      similarity = normalisedDot(ref!, ans!);
      if (Number.isNaN(similarity)) return notMeasured("an embedding has zero length", sig, meter);
    }
    const value = (f1 * wf + similarity * ws) / (wf + ws);
    return {
      status: "scored",
      value,
      reason: `TP ${counts.tp}, FP ${counts.fp}, FN ${counts.fn}`,
      details: { f1, similarity, ...counts },
      signature: sig,
      cost: meter.total,
    };
  } catch (error) {
    if (error instanceof RagasStepError) return notMeasured(error.message, sig, meter);
    throw error;
  }
}
