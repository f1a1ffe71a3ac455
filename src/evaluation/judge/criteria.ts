/**
 * Criteria Y/N judge, as the seed study used it: LangChain's `CriteriaEvalChain`
 * (`langchain/evaluation/criteria/eval_chain.py` + `prompt.py`), GPT-4 at temperature 0, one
 * criterion per call, value 1 (Y) or 0 (N).
 *
 * Criterion wording (LangChain `_SUPPORTED_CRITERIA`, verbatim):
 * - conciseness: "Is the submission concise and to the point?"
 * - relevance:   "Is the submission referring to a real quote from the text?"  (sic: LangChain's
 *   "relevance" asks about quoting the input, not about answering the question)
 * - coherence:   "Is the submission coherent, well-structured, and organized?"
 * - helpfulness: "Is the submission helpful, insightful, and appropriate? If so, respond Y. If not, respond N."
 *
 * Prompt: LangChain's template (BEGIN DATA / [Input] / [Submission] / [Criteria] / END DATA, "step by
 * step reasoning ... then print only the single character Y or N ... At the end, repeat just the
 * letter again"), with the input and submission moved into nonce-tagged untrusted blocks
 * (`delimit.ts`). Structured mode (default) asks for JSON `{reasoning, verdict: "Y"|"N"}`.
 * Parsing: `parseYesNo`. Structured mode reads only the JSON `verdict` field (a JSON reply without one
 * is unparseable, never a pass by a trailing letter in its reasoning); text mode uses LangChain's parser
 * rules, but a trailing Y/N must stand alone on its line: LangChain's `\s*(Y|N)\s*$` also matches the
 * last letter of a word such as "happy".
 */
import { z } from "zod";
import type { JsonSchema } from "../../models/generator.ts";
import type { EvaluatorContext } from "../registry.ts";
import type { EvaluationInput, EvaluationResult, EvaluatorDescriptor } from "../types.ts";
import { callJudge, judgeModelSignature, rawForReason } from "./call.ts";
import { delimit, pickNonce, untrustedNotice } from "./delimit.ts";
import { parseYesNo } from "./parse.ts";

export const CRITERIA = {
  conciseness: "Is the submission concise and to the point?",
  relevance: "Is the submission referring to a real quote from the text?",
  coherence: "Is the submission coherent, well-structured, and organized?",
  helpfulness: "Is the submission helpful, insightful, and appropriate? If so, respond Y. If not, respond N.",
} as const;
export type Criterion = keyof typeof CRITERIA;

export const PROMPT_VERSION = "langchain-criteria-v1+nonce-v1";
/** Version of the verdict parsing rules (2: a JSON reply needs its verdict field), in every signature. */
export const PARSE_VERSION = 2;

/** Descriptor of the criterion judge `judge-<criterion>`. */
export function criterionDescriptor(criterion: Criterion): EvaluatorDescriptor {
  return {
    id: `judge-${criterion}`,
    label: `LLM judge, LangChain criterion "${criterion}" (Y=1 / N=0)`,
    needs: ["llm"],
    range: [0, 1],
    higherIsBetter: true,
  };
}

export const optionsSchema = z.strictObject({
  /** JSON `{reasoning, verdict}` under a grammar / response_format. Default true. */
  structured: z.boolean().default(true),
  /** Reply budget in tokens, 16..8192. Default 512. */
  maxTokens: z.number().int().min(16).max(8192).default(512),
  /** Longest reasoning the grammar allows (characters, structured mode). Default 800. */
  maxReasoningChars: z.number().int().min(20).max(20000).default(800),
});
export type CriteriaJudgeOptions = z.output<typeof optionsSchema>;

const VERDICT_SCHEMA = (maxChars: number): JsonSchema => ({
  type: "object",
  properties: { reasoning: { type: "string", maxLength: maxChars }, verdict: { type: "string", enum: ["Y", "N"] } },
  required: ["reasoning", "verdict"],
  additionalProperties: false,
});

/** The prompt (LangChain `PROMPT` with delimited data). */
export function buildCriteriaPrompt(
  input: EvaluationInput,
  criterion: Criterion,
  options: { structured: boolean; nonce: string },
): string {
  const finalInstruction = options.structured
    ? 'Does the submission meet the Criteria? First, write out in a step by step manner your reasoning about each criterion to be sure that your conclusion is correct. Avoid simply stating the correct answers at the outset. Reply with a JSON object {"reasoning": "<your step by step reasoning>", "verdict": "Y" or "N"} where the verdict says whether the submission meets all criteria.'
    : 'Does the submission meet the Criteria? First, write out in a step by step manner your reasoning about each criterion to be sure that your conclusion is correct. Avoid simply stating the correct answers at the outset. Then print only the single character "Y" or "N" (without quotes or brackets) on its own line corresponding to the correct answer of whether the submission meets all criteria. At the end, repeat just the letter again by itself on a new line.';
  return [
    "You are assessing a submitted answer on a given task or input based on a set of criteria. Here is the data:",
    "[BEGIN DATA]",
    "***",
    `[Input]:\n${delimit({ label: "Input", text: input.question }, options.nonce)}`,
    "***",
    `[Submission]:\n${delimit({ label: "Submission", text: input.answer }, options.nonce)}`,
    "***",
    `[Criteria]: ${criterion}: ${CRITERIA[criterion]}`,
    "***",
    "[END DATA]",
    untrustedNotice(options.nonce),
    finalInstruction,
  ].join("\n");
}

export function criteriaSignature(criterion: Criterion, options: CriteriaJudgeOptions, ctx: EvaluatorContext): string {
  return `judge-${criterion}|prompt:${PROMPT_VERSION}|structured:${options.structured ? "json" : "text"}|parse:v${PARSE_VERSION}|t:0|max:${options.maxTokens}${options.structured ? `|expl:${options.maxReasoningChars}` : ""}|judge:${judgeModelSignature(ctx)}`;
}

/**
 * Asks the judge whether the answer meets `criterion`.
 * @returns `scored` 1 (Y) or 0 (N), reasoning in `reason`; `error` with the raw reply when no verdict parses.
 */
export async function score(
  input: EvaluationInput,
  criterion: Criterion,
  ctx: EvaluatorContext,
  options: CriteriaJudgeOptions,
  signal?: AbortSignal,
): Promise<EvaluationResult> {
  const nonce = pickNonce([input.question, input.answer], ctx.nonce);
  const reply = await callJudge(ctx, `judge-${criterion}`, {
    messages: [
      { role: "user", content: buildCriteriaPrompt(input, criterion, { structured: options.structured, nonce }) },
    ],
    maxTokens: options.maxTokens,
    ...(options.structured ? { jsonSchema: VERDICT_SCHEMA(options.maxReasoningChars) } : {}),
    ...(signal ? { signal } : {}),
  });
  const signature = criteriaSignature(criterion, options, ctx);
  const parsed = parseYesNo(reply.text, { structured: options.structured });
  if (!parsed) {
    return {
      status: "error",
      value: null,
      reason: `unparseable judge output: ${rawForReason(reply.text)}`,
      signature,
      cost: reply.cost,
    };
  }
  return { status: "scored", value: parsed.value, reason: parsed.reasoning, signature, cost: reply.cost };
}
