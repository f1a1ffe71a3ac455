/**
 * G-Eval (Liu et al. 2023, "G-Eval: NLG Evaluation using GPT-4 with Better Human Alignment",
 * github.com/nlpyang/geval): a form-filling prompt (task introduction, evaluation criteria, evaluation
 * steps, the text, "Evaluation Form (scores ONLY): - <Criterion>:") and a probability-weighted score
 * score = Σ_s p(s)·s over the score tokens s of the first scored output position.
 *
 * Ours, as recorded in the signature (`geval-v1`):
 * - the task introduction speaks of an answer to a travel question instead of a news summary; the
 *   question and answer are untrusted and delimited (`delimit.ts`);
 * - evaluation steps: the built-in criteria carry fixed steps written by us (G-Eval generated them
 *   once with GPT-4 from the criterion, "auto-CoT"); pass `steps` to use your own, e.g. the output of
 *   `generateEvaluationSteps` run once and reviewed;
 * - p(s) comes from the judge's top-20 log-probabilities (OpenAI-compatible `logprobs`), renormalised
 *   over the valid score tokens (`details.scoreMass` is the un-normalised mass); the original instead
 *   sampled 20 replies at temperature 2 when log-probs were unavailable — we do not sample;
 * - the scored position is the first generated token whose most likely alternative is a score token
 *   (else the first one offering any score token). No such position -> `status: "error"`.
 * Local llama.cpp judges return no log-probabilities: `check()` rejects them ("not supported").
 */
import { z } from "zod";
import type { GeneratorV1, TokenLogprob } from "../../models/generator.ts";
import type { EvaluatorContext } from "../registry.ts";
import type { EvaluationInput, EvaluationResult, EvaluatorDescriptor } from "../types.ts";
import { callJudge, judgeModelSignature, rawForReason } from "./call.ts";
import { delimit, pickNonce, untrustedNotice } from "./delimit.ts";

export const PROMPT_VERSION = "geval-v1+nonce-v1";

/** Built-in criteria: description and evaluation steps (scale 1-5). */
export const GEVAL_CRITERIA = {
  helpfulness: {
    description:
      "Helpfulness (1-5) - how well the answer serves the person who asked: it addresses the actual question with specific, accurate and actionable travel information, and does not evade it.",
    steps: [
      "Read the question carefully and identify what the traveller needs to know or decide.",
      "Read the answer and check whether it addresses that need directly, with specific and correct information the traveller can act on.",
      "Penalise answers that are vague, evasive, off-topic or likely to be wrong.",
      "Assign a score for helpfulness on a scale of 1 to 5, where 1 is the lowest and 5 is the highest based on the Evaluation Criteria.",
    ],
  },
  coherence: {
    description:
      "Coherence (1-5) - the collective quality of all sentences. The answer should be well-structured and well-organized, building from sentence to sentence to a coherent body of information about the question.",
    steps: [
      "Read the question and identify the main point a good answer should make.",
      "Read the answer and check whether it presents its points in a clear and logical order.",
      "Assign a score for coherence on a scale of 1 to 5, where 1 is the lowest and 5 is the highest based on the Evaluation Criteria.",
    ],
  },
  relevance: {
    description:
      "Relevance (1-5) - selection of important content. The answer should include only information that matters for the question; penalise redundancies and excess information.",
    steps: [
      "Read the question and identify what information it asks for.",
      "Read the answer and check how much of it is about that, and whether it misses what matters most.",
      "Assign a relevance score from 1 to 5.",
    ],
  },
} as const;
export type GevalCriterion = keyof typeof GEVAL_CRITERIA;

export const descriptor = {
  id: "judge-geval",
  label: "G-Eval probability-weighted score (needs judge log-probabilities)",
  needs: ["llm"],
  range: [1, 5],
  higherIsBetter: true,
} as const satisfies EvaluatorDescriptor;

export const optionsSchema = z.strictObject({
  /** Built-in criterion (default "helpfulness"), or give `name` + `description` + `steps`. */
  criterion: z.enum(["helpfulness", "coherence", "relevance"]).default("helpfulness"),
  /** Custom criterion name (overrides `criterion`; needs description and steps). */
  name: z.string().min(1).optional(),
  /** Custom criterion description, e.g. "Accuracy (1-5) - ...". */
  description: z.string().min(1).optional(),
  /** Evaluation steps (overrides the built-in steps). */
  steps: z.array(z.string().min(1)).min(1).optional(),
  /** Score scale, integers min..max with max - min <= 9 (single-token scores). Default [1, 5]. */
  scale: z
    .tuple([z.number().int().min(0), z.number().int().max(10)])
    .refine(([a, b]) => b > a && b - a <= 9, "scale must be [min, max] with min < max and max - min <= 9")
    .default([1, 5]),
  /** Top log-probabilities to request per token (1..20). Default 20. */
  topLogprobs: z.number().int().min(1).max(20).default(20),
  /** Reply budget; the score should be the first token. Default 8. */
  maxTokens: z.number().int().min(1).max(64).default(8),
});
export type GevalOptions = z.output<typeof optionsSchema>;

function resolveCriterion(o: GevalOptions): { name: string; description: string; steps: readonly string[] } {
  const base = GEVAL_CRITERIA[o.criterion];
  const name = o.name ?? o.criterion;
  return {
    name,
    description: o.description ?? base.description,
    steps: o.steps ?? base.steps,
  };
}

/** Problem with the context for G-Eval, or undefined. */
export function gevalContextProblem(ctx: EvaluatorContext, o: GevalOptions): string | undefined {
  if (!ctx.judge) return "needs a judge model (EvaluatorContext.judge) that returns log-probabilities";
  if (ctx.judge.provider === "llama")
    return "not supported with a local llama.cpp judge (no log-probabilities); use an OpenAI-compatible judge that returns logprobs";
  if (o.name !== undefined && (o.description === undefined || o.steps === undefined))
    return "a custom criterion (name) also needs description and steps";
  return undefined;
}

export function gevalSignature(o: GevalOptions, ctx: EvaluatorContext): string {
  const c = resolveCriterion(o);
  const custom = o.name !== undefined || o.description !== undefined || o.steps !== undefined;
  return `judge-geval|prompt:${PROMPT_VERSION}|criterion:${c.name}${custom ? "(custom)" : ""}|scale:${o.scale[0]}-${o.scale[1]}|top:${o.topLogprobs}|weighting:renormalised|t:0|judge:${judgeModelSignature(ctx)}`;
}

/** The G-Eval form for one answer. */
export function buildGevalPrompt(input: EvaluationInput, o: GevalOptions, nonce: string): string {
  const c = resolveCriterion(o);
  const label = c.name.charAt(0).toUpperCase() + c.name.slice(1);
  return [
    "You will be given one answer written by an assistant to a traveller's question.",
    "",
    "Your task is to rate the answer on one metric.",
    "",
    "Please make sure you read and understand these instructions carefully. Please keep this document open while reviewing, and refer to it as needed.",
    "",
    untrustedNotice(nonce),
    "",
    "Evaluation Criteria:",
    "",
    c.description,
    "",
    "Evaluation Steps:",
    "",
    ...c.steps.map((s, i) => `${i + 1}. ${s}`),
    "",
    "Example:",
    "",
    delimit({ label: "Question", text: input.question }, nonce),
    "",
    delimit({ label: "Answer", text: input.answer }, nonce),
    "",
    `Evaluation Form (scores ONLY, one integer from ${o.scale[0]} to ${o.scale[1]}):`,
    "",
    `- ${label}:`,
  ].join("\n");
}

/** Probability-weighted score from per-position top log-probabilities; null when no position has a score token. */
export function weightedScore(
  logprobs: readonly (readonly TokenLogprob[])[],
  scale: readonly [number, number],
): { score: number; mass: number; position: number; probabilities: Record<string, number> } | null {
  const value = (token: string): number | null => {
    const t = token.trim();
    if (!/^\d+$/.test(t)) return null;
    const n = Number(t);
    return n >= scale[0] && n <= scale[1] ? n : null;
  };
  let pos = logprobs.findIndex((alts) => alts.length > 0 && value(alts[0]!.token) !== null);
  if (pos < 0) pos = logprobs.findIndex((alts) => alts.some((a) => value(a.token) !== null));
  if (pos < 0) return null;
  const probs = new Map<number, number>();
  for (const a of logprobs[pos]!) {
    const v = value(a.token);
    if (v !== null) probs.set(v, (probs.get(v) ?? 0) + Math.exp(a.logprob));
  }
  let mass = 0;
  let sum = 0;
  for (const [v, p] of probs) {
    mass += p;
    sum += v * p;
  }
  if (mass <= 0) return null;
  return {
    score: sum / mass,
    mass,
    position: pos,
    probabilities: Object.fromEntries([...probs].map(([v, p]) => [`p${v}`, p / mass])),
  };
}

/**
 * Scores one answer with G-Eval.
 * @returns `scored` (value in the scale, details: p<s> per score, scoreMass, position); `error` when the
 *   reply has no log-probabilities or no score token.
 */
export async function score(
  input: EvaluationInput,
  ctx: EvaluatorContext,
  o: GevalOptions,
  signal?: AbortSignal,
): Promise<EvaluationResult> {
  const nonce = pickNonce([input.question, input.answer], ctx.nonce);
  const reply = await callJudge(ctx, descriptor.id, {
    messages: [{ role: "user", content: buildGevalPrompt(input, o, nonce) }],
    maxTokens: o.maxTokens,
    topLogprobs: o.topLogprobs,
    ...(signal ? { signal } : {}),
  });
  const signature = gevalSignature(o, ctx);
  if (!reply.logprobs || reply.logprobs.length === 0) {
    return {
      status: "error",
      value: null,
      reason: `the judge returned no log-probabilities (${reply.warnings.join("; ") || "no warning"}); reply: ${rawForReason(reply.text)}`,
      signature,
      cost: reply.cost,
    };
  }
  const w = weightedScore(reply.logprobs, o.scale);
  if (!w) {
    return {
      status: "error",
      value: null,
      reason: `no score token in the reply: ${rawForReason(reply.text)}`,
      signature,
      cost: reply.cost,
    };
  }
  return {
    status: "scored",
    value: w.score,
    reason: rawForReason(reply.text),
    details: { ...w.probabilities, scoreMass: w.mass, position: w.position },
    signature,
    cost: reply.cost,
  };
}

/**
 * G-Eval's auto-CoT: asks `judge` once for numbered evaluation steps for a criterion description.
 * Review the result and pass it as `steps`; it is not called during evaluation.
 * @returns the steps (lines starting with a number), at least one.
 * @throws Error when the reply has no numbered lines.
 */
export async function generateEvaluationSteps(
  judge: GeneratorV1,
  description: string,
  signal?: AbortSignal,
): Promise<string[]> {
  const r = await judge.doGenerate({
    messages: [
      {
        role: "user",
        content: `You will be given one answer written by an assistant to a traveller's question. Your task is to rate the answer on one metric.\n\nEvaluation Criteria:\n\n${description}\n\nWrite the Evaluation Steps a careful rater should follow, as a numbered list.\n\nEvaluation Steps:`,
      },
    ],
    maxTokens: 400,
    temperature: 0,
    ...(signal ? { signal } : {}),
  });
  const steps = r.text
    .split("\n")
    .map((l) => /^\s*\d+[.)]\s*(.+)$/.exec(l)?.[1]?.trim())
    .filter((s): s is string => Boolean(s));
  if (steps.length === 0)
    throw new Error(`generateEvaluationSteps: no numbered steps in the reply: ${r.text.slice(0, 200)}`);
  return steps;
}
