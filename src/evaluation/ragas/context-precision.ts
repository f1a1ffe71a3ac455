/**
 * Ragas context precision, as ragas 0.4.3 `LLMContextPrecisionWithReference` (= `ContextPrecision`,
 * ragas/metrics/_context_precision.py): for each retrieved chunk in rank order one
 * `ContextPrecisionPrompt` verdict ("was the context useful in arriving at the given answer", where the
 * answer is the REFERENCE); score = Σ_k (precision@k · v_k) / (Σ_k v_k + 1e-10) in [0, 1] (0 when no
 * chunk is useful). No contexts or no reference -> not-applicable. Needs `ctx.judge`.
 */
import { z } from "zod";
import { judgeModelSignature } from "../judge/call.ts";
import type { EvaluatorContext } from "../registry.ts";
import type { EvaluationInput, EvaluationResult, EvaluatorDescriptor } from "../types.ts";
import {
  CostMeter,
  laxInt,
  MAX_REASON_CHARS,
  notApplicable,
  notMeasured,
  RAGAS_PROMPTS_VERSION,
  RAGAS_VERSION,
  RagasStepError,
  ragasStep,
} from "./common.ts";
import { CONTEXT_PRECISION_PROMPT } from "./prompts.ts";

export const descriptor = {
  id: "ragas-context-precision",
  label: "Ragas context precision (useful chunks ranked first)",
  needs: ["references", "contexts", "llm"],
  range: [0, 1],
  higherIsBetter: true,
} as const satisfies EvaluatorDescriptor;

export const optionsSchema = z.strictObject({});

/** ragas `Verification`. */
const shape = z.object({ reason: z.string(), verdict: laxInt });

/**
 * ragas `_calculate_average_precision` over verdicts in rank order (truthy = useful), in ragas' order
 * of floating-point operations.
 */
export function averagePrecision(verdicts: readonly number[]): number {
  const v = verdicts.map((x) => (x ? 1 : 0));
  let hits = 0;
  let numerator = 0;
  v.forEach((x, i) => {
    hits += x;
    numerator += (hits / (i + 1)) * x;
  });
  return numerator / (hits + 1e-10);
}

export function signature(ctx: EvaluatorContext): string {
  return `ragas-context-precision|algo:ragas-${RAGAS_VERSION}|prompts:${RAGAS_PROMPTS_VERSION}|ref:first|t:0|judge:${judgeModelSignature(ctx)}`;
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
    const verdicts: number[] = [];
    for (const context of input.contexts) {
      const r = await ragasStep({
        ctx,
        metric: descriptor.id,
        step: `verdict for chunk ${verdicts.length + 1}`,
        prompt: CONTEXT_PRECISION_PROMPT,
        input: { question: input.question, context, answer: reference },
        jsonSchema: {
          type: "object",
          properties: {
            reason: { type: "string", maxLength: MAX_REASON_CHARS },
            verdict: { type: "integer", enum: [0, 1] },
          },
          required: ["reason", "verdict"],
          additionalProperties: false,
        },
        validate: shape,
        maxTokens: 512,
        meter,
        ...(signal ? { signal } : {}),
      });
      verdicts.push(r.verdict !== 0 ? 1 : 0);
    }
    return {
      status: "scored",
      value: averagePrecision(verdicts),
      reason: `verdicts in rank order: ${verdicts.join(",")}`,
      details: { chunks: verdicts.length, useful: verdicts.filter((v) => v === 1).length },
      signature: sig,
      cost: meter.total,
    };
  } catch (error) {
    if (error instanceof RagasStepError) return notMeasured(error.message, sig, meter);
    throw error;
  }
}
