/**
 * Ragas context precision (ragas 0.1.x `ContextPrecision`): for each retrieved chunk in rank order one
 * LLM verdict "Given question, answer and context verify if the context was useful in arriving at the
 * given answer. Give verdict as "1" if useful and "0" if not", where the answer is the REFERENCE;
 * score = Σ_k (precision@k · v_k) / (Σ_k v_k + 1e-10) in [0, 1] (0 when no chunk is useful).
 * No contexts or no reference -> not-applicable. Needs `ctx.judge`.
 */
import { z } from "zod";
import { judgeModelSignature } from "../judge/call.ts";
import type { EvaluatorContext } from "../registry.ts";
import type { EvaluationInput, EvaluationResult, EvaluatorDescriptor } from "../types.ts";
import {
  CostMeter,
  llmJson,
  MAX_REASON_CHARS,
  notApplicable,
  RAGAS_PROMPTS_VERSION,
  RagasStepError,
} from "./common.ts";

export const descriptor = {
  id: "ragas-context-precision",
  label: "Ragas context precision (useful chunks ranked first)",
  needs: ["references", "contexts", "llm"],
  range: [0, 1],
  higherIsBetter: true,
} as const satisfies EvaluatorDescriptor;

export const optionsSchema = z.strictObject({});

const shape = z.object({ reason: z.string(), verdict: z.union([z.literal(0), z.literal(1)]) });

const INSTRUCTION =
  'Given question, answer and context verify if the context was useful in arriving at the given answer. Give verdict as "1" if useful and "0" if not with json output: {"reason": "...", "verdict": 1 or 0}.';

/** Ragas' average precision over binary verdicts in rank order. */
export function averagePrecision(verdicts: readonly (0 | 1)[]): number {
  let hits = 0;
  let num = 0;
  verdicts.forEach((v, i) => {
    hits += v;
    num += (hits / (i + 1)) * v;
  });
  return num / (hits + 1e-10);
}

export function signature(ctx: EvaluatorContext): string {
  return `ragas-context-precision|algo:ragas-0.1|prompts:${RAGAS_PROMPTS_VERSION}|ref:first|t:0|judge:${judgeModelSignature(ctx)}`;
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
    const verdicts: (0 | 1)[] = [];
    for (const context of input.contexts) {
      const r = await llmJson({
        ctx,
        metric: descriptor.id,
        step: `verdict for chunk ${verdicts.length + 1}`,
        instruction: INSTRUCTION,
        blocks: [
          { label: "Question", text: input.question },
          { label: "Context", text: context },
          { label: "Answer", text: reference },
        ],
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
      verdicts.push(r.verdict);
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
    if (error instanceof RagasStepError)
      return { status: "error", value: null, reason: error.message, signature: sig, cost: meter.total };
    throw error;
  }
}
