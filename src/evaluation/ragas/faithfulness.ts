/**
 * Ragas faithfulness, as ragas 0.4.3 `Faithfulness` (ragas/metrics/_faithfulness.py): (1)
 * `StatementGeneratorPrompt` breaks the answer into standalone statements; (2) `NLIStatementPrompt`
 * judges them against the retrieved contexts joined with "\n" (verdict 1 = can be directly inferred);
 * score = truthy verdicts / verdicts returned, in [0, 1].
 * No contexts -> not-applicable; no statements, or no verdicts returned -> error (ragas: NaN). Needs
 * `ctx.judge`.
 */
import { z } from "zod";
import { judgeModelSignature } from "../judge/call.ts";
import type { EvaluatorContext } from "../registry.ts";
import type { EvaluationInput, EvaluationResult, EvaluatorDescriptor } from "../types.ts";
import {
  binaryVerdict,
  CostMeter,
  extractStatements,
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
import { NLI_STATEMENT_PROMPT } from "./prompts.ts";

export { statementsShape } from "./common.ts";

export const descriptor = {
  id: "ragas-faithfulness",
  label: "Ragas faithfulness (share of answer statements supported by the contexts)",
  needs: ["contexts", "llm"],
  range: [0, 1],
  higherIsBetter: true,
} as const satisfies EvaluatorDescriptor;

export const optionsSchema = z.strictObject({});

/** ragas `NLIStatementOutput`. */
const verdictsShape = z.object({
  statements: z.array(z.object({ statement: z.string(), reason: z.string(), verdict: binaryVerdict })),
});

/** ragas `Faithfulness._compute_score`: truthy verdicts / verdicts; null where ragas gives NaN (none). */
export function faithfulnessScore(verdicts: readonly number[]): number | null {
  if (verdicts.length === 0) return null;
  return verdicts.filter((v) => v !== 0).length / verdicts.length;
}

export function signature(ctx: EvaluatorContext): string {
  return `ragas-faithfulness|algo:ragas-${RAGAS_VERSION}|prompts:${RAGAS_PROMPTS_VERSION}|${VERDICT_RULE}|t:0|judge:${judgeModelSignature(ctx)}`;
}

/** Faithfulness of one answer to its contexts (see module doc). */
export async function score(
  input: EvaluationInput,
  ctx: EvaluatorContext,
  signal?: AbortSignal,
): Promise<EvaluationResult> {
  const sig = signature(ctx);
  const meter = new CostMeter();
  if (!input.contexts || input.contexts.length === 0)
    return notApplicable("no retrieved contexts (answer produced without retrieval)", sig, meter);
  try {
    const statements = await extractStatements(ctx, descriptor.id, input.question, input.answer, meter, signal);
    if (statements.length === 0) return notMeasured("no statements could be extracted from the answer", sig, meter);
    const r = await ragasStep({
      ctx,
      metric: descriptor.id,
      step: "statement verdicts",
      prompt: NLI_STATEMENT_PROMPT,
      input: { context: input.contexts.join("\n"), statements },
      jsonSchema: verdictsSchema(statements.length),
      validate: verdictsShape,
      maxTokens: 2048,
      meter,
      ...(signal ? { signal } : {}),
    });
    const verdicts = r.statements.map((v) => v.verdict);
    const value = faithfulnessScore(verdicts);
    if (value === null) return notMeasured("the judge returned no verdicts", sig, meter);
    return {
      status: "scored",
      value,
      reason: r.statements.map((v) => `${v.verdict} ${v.statement} — ${v.reason}`).join("\n"),
      details: { statements: verdicts.length, supported: verdicts.filter((v) => v !== 0).length },
      signature: sig,
      cost: meter.total,
    };
  } catch (error) {
    if (error instanceof RagasStepError) return notMeasured(error.message, sig, meter);
    throw error;
  }
}

/** Grammar of ragas' `NLIStatementOutput`, one verdict per statement. */
function verdictsSchema(n: number) {
  return {
    type: "object",
    properties: {
      statements: {
        type: "array",
        items: {
          type: "object",
          properties: {
            statement: { type: "string", maxLength: MAX_STATEMENT_CHARS },
            reason: { type: "string", maxLength: MAX_REASON_CHARS },
            verdict: { type: "integer", enum: [0, 1] },
          },
          required: ["statement", "reason", "verdict"],
          additionalProperties: false,
        },
        minItems: Math.min(n, MAX_STATEMENTS),
        maxItems: Math.min(n, MAX_STATEMENTS),
      },
    },
    required: ["statements"],
    additionalProperties: false,
  };
}
