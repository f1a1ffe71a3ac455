/** Shared plumbing of every LLM-judge evaluator: one generator call, its cost, its signature part. */
import { WayfarerError } from "../../errors/wayfarer-error.ts";
import type { ChatMessage, GeneratorV1, JsonSchema, TokenLogprob } from "../../models/generator.ts";
import type { EvaluatorContext } from "../registry.ts";
import type { EvaluationCost } from "../types.ts";

/** Price of the judge model in US dollars per million tokens; unknown price -> `usd: null` in costs. */
export interface JudgePricing {
  promptUsdPerMillion: number;
  completionUsdPerMillion: number;
}

/** What one judge call produced. */
export interface JudgeReply {
  text: string;
  cost: EvaluationCost;
  warnings: string[];
  logprobs?: TokenLogprob[][];
}

/** Options of `callJudge`. */
export interface JudgeCallOptions {
  messages: ChatMessage[];
  /** Upper bound on the reply (>= 1). */
  maxTokens: number;
  /** Structured output (grammar / response_format); omit for free text. */
  jsonSchema?: JsonSchema;
  /** Top-k log-probabilities per generated token (G-Eval). */
  topLogprobs?: number;
  /** Sampling temperature, default 0 (greedy). Ragas answer relevancy samples at 0.3. */
  temperature?: number;
  /** Sampling seed (only matters when temperature > 0). */
  seed?: number;
  signal?: AbortSignal;
}

/** `ctx.judge` or a WayfarerError naming what is missing. */
export function requireJudge(ctx: EvaluatorContext, evaluatorId: string): GeneratorV1 {
  if (!ctx.judge) throw new WayfarerError(`${evaluatorId}: needs a judge model (EvaluatorContext.judge)`);
  return ctx.judge;
}

/** `provider:modelId` of the judge, for signatures; "none" without a judge. */
export function judgeModelSignature(ctx: EvaluatorContext): string {
  return ctx.judge ? `${ctx.judge.provider}:${ctx.judge.modelId}` : "none";
}

/** Cost of `promptTokens`/`completionTokens` under `pricing` (usd null when the price is unknown). */
export function costOf(promptTokens: number, completionTokens: number, pricing?: JudgePricing): EvaluationCost {
  return {
    promptTokens,
    completionTokens,
    usd: pricing
      ? (promptTokens * pricing.promptUsdPerMillion + completionTokens * pricing.completionUsdPerMillion) / 1e6
      : null,
  };
}

/** Adds two costs (usd stays null only when both are null). */
export function addCost(a: EvaluationCost, b: EvaluationCost): EvaluationCost {
  return {
    promptTokens: a.promptTokens + b.promptTokens,
    completionTokens: a.completionTokens + b.completionTokens,
    usd: a.usd === null && b.usd === null ? null : (a.usd ?? 0) + (b.usd ?? 0),
  };
}

/** Keywords that only bound small local models; OpenAI strict json_schema rejected them historically. */
const LOCAL_ONLY_KEYWORDS = new Set(["maxLength", "minLength", "maxItems", "minItems"]);

/**
 * The schema as sent to `provider`: unchanged for llama.cpp grammars; for other providers without
 * the length/count bounds (`LOCAL_ONLY_KEYWORDS`), which some OpenAI-compatible servers reject in strict
 * mode. Enums carry an explicit `type` in our schemas, as OpenAI strict mode wants.
 */
export function schemaForProvider(schema: JsonSchema, provider: string): JsonSchema {
  if (provider === "llama") return schema;
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (typeof v !== "object" || v === null) return v;
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .filter(([k]) => !LOCAL_ONLY_KEYWORDS.has(k))
        .map(([k, x]) => [k, k === "enum" || k === "required" ? x : strip(x)]),
    );
  };
  return strip(schema) as JsonSchema;
}

/**
 * Calls the judge (temperature 0 = greedy unless given). Errors of the provider (HTTP after its own retries,
 * aborts) propagate: the engine records them as `status: "error"` rows that a rerun retries.
 */
export async function callJudge(
  ctx: EvaluatorContext,
  evaluatorId: string,
  options: JudgeCallOptions,
): Promise<JudgeReply> {
  const judge = requireJudge(ctx, evaluatorId);
  const r = await judge.doGenerate({
    messages: options.messages,
    maxTokens: options.maxTokens,
    temperature: options.temperature ?? 0,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.jsonSchema ? { jsonSchema: schemaForProvider(options.jsonSchema, judge.provider) } : {}),
    ...(options.topLogprobs ? { topLogprobs: options.topLogprobs } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return {
    text: r.text,
    cost: costOf(r.promptTokens, r.completionTokens, ctx.judgePricing),
    warnings: r.warnings,
    ...(r.logprobs ? { logprobs: r.logprobs } : {}),
  };
}

/** Shortens raw judge output for a `reason` (keeps the first 2000 characters). */
export function rawForReason(text: string): string {
  return text.length > 2000 ? `${text.slice(0, 2000)}… (${text.length} chars)` : text;
}
