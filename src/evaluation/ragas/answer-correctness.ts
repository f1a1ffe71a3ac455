/**
 * Ragas answer correctness (ragas 0.1.x `AnswerCorrectness`; also Wayfarer's golden E2E metric):
 * statements are extracted from the answer and from the reference (as in faithfulness), the LLM
 * classifies them ("TP (true positive): statements that are present in answer that are also directly
 * supported by the one or more statements in ground truth, FP (false positive): statements present in
 * the answer but not directly supported by any statement in ground truth, FN (false negative):
 * statements found in the ground truth but not present in answer"), F1 = TP / (TP + 0.5·(FP + FN)),
 * and final = 0.75·F1 + 0.25·cosine(embedding(answer), embedding(reference)) (weights configurable;
 * ragas' answer similarity without threshold). TP+FP+FN = 0 -> error. No reference -> not-applicable.
 * Needs `ctx.judge` and (with a non-zero similarity weight) `ctx.embedder`.
 */
import { z } from "zod";
import { judgeModelSignature } from "../judge/call.ts";
import { cosine } from "../metrics/embedding.ts";
import type { EvaluatorContext } from "../registry.ts";
import type { EvaluationInput, EvaluationResult, EvaluatorDescriptor } from "../types.ts";
import {
  CostMeter,
  extractStatements,
  llmJson,
  MAX_STATEMENT_CHARS,
  MAX_STATEMENTS,
  notApplicable,
  RAGAS_PROMPTS_VERSION,
  RagasStepError,
} from "./common.ts";
import { statementsShape } from "./faithfulness.ts";

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
const item = z.object({ statement: z.string(), reason: z.string() });
const shape = z.object({ TP: z.array(item), FP: z.array(item), FN: z.array(item) });

const INSTRUCTION =
  "Given a ground truth and an answer statements, analyze each statement and classify them in one of the following categories: TP (true positive): statements that are present in answer that are also directly supported by the one or more statements in ground truth, FP (false positive): statements present in the answer but not directly supported by any statement in ground truth, FN (false negative): statements found in the ground truth but not present in answer. Each statement can only belong to one of the categories. Provide a reason for each classification. " +
  'Output a JSON object {"TP": [{"statement": "...", "reason": "..."}], "FP": [...], "FN": [...]}.';

/** ragas' F1 over statement classes; null when there is nothing to classify. */
export function statementF1(tp: number, fp: number, fn: number): number | null {
  return tp + fp + fn === 0 ? null : tp / (tp + 0.5 * (fp + fn));
}

export function signature(o: AnswerCorrectnessOptions, ctx: EvaluatorContext): string {
  return `ragas-answer-correctness|algo:ragas-0.1|prompts:${RAGAS_PROMPTS_VERSION}|weights:${o.weights.join(",")}|ref:first|t:0|judge:${judgeModelSignature(ctx)}|embed:${o.weights[1] > 0 ? (ctx.embedder?.modelId ?? "none") : "unused"}`;
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
    const answerStatements = await extractStatements(
      ctx,
      descriptor.id,
      input.question,
      input.answer,
      meter,
      statementsShape,
      signal,
    );
    const refStatements = await extractStatements(
      ctx,
      descriptor.id,
      input.question,
      reference,
      meter,
      statementsShape,
      signal,
    );
    const r = await llmJson({
      ctx,
      metric: descriptor.id,
      step: "TP/FP/FN classification",
      instruction: INSTRUCTION,
      blocks: [
        { label: "Question", text: input.question },
        { label: "Answer statements", text: answerStatements.map((s, i) => `${i + 1}. ${s}`).join("\n") },
        { label: "Ground truth statements", text: refStatements.map((s, i) => `${i + 1}. ${s}`).join("\n") },
      ],
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
    const f1 = statementF1(r.TP.length, r.FP.length, r.FN.length);
    if (f1 === null)
      return {
        status: "error",
        value: null,
        reason: "no statements classified (TP + FP + FN = 0)",
        signature: sig,
        cost: meter.total,
      };
    const [wf, ws] = o.weights;
    let similarity = 0;
    if (ws > 0) {
      if (!ctx.embedder) throw new Error("ragas-answer-correctness: needs EvaluatorContext.embedder");
      const [a, b] = await ctx.embedder.embed([input.answer, reference], signal);
      similarity = cosine(a!, b!);
    }
    const value = (wf * f1 + ws * similarity) / (wf + ws);
    return {
      status: "scored",
      value,
      reason: `TP ${r.TP.length}, FP ${r.FP.length}, FN ${r.FN.length}`,
      details: { f1, similarity, tp: r.TP.length, fp: r.FP.length, fn: r.FN.length },
      signature: sig,
      cost: meter.total,
    };
  } catch (error) {
    if (error instanceof RagasStepError)
      return { status: "error", value: null, reason: error.message, signature: sig, cost: meter.total };
    throw error;
  }
}
