/**
 * Shared pieces of the Ragas-family metrics (ragas 0.1.x algorithms; see each metric's doc):
 * JSON-structured LLM steps validated with zod, statement extraction, and the error convention
 * (a step whose output does not parse makes the whole metric `status: "error"`, never 0; Ragas turns
 * such rows into NaN and averages with nanmean, we count them).
 *
 * Prompts are our paraphrases of the ragas 0.1.x instructions (wording quoted where we could recall it;
 * few-shot examples shortened to one), with untrusted text in nonce-tagged blocks (`judge/delimit.ts`)
 * and the output shape enforced by a JSON schema (llama.cpp grammar / OpenAI json_schema).
 */

import type { z } from "zod";
import type { JsonSchema } from "../../models/generator.ts";
import { addCost, callJudge, rawForReason } from "../judge/call.ts";
import { delimit, pickNonce, untrustedNotice } from "../judge/delimit.ts";
import type { EvaluatorContext } from "../registry.ts";
import type { EvaluationResult } from "../types.ts";
import { type EvaluationCost, ZERO_COST } from "../types.ts";

/** Version of our ragas prompts, recorded in every Ragas signature. */
export const RAGAS_PROMPTS_VERSION = "ragas-0.1-paraphrase-v1+nonce-v1";

/** Running cost of a multi-step metric. */
export class CostMeter {
  total: EvaluationCost = ZERO_COST;
  add(c: EvaluationCost): void {
    this.total = addCost(this.total, c);
  }
}

/** A step whose output did not parse; carries the raw output for the result's reason. */
export class RagasStepError extends Error {
  override name = "RagasStepError";
  readonly raw: string;
  constructor(step: string, problem: string, raw: string) {
    super(`${step}: ${problem}; raw output: ${rawForReason(raw)}`);
    this.raw = raw;
  }
}

/** Options of `llmJson`. */
export interface LlmJsonOptions<T> {
  ctx: EvaluatorContext;
  /** Metric id (for errors). */
  metric: string;
  /** Step name (for errors). */
  step: string;
  /** Instruction text (trusted). */
  instruction: string;
  /** Untrusted inputs, delimited in this order. */
  blocks: Array<{ label: string; text: string }>;
  /** Output JSON schema (sent as grammar / response_format) and its zod validator. */
  jsonSchema: JsonSchema;
  validate: z.ZodType<T>;
  maxTokens: number;
  meter: CostMeter;
  temperature?: number;
  seed?: number;
  signal?: AbortSignal;
}

/**
 * One structured LLM step: instruction, untrusted-data notice, delimited blocks; the reply must be a
 * JSON object matching `validate`.
 * @throws RagasStepError when the reply is not valid JSON of the expected shape.
 */
export async function llmJson<T>(o: LlmJsonOptions<T>): Promise<T> {
  const nonce = pickNonce(
    o.blocks.map((b) => b.text),
    o.ctx.nonce,
  );
  const content = [
    o.instruction,
    untrustedNotice(nonce),
    ...o.blocks.map((b) => delimit(b, nonce)),
    "Reply with the JSON object only.",
  ].join("\n\n");
  const reply = await callJudge(o.ctx, o.metric, {
    messages: [{ role: "user", content }],
    maxTokens: o.maxTokens,
    jsonSchema: o.jsonSchema,
    ...(o.temperature !== undefined ? { temperature: o.temperature } : {}),
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  o.meter.add(reply.cost);
  const text = reply.text
    .trim()
    .replace(/^```(?:json)?\s*/i, "")
    .replace(/\s*```$/, "");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new RagasStepError(o.step, "reply is not JSON", reply.text);
  }
  const r = o.validate.safeParse(json);
  if (!r.success)
    throw new RagasStepError(o.step, `unexpected JSON shape (${r.error.issues[0]?.message ?? "invalid"})`, reply.text);
  return r.data;
}

/** Grammar bounds keeping small local models from rambling. */
export const MAX_STATEMENTS = 20;
export const MAX_STATEMENT_CHARS = 300;
export const MAX_REASON_CHARS = 300;

/** JSON schema for `{"statements": string[]}`. */
export const STATEMENTS_SCHEMA: JsonSchema = {
  type: "object",
  properties: {
    statements: {
      type: "array",
      items: { type: "string", maxLength: MAX_STATEMENT_CHARS },
      maxItems: MAX_STATEMENTS,
    },
  },
  required: ["statements"],
  additionalProperties: false,
};

/**
 * ragas 0.1 `LONG_FORM_ANSWER_PROMPT` step: break the answer into standalone statements without
 * pronouns (ragas first splits sentences with pysbd; here the LLM does it).
 */
export const STATEMENTS_INSTRUCTION =
  "Given a question and an answer, analyze the complexity of each sentence in the answer and break down each sentence into one or more fully understandable statements, while also ensuring no pronouns are used in each statement. " +
  'Output a JSON object {"statements": [...]}.\n' +
  'Example: question "Who was Albert Einstein and what is he best known for?", answer "He was a German-born theoretical physicist, widely acknowledged to be one of the greatest physicists of all time. He was best known for developing the theory of relativity." -> ' +
  '{"statements": ["Albert Einstein was a German-born theoretical physicist.", "Albert Einstein is recognized as one of the greatest physicists of all time.", "Albert Einstein was best known for developing the theory of relativity."]}';

/** Extracts statements from `text` (an answer or a reference) for `question`. */
export async function extractStatements(
  ctx: EvaluatorContext,
  metric: string,
  question: string,
  text: string,
  meter: CostMeter,
  validate: z.ZodType<{ statements: string[] }>,
  signal?: AbortSignal,
): Promise<string[]> {
  const r = await llmJson({
    ctx,
    metric,
    step: "statement extraction",
    instruction: STATEMENTS_INSTRUCTION,
    blocks: [
      { label: "Question", text: question },
      { label: "Answer", text },
    ],
    jsonSchema: STATEMENTS_SCHEMA,
    validate,
    maxTokens: 1024,
    meter,
    ...(signal ? { signal } : {}),
  });
  return r.statements.map((s) => s.trim()).filter((s) => s.length > 0);
}

/** A "not applicable" result (e.g. no contexts: the answer was produced without retrieval). */
export function notApplicable(reason: string, signature: string, meter: CostMeter): EvaluationResult {
  return { status: "not-applicable", value: null, reason, signature, cost: meter.total };
}
