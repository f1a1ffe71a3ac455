/**
 * Ragas context precision, as ragas 0.4.3 `LLMContextPrecisionWithReference` (= `ContextPrecision`,
 * ragas/metrics/_context_precision.py): for each retrieved chunk in rank order one
 * `ContextPrecisionPrompt` verdict ("was the context useful in arriving at the given answer", where the
 * answer is the REFERENCE); score = Σ_k (precision@k · v_k) / Σ_k v_k in [0, 1], and 0 when no chunk is
 * useful. No contexts or no reference -> not-applicable. Needs `ctx.judge`.
 *
 * Deliberate difference from ragas (default): ragas adds 1e-10 to EVERY denominator
 * (`numerator / (sum(verdict_list) + 1e-10)`), so all-useful verdicts [1, 1, 1] give 0.99999999997, not 1.
 * We divide exactly and guard only the zero denominator; option `ragasEpsilon: true` restores ragas'
 * arithmetic (the parity tests run with it). The signature says which: `denom:exact` or `denom:+1e-10`.
 */
import { z } from "zod";
import { judgeModelSignature } from "../judge/call.ts";
import type { EvaluatorContext } from "../registry.ts";
import type { EvaluationInput, EvaluationResult, EvaluatorDescriptor } from "../types.ts";
import {
  binaryVerdict,
  CostMeter,
  MAX_REASON_CHARS,
  notApplicable,
  notMeasured,
  RAGAS_PROMPTS_VERSION,
  RAGAS_VERSION,
  RagasStepError,
  ragasStep,
  VERDICT_RULE,
} from "./common.ts";
import { CONTEXT_PRECISION_PROMPT } from "./prompts.ts";

export const descriptor = {
  id: "ragas-context-precision",
  label: "Ragas context precision (useful chunks ranked first)",
  needs: ["references", "contexts", "llm"],
  range: [0, 1],
  higherIsBetter: true,
} as const satisfies EvaluatorDescriptor;

export const optionsSchema = z.strictObject({
  /** Add ragas' 1e-10 to the denominator (parity with ragas 0.4.3). Default false: exact, 0 only when no chunk is useful. */
  ragasEpsilon: z.boolean().default(false),
});
export type ContextPrecisionOptions = z.output<typeof optionsSchema>;

/** ragas' additive guard in `_calculate_average_precision`. */
export const RAGAS_EPSILON = 1e-10;

/** ragas `Verification`. */
const shape = z.object({ reason: z.string(), verdict: binaryVerdict });

/**
 * Average precision over verdicts in rank order (truthy = useful): Σ_k (precision@k · v_k) / Σ_k v_k,
 * in ragas' `_calculate_average_precision` order of floating-point operations; 0 when no verdict is
 * useful. `epsilon` is added to the denominator (ragas: 1e-10; default 0 = exact).
 * @returns a value in [0, 1]; e.g. [1,1,1] -> 1, [0,1] -> 0.5, [1,0,1] -> 5/6, [0,0,0] -> 0.
 */
export function averagePrecision(verdicts: readonly number[], epsilon = 0): number {
  const v = verdicts.map((x) => (x ? 1 : 0));
  let hits = 0;
  let numerator = 0;
  v.forEach((x, i) => {
    hits += x;
    numerator += (hits / (i + 1)) * x;
  });
  const denominator = hits + epsilon;
  return denominator === 0 ? 0 : numerator / denominator;
}

/** What produces the value: ragas algorithm and prompts, the denominator rule, the judge. */
export function signature(o: ContextPrecisionOptions, ctx: EvaluatorContext): string {
  return `ragas-context-precision|algo:ragas-${RAGAS_VERSION}|prompts:${RAGAS_PROMPTS_VERSION}|${VERDICT_RULE}|denom:${o.ragasEpsilon ? "+1e-10(ragas)" : "exact"}|ref:first|t:0|judge:${judgeModelSignature(ctx)}`;
}

/** Context precision of one row (see module doc); judge failures to parse are `status: "error"`. */
export async function score(
  input: EvaluationInput,
  ctx: EvaluatorContext,
  o: ContextPrecisionOptions = optionsSchema.parse({}),
  signal?: AbortSignal,
): Promise<EvaluationResult> {
  const sig = signature(o, ctx);
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
      value: averagePrecision(verdicts, o.ragasEpsilon ? RAGAS_EPSILON : 0),
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
