/**
 * Ragas faithfulness (ragas 0.1.x `Faithfulness`): (1) the LLM breaks the answer into standalone
 * statements; (2) the LLM judges each statement against the joined contexts ("verdict 1 if the
 * statement can be directly inferred based on the context or 0 if the statement can not be directly
 * inferred based on the context"); score = supported / total in [0, 1].
 * No contexts -> not-applicable; no statements -> error (ragas: NaN). Needs `ctx.judge`.
 */
import { z } from "zod";
import { judgeModelSignature } from "../judge/call.ts";
import type { EvaluatorContext } from "../registry.ts";
import type { EvaluationInput, EvaluationResult, EvaluatorDescriptor } from "../types.ts";
import {
  CostMeter,
  extractStatements,
  llmJson,
  MAX_REASON_CHARS,
  MAX_STATEMENTS,
  notApplicable,
  RAGAS_PROMPTS_VERSION,
  RagasStepError,
} from "./common.ts";

export const descriptor = {
  id: "ragas-faithfulness",
  label: "Ragas faithfulness (share of answer statements supported by the contexts)",
  needs: ["contexts", "llm"],
  range: [0, 1],
  higherIsBetter: true,
} as const satisfies EvaluatorDescriptor;

export const optionsSchema = z.strictObject({});

export const statementsShape = z.object({ statements: z.array(z.string()) });
const verdictsShape = z.object({
  verdicts: z.array(
    z.object({ statement: z.string(), reason: z.string(), verdict: z.union([z.literal(0), z.literal(1)]) }),
  ),
});

export const NLI_INSTRUCTION =
  "Your task is to judge the faithfulness of a series of statements based on a given context. For each statement you must return verdict as 1 if the statement can be directly inferred based on the context or 0 if the statement can not be directly inferred based on the context. " +
  'Output a JSON object {"verdicts": [{"statement": "...", "reason": "...", "verdict": 0 or 1}, ...]} with one entry per statement, in order.';

export function signature(ctx: EvaluatorContext): string {
  return `ragas-faithfulness|algo:ragas-0.1|prompts:${RAGAS_PROMPTS_VERSION}|t:0|judge:${judgeModelSignature(ctx)}`;
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
    const statements = await extractStatements(
      ctx,
      descriptor.id,
      input.question,
      input.answer,
      meter,
      statementsShape,
      signal,
    );
    if (statements.length === 0)
      return {
        status: "error",
        value: null,
        reason: "no statements could be extracted from the answer",
        signature: sig,
        cost: meter.total,
      };
    const r = await llmJson({
      ctx,
      metric: descriptor.id,
      step: "statement verdicts",
      instruction: NLI_INSTRUCTION,
      blocks: [
        { label: "Context", text: input.contexts.join("\n") },
        { label: "Statements", text: statements.map((s, i) => `${i + 1}. ${s}`).join("\n") },
      ],
      jsonSchema: verdictsSchema(statements.length),
      validate: verdictsShape,
      maxTokens: 2048,
      meter,
      ...(signal ? { signal } : {}),
    });
    if (r.verdicts.length !== statements.length)
      throw new RagasStepError(
        "statement verdicts",
        `${r.verdicts.length} verdicts for ${statements.length} statements`,
        JSON.stringify(r),
      );
    const supported = r.verdicts.filter((v) => v.verdict === 1).length;
    return {
      status: "scored",
      value: supported / statements.length,
      reason: r.verdicts.map((v) => `${v.verdict} ${v.statement} — ${v.reason}`).join("\n"),
      details: { statements: statements.length, supported },
      signature: sig,
      cost: meter.total,
    };
  } catch (error) {
    if (error instanceof RagasStepError)
      return { status: "error", value: null, reason: error.message, signature: sig, cost: meter.total };
    throw error;
  }
}

function verdictsSchema(n: number) {
  return {
    type: "object",
    properties: {
      verdicts: {
        type: "array",
        items: {
          type: "object",
          properties: {
            statement: { type: "string", maxLength: 300 },
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
    required: ["verdicts"],
    additionalProperties: false,
  };
}
