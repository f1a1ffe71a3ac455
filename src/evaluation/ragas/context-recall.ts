/**
 * Ragas context recall, as ragas 0.4.3 `LLMContextRecall` (= `ContextRecall`,
 * ragas/metrics/_context_recall.py): one `ContextRecallClassificationPrompt` call with the question, the
 * retrieved contexts joined with "\n" and, as "answer", the REFERENCE; the LLM classifies each sentence
 * of the reference as attributable to the contexts (1) or not (0); score = truthy / classified in [0, 1].
 * No contexts or no reference -> not-applicable; nothing classified -> error (ragas: NaN). Needs
 * `ctx.judge`.
 */
import { z } from "zod";
import { judgeModelSignature } from "../judge/call.ts";
import type { EvaluatorContext } from "../registry.ts";
import type { EvaluationInput, EvaluationResult, EvaluatorDescriptor } from "../types.ts";
import {
  binaryVerdict,
  CostMeter,
  MAX_REASON_CHARS,
  MAX_STATEMENT_CHARS,
  MAX_STATEMENTS,
  notApplicable,
  notMeasured,
  RAGAS_PROMPTS_VERSION,
  RAGAS_VERSION,
  RagasStepError,
  ragasStep,
  VERDICT_RULE,
} from "./common.ts";
import { CONTEXT_RECALL_CLASSIFICATION_PROMPT } from "./prompts.ts";

export const descriptor = {
  id: "ragas-context-recall",
  label: "Ragas context recall (share of reference statements attributable to the contexts)",
  needs: ["references", "contexts", "llm"],
  range: [0, 1],
  higherIsBetter: true,
} as const satisfies EvaluatorDescriptor;

export const optionsSchema = z.strictObject({});

/** ragas `ContextRecallClassifications`. */
const shape = z.object({
  classifications: z.array(z.object({ statement: z.string(), reason: z.string(), attributed: binaryVerdict })),
});

export function signature(ctx: EvaluatorContext): string {
  return `ragas-context-recall|algo:ragas-${RAGAS_VERSION}|prompts:${RAGAS_PROMPTS_VERSION}|${VERDICT_RULE}|ref:first|t:0|judge:${judgeModelSignature(ctx)}`;
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
    const r = await ragasStep({
      ctx,
      metric: descriptor.id,
      step: "attribution",
      prompt: CONTEXT_RECALL_CLASSIFICATION_PROMPT,
      input: { question: input.question, context: input.contexts.join("\n"), answer: reference },
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
    if (n === 0) return notMeasured("the judge classified no statements", sig, meter);
    const attributed = r.classifications.filter((c) => c.attributed !== 0).length;
    return {
      status: "scored",
      value: attributed / n,
      reason: r.classifications.map((c) => `${c.attributed} ${c.statement} — ${c.reason}`).join("\n"),
      details: { statements: n, attributed },
      signature: sig,
      cost: meter.total,
    };
  } catch (error) {
    if (error instanceof RagasStepError) return notMeasured(error.message, sig, meter);
    throw error;
  }
}
