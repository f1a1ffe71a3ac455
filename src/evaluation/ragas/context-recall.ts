/**
 * Ragas context recall (ragas 0.1.x `ContextRecall`, prompt `CONTEXT_RECALL_RA`): "Given a context,
 * and an answer, analyze each sentence in the answer and classify if the sentence can be attributed to
 * the given context or not. Use only 'Yes' (1) or 'No' (0) as a binary classification." — the answer
 * here is the REFERENCE (ground truth); score = attributed / classified sentences in [0, 1].
 * No contexts or no reference -> not-applicable; nothing classified -> error. Needs `ctx.judge`.
 */
import { z } from "zod";
import { judgeModelSignature } from "../judge/call.ts";
import type { EvaluatorContext } from "../registry.ts";
import type { EvaluationInput, EvaluationResult, EvaluatorDescriptor } from "../types.ts";
import {
  CostMeter,
  llmJson,
  MAX_REASON_CHARS,
  MAX_STATEMENT_CHARS,
  MAX_STATEMENTS,
  notApplicable,
  RAGAS_PROMPTS_VERSION,
  RagasStepError,
} from "./common.ts";

export const descriptor = {
  id: "ragas-context-recall",
  label: "Ragas context recall (share of reference statements attributable to the contexts)",
  needs: ["references", "contexts", "llm"],
  range: [0, 1],
  higherIsBetter: true,
} as const satisfies EvaluatorDescriptor;

export const optionsSchema = z.strictObject({});

const shape = z.object({
  classifications: z.array(
    z.object({ statement: z.string(), reason: z.string(), attributed: z.union([z.literal(0), z.literal(1)]) }),
  ),
});

const INSTRUCTION =
  'Given a context, and an answer, analyze each sentence in the answer and classify if the sentence can be attributed to the given context or not. Use only "Yes" (1) or "No" (0) as a binary classification. ' +
  'Output a JSON object {"classifications": [{"statement": "<sentence of the answer>", "reason": "...", "attributed": 1 or 0}, ...]} with one entry per sentence of the answer.';

export function signature(ctx: EvaluatorContext): string {
  return `ragas-context-recall|algo:ragas-0.1|prompts:${RAGAS_PROMPTS_VERSION}|ref:first|t:0|judge:${judgeModelSignature(ctx)}`;
}

export async function score(
  input: EvaluationInput,
  ctx: EvaluatorContext,
  signal?: AbortSignal,
): Promise<EvaluationResult> {
  const sig = signature(ctx);
  const meter = new CostMeter();
  if (!input.contexts || input.contexts.length === 0)
    return notApplicable("no retrieved contexts (answer produced without retrieval)", sig, meter);
  const reference = input.references?.[0];
  if (reference === undefined) return notApplicable("needs a reference answer", sig, meter);
  try {
    const r = await llmJson({
      ctx,
      metric: descriptor.id,
      step: "attribution",
      instruction: INSTRUCTION,
      blocks: [
        { label: "Question", text: input.question },
        { label: "Context", text: input.contexts.join("\n") },
        { label: "Answer", text: reference },
      ],
      jsonSchema: {
        type: "object",
        properties: {
          classifications: {
            type: "array",
            items: {
              type: "object",
              properties: {
                statement: { type: "string", maxLength: MAX_STATEMENT_CHARS },
                reason: { type: "string", maxLength: MAX_REASON_CHARS },
                attributed: { type: "integer", enum: [0, 1] },
              },
              required: ["statement", "reason", "attributed"],
              additionalProperties: false,
            },
            maxItems: MAX_STATEMENTS,
          },
        },
        required: ["classifications"],
        additionalProperties: false,
      },
      validate: shape,
      maxTokens: 2048,
      meter,
      ...(signal ? { signal } : {}),
    });
    const n = r.classifications.length;
    if (n === 0)
      return {
        status: "error",
        value: null,
        reason: "the judge classified no statements",
        signature: sig,
        cost: meter.total,
      };
    const attributed = r.classifications.filter((c) => c.attributed === 1).length;
    return {
      status: "scored",
      value: attributed / n,
      reason: r.classifications.map((c) => `${c.attributed} ${c.statement} — ${c.reason}`).join("\n"),
      details: { statements: n, attributed },
      signature: sig,
      cost: meter.total,
    };
  } catch (error) {
    if (error instanceof RagasStepError)
      return { status: "error", value: null, reason: error.message, signature: sig, cost: meter.total };
    throw error;
  }
}
