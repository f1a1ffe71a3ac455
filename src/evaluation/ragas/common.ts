/**
 * Shared pieces of the Ragas-family metrics, which follow ragas 0.4.3's legacy metric classes
 * (`ragas.metrics.Faithfulness`, `AnswerRelevancy`, `LLMContextPrecisionWithReference`, `LLMContextRecall`,
 * `AnswerCorrectness`): the same prompts byte for byte (`prompts.ts`), sent as one user message, their
 * replies read as ragas reads them (`extractJson`, langchain's lenient JSON parsing, then the output
 * model with pydantic's lax integers),
 * and the same score arithmetic (see each metric). Parity with the library itself is tested against
 * fixtures ragas generated (test/unit/evaluation/ragas/parity.test.ts).
 *
 * Where we deliberately differ from ragas (our evaluator contract):
 * - a step whose reply does not parse makes the metric `status: "error"` with the raw reply in the reason;
 *   ragas first asks the LLM to fix its output (`FixOutputFormat` prompt, up to 3 nested tries) and,
 *   failing that, raises (NaN under `evaluate`) — we do not make that extra call;
 * - rows ragas scores NaN are `status: "error"` (value null), never NaN; ragas averages with nanmean,
 *   we count them;
 * - a context metric without retrieved contexts is `not-applicable` (ragas requires the column);
 * - steps run greedy (temperature 0; ragas 0.01) except answer relevancy's sampled generations (0.3, as
 *   ragas), which we make as `strictness` separate calls (our generator has no `n`); a JSON schema
 *   constrains the reply where the provider supports it (llama.cpp grammar / OpenAI json_schema), which
 *   ragas' legacy path does not send.
 */

import { z } from "zod";
import type { JsonSchema } from "../../models/generator.ts";
import { addCost, callJudge, rawForReason } from "../judge/call.ts";
import type { EvaluatorContext } from "../registry.ts";
import type { EvaluationResult } from "../types.ts";
import { type EvaluationCost, ZERO_COST } from "../types.ts";
import { type RagasPrompt, renderRagasPrompt, STATEMENT_GENERATOR_PROMPT } from "./prompts.ts";

/** Version of our ragas prompts, recorded in every Ragas signature. */
export const RAGAS_PROMPTS_VERSION = "ragas-0.4.3-verbatim-v1";
/** The ragas release whose algorithms and prompts these metrics follow. */
export const RAGAS_VERSION = "0.4.3";

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

/**
 * ragas `extract_json` (ragas/prompt/utils.py): from the first "```json" if any, the first balanced
 * [...] or {...} (counting only the outer bracket kind, as ragas does), else the text unchanged.
 */
export function extractJson(text: string): string {
  const md = text.indexOf("```json");
  const t = md === -1 ? text : text.slice(md);
  const indices = [t.indexOf("["), t.indexOf("{")].filter((i) => i !== -1);
  if (indices.length === 0) return t;
  const start = Math.min(...indices);
  const open = t[start]!;
  const close = open === "[" ? "]" : "}";
  let count = 0;
  for (let i = start; i < t.length; i++) {
    const c = t[i];
    if (c === open) count++;
    else if (c === close) count--;
    if (count === 0) return t.slice(start, i + 1);
  }
  return t;
}

/**
 * How ragas' `RagasOutputParser` (a langchain-core `PydanticOutputParser`) reads the text `extractJson`
 * returned: langchain-core 1.8 `parse_json_markdown` with `parse_partial_json` — strip spaces, newlines and
 * backticks at both ends; parse; failing that, escape raw newlines/control characters inside strings,
 * close an unterminated string and any open brackets, and drop characters from the end until it parses
 * (a mismatched closing bracket gives null); if even that throws, retry on what follows a ``` fence.
 * @throws SyntaxError when nothing parses.
 */
export function parseJsonLikeLangchain(text: string): unknown {
  const t = text.trim();
  try {
    return parsePartialJson(stripJsonEnds(t));
  } catch {
    const m = /```(json)?([\s\S]*)/.exec(t);
    return parsePartialJson(stripJsonEnds(m ? m[2]! : t));
  }
}

function stripJsonEnds(s: string): string {
  return s.replace(/^[ \n\r\t`]+|[ \n\r\t`]+$/g, "");
}

/** Port of langchain-core's `parse_partial_json` (strict=False: raw control characters allowed in strings). */
function parsePartialJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    // repaired below
  }
  if (s.length > 100_000) return JSON.parse(s); // the repair loop is quadratic; such replies are junk anyway
  const chars: string[] = [];
  const stack: string[] = [];
  let inString = false;
  let escaped = false;
  for (const c of s) {
    let out = c;
    if (inString) {
      if (c === '"' && !escaped) inString = false;
      else if (c === "\\") escaped = !escaped;
      else {
        // Python's json.loads(strict=False) takes raw control characters inside strings; JSON.parse does not
        if (c < " " && !escaped) out = `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
        escaped = false;
      }
    } else if (c === '"') {
      inString = true;
      escaped = false;
    } else if (c === "{") stack.push("}");
    else if (c === "[") stack.push("]");
    else if (c === "}" || c === "]") {
      if (stack.at(-1) === c) stack.pop();
      else return null; // mismatched closing character: langchain returns None
    }
    chars.push(out);
  }
  if (inString) {
    if (escaped) chars.pop();
    chars.push('"');
  }
  const closing = [...stack].reverse().join("");
  while (chars.length > 0) {
    try {
      return JSON.parse(chars.join("") + closing);
    } catch {
      chars.pop();
    }
  }
  return JSON.parse(s);
}

/**
 * A pydantic (lax mode) `int` field: integers (also written 1.0), integer strings, booleans. ragas counts
 * a verdict as positive when it is truthy (`1 if v.verdict else 0`), so use `v !== 0`.
 */
export const laxInt = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^\s*[-+]?\d+\s*$/)
    .transform((s) => Number.parseInt(s, 10)),
  z.boolean().transform((b) => (b ? 1 : 0)),
]);

/** Options of `ragasStep`. */
export interface RagasStepOptions<T> {
  ctx: EvaluatorContext;
  /** Metric id (for errors). */
  metric: string;
  /** Step name (for errors). */
  step: string;
  prompt: RagasPrompt;
  /** The prompt's input model, keys in ragas' field order. */
  input: object;
  /** Output JSON schema (sent as grammar / response_format) and the zod validator of ragas' output model. */
  jsonSchema: JsonSchema;
  validate: z.ZodType<T>;
  maxTokens: number;
  meter: CostMeter;
  temperature?: number;
  seed?: number;
  signal?: AbortSignal;
}

/**
 * One ragas prompt step: the prompt rendered as ragas renders it, sent as a single user message; the
 * reply parsed as ragas parses it (`extractJson`, JSON, output model).
 * @throws RagasStepError when the reply does not parse.
 */
export async function ragasStep<T>(o: RagasStepOptions<T>): Promise<T> {
  const reply = await callJudge(o.ctx, o.metric, {
    messages: [{ role: "user", content: renderRagasPrompt(o.prompt, o.input) }],
    maxTokens: o.maxTokens,
    jsonSchema: o.jsonSchema,
    ...(o.temperature !== undefined ? { temperature: o.temperature } : {}),
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  o.meter.add(reply.cost);
  let json: unknown;
  try {
    json = parseJsonLikeLangchain(extractJson(reply.text));
  } catch {
    throw new RagasStepError(o.step, "reply is not JSON", reply.text);
  }
  const r = o.validate.safeParse(json);
  if (!r.success)
    throw new RagasStepError(o.step, `unexpected JSON shape (${r.error.issues[0]?.message ?? "invalid"})`, reply.text);
  return r.data;
}

/** Grammar bounds keeping small local models from rambling (llama.cpp only; dropped for other providers). */
export const MAX_STATEMENTS = 20;
export const MAX_STATEMENT_CHARS = 300;
export const MAX_REASON_CHARS = 300;

/** JSON schema of ragas `StatementGeneratorOutput`: `{"statements": string[]}`. */
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

/** ragas `StatementGeneratorOutput`. */
export const statementsShape = z.object({ statements: z.array(z.string()) });

/**
 * ragas `StatementGeneratorPrompt` step (faithfulness, answer correctness): the LLM breaks `text` (an
 * answer or a reference) into standalone statements without pronouns. Statements are kept as the LLM
 * wrote them (ragas does not trim or drop any).
 */
export async function extractStatements(
  ctx: EvaluatorContext,
  metric: string,
  question: string,
  text: string,
  meter: CostMeter,
  signal?: AbortSignal,
): Promise<string[]> {
  const r = await ragasStep({
    ctx,
    metric,
    step: "statement extraction",
    prompt: STATEMENT_GENERATOR_PROMPT,
    input: { question, answer: text },
    jsonSchema: STATEMENTS_SCHEMA,
    validate: statementsShape,
    maxTokens: 1024,
    meter,
    ...(signal ? { signal } : {}),
  });
  return r.statements;
}

/** A "not applicable" result (e.g. no contexts: the answer was produced without retrieval). */
export function notApplicable(reason: string, signature: string, meter: CostMeter): EvaluationResult {
  return { status: "not-applicable", value: null, reason, signature, cost: meter.total };
}

/** An "error" result for a row ragas would score NaN. */
export function notMeasured(reason: string, signature: string, meter: CostMeter): EvaluationResult {
  return { status: "error", value: null, reason, signature, cost: meter.total };
}
