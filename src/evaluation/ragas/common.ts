/**
 * Shared pieces of the Ragas-family metrics, which follow ragas 0.4.3's legacy metric classes
 * (`ragas.metrics.Faithfulness`, `AnswerRelevancy`, `LLMContextPrecisionWithReference`, `LLMContextRecall`,
 * `AnswerCorrectness`): the same prompts byte for byte (`prompts.ts`), sent as one user message, their
 * replies read as ragas reads them (`extractJson`, langchain's lenient JSON parsing, then the output
 * model, binary verdicts read by `binaryVerdict`) — a reply that does not parse gets ragas' `FixOutputFormat` retry,
 * the same prompt and the same nested calls (at most 3 extra; `parseOutputString`), counted in the cost —
 * and the same score arithmetic (see each metric). Parity with the library itself is tested against
 * fixtures ragas generated (test/unit/evaluation/ragas/parity.test.ts), fix calls included.
 *
 * Where we deliberately differ from ragas (our evaluator contract):
 * - a step whose reply still does not parse after the fix attempts (ragas raises: NaN under `evaluate`)
 *   makes the metric `status: "error"`, with the raw reply and the last fix attempt in the reason;
 * - rows ragas scores NaN are `status: "error"` (value null), never NaN; ragas averages with nanmean,
 *   we count them;
 * - a context metric without retrieved contexts is `not-applicable` (ragas requires the column);
 * - steps run greedy (temperature 0; ragas 0.01) except answer relevancy's sampled generations (0.3, as
 *   ragas), which we make as `strictness` separate calls (our generator has no `n`); a JSON schema
 *   constrains the reply where the provider supports it (llama.cpp grammar / OpenAI json_schema), which
 *   ragas' legacy path does not send (fix calls: the `StringIO` schema; max tokens twice the step's);
 * - binary verdicts are 1/0/"yes"/"no" only (`binaryVerdict`); ragas counts any truthy int ("-1", 2) as 1;
 * - context precision divides exactly (ragas adds 1e-10 to the denominator; option `ragasEpsilon`);
 * - answer relevancy leaves empty generated questions out of the cosine mean and zeroes the score when ANY
 *   generation is noncommittal (ragas 0.4.3: empty questions enter the mean, zero only when ALL are;
 *   options `emptyQuestions: "include"`, `noncommittal: "all"`).
 * The two options restore ragas' arithmetic exactly; the parity tests run with them.
 */

import { z } from "zod";
import type { JsonSchema } from "../../models/generator.ts";
import { addCost, callJudge, rawForReason } from "../judge/call.ts";
import type { EvaluatorContext } from "../registry.ts";
import type { EvaluationResult } from "../types.ts";
import { type EvaluationCost, ZERO_COST } from "../types.ts";
import {
  FIX_OUTPUT_FORMAT_PROMPT,
  type RagasPrompt,
  renderRagasPrompt,
  STATEMENT_GENERATOR_PROMPT,
} from "./prompts.ts";

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

/** How binary verdicts are read (`binaryVerdict`), in the signature of every metric that reads one. */
export const VERDICT_RULE = "verdict:1/0/yes/no";

/**
 * A binary verdict (faithfulness `verdict`, context precision `verdict`, context recall `attributed`,
 * answer relevancy `noncommittal`), read as 1 or 0: the integers 1 / 0 (also written 1.0), the strings
 * "1" / "0" and "yes" / "no" (any case, surrounding spaces ignored), and the booleans true / false all mean
 * the same. Anything else ("-1", 2, "maybe", null) does not parse: the step gets ragas' FixOutputFormat
 * retry and, failing that, the row is `status: "error"` — never counted as supported.
 *
 * Deliberate difference from ragas: its output models are pydantic `int`s counted as "truthy", so a "-1"
 * or a 2 counts as a positive verdict there and "yes" is a parse error. On 0/1 replies both agree.
 */
export const binaryVerdict = z.unknown().transform((v, ctx): 0 | 1 => {
  if (v === 1 || v === true) return 1;
  if (v === 0 || v === false) return 0;
  if (typeof v === "string") {
    const t = v.trim().toLowerCase();
    if (t === "1" || t === "yes") return 1;
    if (t === "0" || t === "no") return 0;
  }
  ctx.addIssue({ code: "custom", message: `verdict ${JSON.stringify(v) ?? "missing"} is not 1/0 or "yes"/"no"` });
  return z.NEVER;
});

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

/** The reply to a step's prompt, with the prompt text ragas would pass to its parser (`prompt_value`). */
export interface RagasReply {
  text: string;
  prompt: string;
}

/**
 * A ragas prompt step's LLM call: the prompt rendered as ragas renders it, sent as a single user message.
 * Parse the reply with `parseRagasReply` (`ragasStep` does both).
 */
export async function ragasCall(o: RagasStepOptions<unknown>): Promise<RagasReply> {
  const prompt = renderRagasPrompt(o.prompt, o.input);
  const reply = await callJudge(o.ctx, o.metric, {
    messages: [{ role: "user", content: prompt }],
    maxTokens: o.maxTokens,
    jsonSchema: o.jsonSchema,
    ...(o.temperature !== undefined ? { temperature: o.temperature } : {}),
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  o.meter.add(reply.cost);
  return { text: reply.text, prompt };
}

/**
 * ragas `PydanticPrompt.generate`'s default `retries_left`, which every legacy metric keeps: a reply that
 * does not parse gets up to 3 nested `FixOutputFormat` calls (see `parseOutputString`).
 */
export const RAGAS_RETRIES = 3;

/** JSON schema of ragas `StringIO` (the `FixOutputFormat` reply): `{"text": string}`. */
const STRING_IO_SCHEMA: JsonSchema = {
  type: "object",
  properties: { text: { type: "string" } },
  required: ["text"],
  additionalProperties: false,
};
/** ragas `StringIO`. */
const stringIoShape = z.object({ text: z.string() });

type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

/** langchain `PydanticOutputParser.parse(text)`: `parseJsonLikeLangchain`, then the output model. */
function parseAs<T>(text: string, validate: z.ZodType<T>): Parsed<T> {
  let json: unknown;
  try {
    json = parseJsonLikeLangchain(text);
  } catch {
    return { ok: false, problem: "reply is not JSON" };
  }
  const r = validate.safeParse(json);
  return r.success
    ? { ok: true, value: r.data }
    : { ok: false, problem: `unexpected JSON shape (${r.error.issues[0]?.message ?? "invalid"})` };
}

/** What the fix attempts of one reply did (for the error's reason). */
interface FixTrace {
  calls: number;
  firstProblem?: string;
  last?: { problem: string; text: string };
}
/** Thrown inside `parseOutputString` when ragas would raise (RagasOutputParserException / OutputParserException). */
class Unparsed extends Error {}

/**
 * ragas 0.4.3 `RagasOutputParser.parse_output_string` (ragas/prompt/pydantic_prompt.py), recursion included:
 * parse `extract_json(output)` with the output model; failing that, if `retriesLeft` is not 0, send the
 * `FixOutputFormat` prompt with {output_string: output, prompt_value: the prompt it answered} (through
 * `fix_output_format_prompt.generate(retries_left=retriesLeft - 1)`, whose own reply is parsed by this same
 * function as a `StringIO` with `retriesLeft - 1`, and so on), then parse the fixed `text` with the ORIGINAL
 * output model — without `extract_json`, and with no further retry if that fails. With ragas' default 3,
 * an unparseable reply costs at most 3 extra calls (the 3rd fix reply is parsed with `retries_left = 0`).
 * Fix calls run at the default temperature (ragas: `temperature=None` -> 0.01 for n = 1) with the
 * `StringIO` schema as grammar / response_format where supported.
 */
async function parseOutputString<T>(
  o: RagasStepOptions<unknown>,
  output: string,
  prompt: string,
  validate: z.ZodType<T>,
  retriesLeft: number,
  trace: FixTrace,
): Promise<T> {
  const first = parseAs(extractJson(output), validate);
  if (first.ok) return first.value;
  trace.firstProblem ??= first.problem;
  trace.last = { problem: first.problem, text: output };
  if (retriesLeft === 0) throw new Unparsed();
  const fixPrompt = renderRagasPrompt(FIX_OUTPUT_FORMAT_PROMPT, { output_string: output, prompt_value: prompt });
  const reply = await callJudge(o.ctx, o.metric, {
    messages: [{ role: "user", content: fixPrompt }],
    // the fixed reply repeats the step's output inside a JSON string (escaped)
    maxTokens: 2 * o.maxTokens,
    jsonSchema: STRING_IO_SCHEMA,
    ...(o.signal ? { signal: o.signal } : {}),
  });
  o.meter.add(reply.cost);
  trace.calls++;
  const fixed = await parseOutputString(o, reply.text, fixPrompt, stringIoShape, retriesLeft - 1, trace);
  const r = parseAs(fixed.text, validate);
  if (r.ok) return r.value;
  trace.last = { problem: r.problem, text: fixed.text };
  throw new Unparsed();
}

/**
 * Reads a step's reply as ragas does (`extractJson`, JSON, output model), asking the LLM to fix it as
 * ragas does when it does not parse (`parseOutputString`; the extra calls are counted in `o.meter`).
 * @throws RagasStepError when ragas would raise: the reason names the first problem and what the fix
 * attempts returned last, and carries the raw reply.
 */
export async function parseRagasReply<T>(o: RagasStepOptions<T>, reply: RagasReply): Promise<T> {
  const trace: FixTrace = { calls: 0 };
  try {
    return await parseOutputString(o, reply.text, reply.prompt, o.validate, RAGAS_RETRIES, trace);
  } catch (error) {
    if (!(error instanceof Unparsed)) throw error;
    const fixes =
      trace.calls === 0 || !trace.last
        ? ""
        : `; ${trace.calls} FixOutputFormat call${trace.calls === 1 ? "" : "s"} did not fix it (last: ${trace.last.problem} in ${JSON.stringify(rawForReason(trace.last.text))})`;
    throw new RagasStepError(o.step, `${trace.firstProblem ?? "unparseable reply"}${fixes}`, reply.text);
  }
}

/**
 * One ragas prompt step: `ragasCall`, then `parseRagasReply` (ragas' parse, with its FixOutputFormat retry).
 * @throws RagasStepError when the reply does not parse, even after the fix attempts.
 */
export async function ragasStep<T>(o: RagasStepOptions<T>): Promise<T> {
  return parseRagasReply(o, await ragasCall(o));
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
