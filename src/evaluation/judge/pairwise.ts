/**
 * MT-Bench pairwise comparison with position swap (FastChat `judge_prompts.jsonl` `pair-v2`, and the
 * reference-guided `pair-math-v1` wording when a golden answer is given; `play_a_match_pair` logic):
 * game 1 shows (A, B), game 2 shows (B, A); the verdict of game 2 is mapped back; a win counts only
 * when both games agree, any disagreement is a tie (FastChat's "inconsistent", counted as a tie in its
 * agreement analysis). Verdict markers `[[A]]`, `[[B]]`, `[[C]]` (tie). Temperature 0.
 * Answers and question are untrusted and delimited as in `delimit.ts`.
 */
import { z } from "zod";
import type { EvaluatorContext } from "../registry.ts";
import type { EvaluationCost } from "../types.ts";
import { addCost, callJudge, judgeModelSignature, rawForReason } from "./call.ts";
import { delimit, pickNonce, untrustedNotice } from "./delimit.ts";
import { type PairVerdict, parsePairVerdict } from "./parse.ts";

export const PROMPT_VERSION = "mt-bench-pair-v2+nonce-v1";
/** Version of the verdict parsing rules (2: markers in any case, `[[b]]` = B), in every signature. */
export const PARSE_VERSION = 2;

const SYSTEM_NO_REF =
  "Please act as an impartial judge and evaluate the quality of the responses provided by two AI assistants to the user question displayed below. " +
  "You should choose the assistant that follows the user's instructions and answers the user's question better. " +
  "Your evaluation should consider factors such as the helpfulness, relevance, accuracy, depth, creativity, and level of detail of their responses. " +
  "Begin your evaluation by comparing the two responses and provide a short explanation. " +
  "Avoid any position biases and ensure that the order in which the responses were presented does not influence your decision. " +
  "Do not allow the length of the responses to influence your evaluation. Do not favor certain names of the assistants. Be as objective as possible. " +
  'After providing your explanation, output your final verdict by strictly following this format: "[[A]]" if assistant A is better, "[[B]]" if assistant B is better, and "[[C]]" for a tie.';

const SYSTEM_REF =
  "Please act as an impartial judge and evaluate the quality of the responses provided by two AI assistants to the user question displayed below. " +
  "Your evaluation should consider correctness and helpfulness. You will be given reference answer, assistant A's answer, and assistant B's answer. " +
  "Your job is to evaluate which assistant's answer is better. Begin your evaluation by comparing both assistants' answers with the reference answer. " +
  "Identify and correct any mistakes. Avoid any position biases and ensure that the order in which the responses were presented does not influence your decision. " +
  "Do not allow the length of the responses to influence your evaluation. Do not favor certain names of the assistants. Be as objective as possible. " +
  'After providing your explanation, output your final verdict by strictly following this format: "[[A]]" if assistant A is better, "[[B]]" if assistant B is better, and "[[C]]" for a tie.';

export const optionsSchema = z.strictObject({
  /** Reply budget per game, 16..8192. Default 768. */
  maxTokens: z.number().int().min(16).max(8192).default(768),
  /** "auto" (default): reference-guided wording when `reference` is given; "never". */
  reference: z.enum(["auto", "never"]).default("auto"),
});
export type PairwiseOptions = z.input<typeof optionsSchema>;

/** Input of one comparison: the same question answered by two systems. */
export interface PairInput {
  question: string;
  answerA: string;
  answerB: string;
  reference?: string;
}

/** Outcome of both games. `winner` is "A"/"B" only when both orders agree. */
export type PairResult =
  | {
      status: "scored";
      winner: "A" | "B" | "tie";
      /** Both games gave the same verdict (after mapping game 2 back). */
      consistent: boolean;
      /** Verdict of each game in the original labelling (game 2 mapped back). */
      games: [PairVerdict, PairVerdict];
      /** The judge's raw replies: game 1 (A shown first), game 2 (B shown first). */
      raw: [string, string];
      signature: string;
      cost: EvaluationCost;
    }
  | {
      /** A game's verdict did not parse: the comparison has no verdict (a counted null). */
      status: "error";
      winner: null;
      consistent: null;
      /** Each game's verdict in the original labelling, null where it did not parse. */
      games: [PairVerdict | null, PairVerdict | null];
      raw: [string, string];
      reason: string;
      signature: string;
      cost: EvaluationCost;
    };

/** The user message of one game (exported for tests). */
export function buildPairPrompt(
  question: string,
  first: string,
  second: string,
  reference: string | undefined,
  nonce: string,
): string {
  const blocks = [delimit({ label: "User Question", text: question }, nonce)];
  if (reference !== undefined) blocks.push(delimit({ label: "Reference Answer", text: reference }, nonce));
  blocks.push(delimit({ label: "Assistant A's Answer", text: first }, nonce));
  blocks.push(delimit({ label: "Assistant B's Answer", text: second }, nonce));
  return `${untrustedNotice(nonce)}\n\n${blocks.join("\n\n")}`;
}

const swapBack = (v: PairVerdict): PairVerdict => (v === "A" ? "B" : v === "B" ? "A" : "C");

export function pairwiseSignature(options: z.output<typeof optionsSchema>, ctx: EvaluatorContext): string {
  return `judge-pairwise|prompt:${PROMPT_VERSION}|ref:${options.reference}|parse:v${PARSE_VERSION}|swap:both-agree|t:0|judge:${judgeModelSignature(ctx)}`;
}

/** The reference a comparison shows the judge under `options` (undefined: the no-reference prompt). */
export function referenceUsed(input: PairInput, options: z.output<typeof optionsSchema>): string | undefined {
  return options.reference === "auto" ? input.reference : undefined;
}

/**
 * Compares two answers in both orders with `ctx.judge`.
 * @returns `scored` with the agreed winner (or tie), or `error` when either game's verdict does not parse
 *   (the raw replies are kept in `reason`). Provider errors are thrown.
 */
export async function comparePair(
  input: PairInput,
  ctx: EvaluatorContext,
  rawOptions: PairwiseOptions = {},
  signal?: AbortSignal,
): Promise<PairResult> {
  const options = optionsSchema.parse(rawOptions);
  const reference = referenceUsed(input, options);
  const system = reference !== undefined ? SYSTEM_REF : SYSTEM_NO_REF;
  const texts = [input.question, input.answerA, input.answerB, ...(reference !== undefined ? [reference] : [])];
  const game = async (first: string, second: string) => {
    const nonce = pickNonce(texts, ctx.nonce);
    return callJudge(ctx, "judge-pairwise", {
      messages: [
        { role: "system", content: system },
        { role: "user", content: buildPairPrompt(input.question, first, second, reference, nonce) },
      ],
      maxTokens: options.maxTokens,
      ...(signal ? { signal } : {}),
    });
  };
  const g1 = await game(input.answerA, input.answerB);
  const g2 = await game(input.answerB, input.answerA);
  const cost = addCost(g1.cost, g2.cost);
  const signature = `${pairwiseSignature(options, ctx)}|used-ref:${reference !== undefined ? "yes" : "no"}`;
  const v1 = parsePairVerdict(g1.text);
  const v2raw = parsePairVerdict(g2.text);
  const raw: [string, string] = [g1.text, g2.text];
  if (v1 === null || v2raw === null) {
    return {
      status: "error",
      winner: null,
      consistent: null,
      games: [v1, v2raw === null ? null : swapBack(v2raw)],
      raw,
      reason: `unparseable judge output: game 1: ${rawForReason(g1.text)} | game 2 (swapped): ${rawForReason(g2.text)}`,
      signature,
      cost,
    };
  }
  const v2 = swapBack(v2raw);
  const consistent = v1 === v2;
  const winner = consistent && v1 !== "C" ? v1 : "tie";
  return { status: "scored", winner, consistent, games: [v1, v2], raw, signature, cost };
}
