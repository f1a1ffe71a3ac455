/**
 * MT-Bench single-answer grading (Zheng et al. 2023, "Judging LLM-as-a-judge", FastChat
 * `fastchat/llm_judge/data/judge_prompts.jsonl`): prompts `single-v1` (no reference) and the
 * reference-guided `single-math-v1` wording (used here for every question that has a golden answer),
 * system prompt "You are a helpful assistant.", temperature 0, rating 1..10 written as `[[rating]]`.
 *
 * Changes from FastChat, all recorded in the signature (`prompt:mt-bench-single-v1+nonce-v1`):
 * - question, reference and answer are untrusted and enclosed in nonce-tagged blocks
 *   (`delimit.ts`), with one added paragraph telling the judge they are data;
 * - with `structured: true` (default) the judge is asked for JSON `{explanation, rating}` and the
 *   provider constrains it (llama.cpp grammar; OpenAI `response_format` json_schema); the
 *   explanation comes first so the judge still reasons before its verdict;
 * - replies are parsed by `parseRating` (JSON, else the last `[[n]]`, else `Rating: n`); FastChat
 *   takes the first `[[n]]` and writes -1 when none; we return `status: "error"` (null) instead.
 */
import { z } from "zod";
import type { JsonSchema } from "../../models/generator.ts";
import type { EvaluatorContext } from "../registry.ts";
import type { EvaluationInput, EvaluationResult, EvaluatorDescriptor } from "../types.ts";
import { callJudge, judgeModelSignature, rawForReason } from "./call.ts";
import { delimit, pickNonce, untrustedNotice } from "./delimit.ts";
import { parseRating } from "./parse.ts";

export const PROMPT_VERSION = "mt-bench-single-v1+nonce-v1";

export const descriptor = {
  id: "judge-single",
  label: "LLM judge, MT-Bench single-answer grading 1-10 (reference-guided when a golden answer exists)",
  needs: ["llm"],
  range: [1, 10],
  higherIsBetter: true,
} as const satisfies EvaluatorDescriptor;

/** Options of the single-answer judge. */
export const optionsSchema = z.strictObject({
  /** "auto" (default): reference-guided prompt when the input has a reference; "never": always `single-v1`. */
  reference: z.enum(["auto", "never"]).default("auto"),
  /** Ask for JSON `{explanation, rating}` under a grammar / response_format. Default true. */
  structured: z.boolean().default(true),
  /** Reply budget in tokens, 16..8192. Default 512. */
  maxTokens: z.number().int().min(16).max(8192).default(512),
  /** Longest explanation the grammar allows (characters, structured mode only). Default 600. */
  maxExplanationChars: z.number().int().min(20).max(20000).default(600),
});
export type SingleJudgeOptions = z.output<typeof optionsSchema>;

const SYSTEM = "You are a helpful assistant.";

const INSTRUCTION_NO_REF =
  "Please act as an impartial judge and evaluate the quality of the response provided by an AI assistant to the user question displayed below. " +
  "Your evaluation should consider factors such as the helpfulness, relevance, accuracy, depth, creativity, and level of detail of the response. " +
  "Begin your evaluation by providing a short explanation. Be as objective as possible.";

const INSTRUCTION_REF =
  "Please act as an impartial judge and evaluate the quality of the response provided by an AI assistant to the user question displayed below. " +
  "Your evaluation should consider correctness and helpfulness. You will be given a reference answer and the assistant's answer. " +
  "Begin your evaluation by comparing the assistant's answer with the reference answer. Identify and correct any mistakes. Be as objective as possible.";

const FORMAT_TEXT =
  'After providing your explanation, you must rate the response on a scale of 1 to 10 by strictly following this format: "[[rating]]", for example: "Rating: [[5]]".';

const FORMAT_JSON =
  'After your explanation, you must rate the response on a scale of 1 to 10. Reply with a JSON object: {"explanation": "<your short explanation>", "rating": <integer from 1 to 10>}.';

/** JSON schema of the structured reply (works as a llama.cpp grammar and as OpenAI strict json_schema). */
export function ratingSchema(maxExplanationChars: number): JsonSchema {
  return {
    type: "object",
    properties: {
      explanation: { type: "string", maxLength: maxExplanationChars },
      rating: { type: "integer", enum: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
    },
    required: ["explanation", "rating"],
    additionalProperties: false,
  };
}

/** The chat messages sent to the judge (exported for tests and the report's "how judged" section). */
export function buildSinglePrompt(
  input: EvaluationInput,
  options: { useReference: boolean; structured: boolean; nonce: string },
): { system: string; user: string } {
  const reference = options.useReference ? input.references?.[0] : undefined;
  const parts = [
    `[Instruction]\n${reference !== undefined ? INSTRUCTION_REF : INSTRUCTION_NO_REF} ${options.structured ? FORMAT_JSON : FORMAT_TEXT}\n\n${untrustedNotice(options.nonce)}`,
    delimit({ label: "Question", text: input.question }, options.nonce),
  ];
  if (reference !== undefined) parts.push(delimit({ label: "Reference Answer", text: reference }, options.nonce));
  parts.push(delimit({ label: "Assistant's Answer", text: input.answer }, options.nonce));
  return { system: SYSTEM, user: parts.join("\n\n") };
}

/** Signature of the judge configuration (the result adds `ref:yes|no`). */
export function singleJudgeSignature(options: SingleJudgeOptions, ctx: EvaluatorContext): string {
  // every option that can change the verdict is in the signature, so the engine's cache never
  // reuses a verdict produced under other settings
  const budget = `max:${options.maxTokens}${options.structured ? `|expl:${options.maxExplanationChars}` : ""}`;
  return `judge-single|prompt:${PROMPT_VERSION}|structured:${options.structured ? "json" : "text"}|ref:${options.reference}|t:0|${budget}|judge:${judgeModelSignature(ctx)}`;
}

/**
 * Grades one answer 1..10 with the judge in `ctx.judge`.
 * @returns `scored` with the rating (details.rating, reason = explanation); `error` with the raw reply
 *   when no rating parses. Provider errors (HTTP, abort) are thrown.
 */
export async function score(
  input: EvaluationInput,
  ctx: EvaluatorContext,
  options: SingleJudgeOptions,
  signal?: AbortSignal,
): Promise<EvaluationResult> {
  const useReference = options.reference === "auto" && (input.references?.length ?? 0) > 0;
  const nonce = pickNonce([input.question, input.answer, ...(input.references ?? [])], ctx.nonce);
  const prompt = buildSinglePrompt(input, { useReference, structured: options.structured, nonce });
  const reply = await callJudge(ctx, descriptor.id, {
    messages: [
      { role: "system", content: prompt.system },
      { role: "user", content: prompt.user },
    ],
    maxTokens: options.maxTokens,
    ...(options.structured ? { jsonSchema: ratingSchema(options.maxExplanationChars) } : {}),
    ...(signal ? { signal } : {}),
  });
  const signature = `${singleJudgeSignature(options, ctx)}|used-ref:${useReference ? "yes" : "no"}`;
  const parsed = parseRating(reply.text);
  if (!parsed) {
    return {
      status: "error",
      value: null,
      reason: `unparseable judge output: ${rawForReason(reply.text)}`,
      signature,
      cost: reply.cost,
    };
  }
  return {
    status: "scored",
    value: parsed.rating,
    reason: parsed.explanation ?? rawForReason(reply.text),
    details: { rating: parsed.rating },
    signature,
    cost: reply.cost,
  };
}
