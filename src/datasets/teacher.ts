/**
 * The datasets teacher: the model every recipe asks to write text (RAFT questions and chain-of-thought
 * answers, SFT syntheses, golden-set drafts). Any entry of the experiment's `models` can teach: a local GGUF
 * through node-llama-cpp or an OpenAI-compatible endpoint, built by the model registry (`createGenerator`).
 *
 * Calls run on the evaluation engine's scheduling core (`runCachedWork`, src/evaluation/work-pool.ts): the
 * same concurrency limit, rate-limit pauses and retries as `evaluateAll`, and one `teacher_calls` row per call
 * in the store, keyed by content hash:
 *
 *   cache_key = sha256(JSON [teacher signature, maxTokens, temperature, messages])
 *
 * where the signature pins the provider, the model id, the seed and the repeat penalty. A rerun with the same
 * requests reuses every stored reply and calls no model (the generator is not even created); changing the
 * model, a setting or a prompt changes the key. Rows of failed calls (HTTP after retries, a llama error) are
 * stored as `error` and retried by the next run. Request `key`s are the caller's ids (e.g. `chunk-12/q0`) and
 * are not part of the cache key: two requests with the same content share one call.
 *
 * Usage (the recipes code against exactly this):
 *
 *   await using teacher = await createTeacher({ store, experiment, modelKey: "teacher", models, runtime, seed: 42 });
 *   const replies = await teacher.completeAll([{ key: "t1", messages, maxTokens: 256 }], (done, total) => ...);
 *   replies.get("t1") // { text: "..." | null, error?: "...", cached: false, finishReason: "stop", cost }
 *   card.teacher = { model: teacher.signature, ...teacher.usage };
 */
import { createHash } from "node:crypto";
import { basename } from "node:path";
import type { ModelConfig } from "../config/experiment.ts";
import { ConfigError } from "../errors/config-error.ts";
import { costOf, type JudgePricing } from "../evaluation/judge/call.ts";
import type { EvaluationCost } from "../evaluation/types.ts";
import { runCachedWork } from "../evaluation/work-pool.ts";
import type { ChatMessage, GeneratorV1 } from "../models/generator.ts";
import type { LlamaRuntime } from "../models/llama-generator.ts";
import { resolveGgufPath } from "../models/model-cache.ts";
import { createGenerator } from "../models/registry.ts";
import type { Store } from "../store/store.ts";
import { teacherCallCache } from "../store/teacher-calls.ts";

/** One thing to ask the teacher. */
export interface TeacherRequest {
  /** The caller's id for this request, unique within one `completeAll` call; the key of the returned map. */
  key: string;
  /** The conversation; the last message must be from the user. */
  messages: ChatMessage[];
  /** Upper bound on the reply in tokens, >= 1. */
  maxTokens: number;
  /** Sampling temperature 0..2; default the teacher's (`TeacherOptions.temperature`, default 0 = greedy). */
  temperature?: number;
}

/** The teacher's reply to one request. */
export interface TeacherReply {
  /** The reply text; null when the call failed (then `error` says why). An empty string is a real (empty) reply. */
  text: string | null;
  /** Why the call failed (provider message after retries); absent on success. */
  error?: string;
  /** True when the reply came from the store (no model was called for it in this run). */
  cached: boolean;
  /** "length" when `maxTokens` cut the reply; null for failed calls. */
  finishReason: "stop" | "length" | null;
  /** Tokens and dollars of the call that produced the reply (also when it was cached: what it cost then). */
  cost: EvaluationCost;
}

/** Cumulative counts of one teacher over every `completeAll` of its lifetime (for dataset cards). */
export interface TeacherUsage {
  /** Requests answered (cached ones included; requests sharing content count once each). */
  requests: number;
  /** Model calls made (one per distinct content not in the store). */
  calls: number;
  /** Distinct contents reused from the store. */
  cached: number;
  /** Requests whose reply is an error. */
  errors: number;
  promptTokens: number;
  completionTokens: number;
  /** Dollars of calls made in this lifetime with a known price; null when no price is configured. */
  usd: number | null;
}

/** Options of {@link createTeacher}. */
export interface TeacherOptions {
  store: Store;
  /** Experiment name; rows are per experiment, like evaluator scores. */
  experiment: string;
  /** The key of `models` that teaches. */
  modelKey: string;
  /** The experiment's `models` (config/experiment.ts). */
  models: Readonly<Record<string, ModelConfig>>;
  /** The shared llama runtime (created lazily, only when a local teacher has to be called). */
  runtime: () => Promise<LlamaRuntime>;
  /** Environment for API keys and the model cache. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Calls in flight at once, >= 1. Default 4 (a local GGUF serialises its calls anyway). */
  concurrency?: number;
  /** Sampling seed sent with every call (matters when temperature > 0); part of the signature. */
  seed: number;
  /** Default temperature of requests that give none, 0..2. Default 0 (greedy). */
  temperature?: number;
  /** llama.cpp repeat penalty (frequency_penalty = penalty - 1 for endpoints); small models loop without one. Default none. */
  repeatPenalty?: { penalty: number; lastTokens: number };
  /** Price per million tokens; without it `usd` is null. */
  pricing?: JudgePricing;
  /** Extra attempts after a retryable provider error, >= 0. Default 2 (see work-pool.ts). */
  maxRetries?: number;
  /** Retry stored error rows. Default true. */
  retryErrors?: boolean;
  /** Waits between retries; injected in tests. */
  sleep?: (ms: number) => Promise<void>;
  /** Clock for `created_at`; injected in tests. */
  now?: () => Date;
}

/** Per-call options of {@link Teacher.completeAll}. */
export interface CompleteAllOptions {
  signal?: AbortSignal;
}

/** A model that writes dataset text, with a store-backed cache. Create with {@link createTeacher}. */
export interface Teacher {
  /**
   * What produces the text, for cards and cache keys: `teacher:<provider>:<model id>;seed=<n>[;repeat=<p>/<n>]`
   * (model id = the GGUF file name, or the endpoint's model id).
   */
  readonly signature: string;
  /** The configured model key (`TeacherOptions.modelKey`). */
  readonly modelKey: string;
  /** Counts since creation. */
  readonly usage: Readonly<TeacherUsage>;
  /**
   * Answers every request (cached replies first from the store, the rest on the worker pool) and returns the
   * replies by request key. Never throws for a failed call: it becomes `{text: null, error}` (and is counted).
   * @param onProgress (done, total) after each distinct content, cached ones included.
   * @throws RangeError when a key is listed twice or a request has `maxTokens` < 1 or no messages.
   * @throws ConfigError when the model cannot be created (missing file or API key) and a call is needed.
   * @throws the abort reason when `signal` aborts (finished replies stay in the store).
   */
  completeAll(
    requests: readonly TeacherRequest[],
    onProgress?: (done: number, total: number) => void,
    options?: CompleteAllOptions,
  ): Promise<Map<string, TeacherReply>>;
  /** Disposes the generator if one was created (the runtime belongs to the caller). */
  dispose(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Result of one distinct content. */
type CallResult = Omit<TeacherReply, "cached">;

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** `provider:modelId` of a configured model, without loading it. @throws ConfigError when a GGUF is missing. */
export function modelSignature(model: ModelConfig, env: NodeJS.ProcessEnv): string {
  switch (model.provider) {
    case "llama":
      return `llama:${basename(resolveGgufPath(model.path, env))}`;
    case "openai-compatible":
      return `openai-compatible:${model.model}`;
    default:
      return model satisfies never;
  }
}

/** Cache key of one teacher call (see the module doc). */
export function teacherCacheKey(
  signature: string,
  maxTokens: number,
  temperature: number,
  messages: readonly ChatMessage[],
): string {
  return sha256(JSON.stringify([signature, maxTokens, temperature, messages.map((m) => [m.role, m.content])]));
}

/**
 * Builds the teacher of `models[modelKey]`. Checks the configuration now (the key exists, a GGUF file is in
 * place) but creates the generator only when a call is not in the store.
 * @throws ConfigError when `modelKey` is not in `models` or a local model file is missing.
 */
export async function createTeacher(o: TeacherOptions): Promise<Teacher> {
  const model = o.models[o.modelKey];
  if (!model)
    throw new ConfigError(
      `teacher: no model "${o.modelKey}" in models (have: ${Object.keys(o.models).join(", ") || "none"})`,
    );
  const env = o.env ?? process.env;
  const temperatureDefault = o.temperature ?? 0;
  const rp = o.repeatPenalty && o.repeatPenalty.penalty !== 1 ? o.repeatPenalty : undefined;
  const signature = `teacher:${modelSignature(model, env)};seed=${o.seed}${rp ? `;repeat=${rp.penalty}/${rp.lastTokens}` : ""}`;
  const now = o.now ?? (() => new Date());
  const retryErrors = o.retryErrors ?? true;
  const calls = teacherCallCache(o.store, o.experiment);

  let generator: Promise<GeneratorV1> | undefined;
  /** Set when creating the generator failed: that error is a configuration problem, thrown, not a reply. */
  let creationError: unknown;
  const getGenerator = (): Promise<GeneratorV1> => {
    generator ??= createGenerator(o.modelKey, model, { runtime: o.runtime, env }).catch((error: unknown) => {
      creationError = error;
      throw error;
    });
    return generator;
  };
  const usage: TeacherUsage = {
    requests: 0,
    calls: 0,
    cached: 0,
    errors: 0,
    promptTokens: 0,
    completionTokens: 0,
    usd: null,
  };

  interface Task {
    key: string;
    messages: ChatMessage[];
    maxTokens: number;
    temperature: number;
  }

  const teacher: Teacher = {
    signature,
    modelKey: o.modelKey,
    usage,
    async completeAll(requests, onProgress, options = {}) {
      const byKey = new Map<string, string>();
      const tasks = new Map<string, Task>();
      for (const r of requests) {
        if (byKey.has(r.key)) throw new RangeError(`teacher: request key "${r.key}" is listed twice`);
        if (!(r.maxTokens >= 1)) throw new RangeError(`teacher: request "${r.key}": maxTokens must be >= 1`);
        if (r.messages.length === 0) throw new RangeError(`teacher: request "${r.key}" has no messages`);
        const temperature = r.temperature ?? temperatureDefault;
        const cacheKey = teacherCacheKey(signature, r.maxTokens, temperature, r.messages);
        byKey.set(r.key, cacheKey);
        if (!tasks.has(cacheKey))
          tasks.set(cacheKey, { key: cacheKey, messages: r.messages, maxTokens: r.maxTokens, temperature });
      }
      const list = [...tasks.values()];
      const run = await runCachedWork<Task, CallResult>(
        {
          tasks: list,
          lookup: (t) => {
            const row = calls.find(t.key);
            if (!row || (row.status === "error" && retryErrors)) return undefined;
            return {
              text: row.status === "ok" ? (row.text ?? "") : null,
              ...(row.status === "error" ? { error: row.error ?? "teacher call failed" } : {}),
              finishReason: row.status === "ok" ? (row.finish_reason === "length" ? "length" : "stop") : null,
              cost: { promptTokens: row.prompt_tokens, completionTokens: row.completion_tokens, usd: row.usd },
            };
          },
          compute: async (t, signal) => {
            const g = await getGenerator();
            const r = await g.doGenerate({
              messages: t.messages,
              maxTokens: t.maxTokens,
              temperature: t.temperature,
              seed: o.seed,
              ...(rp ? { repeatPenalty: rp } : {}),
              ...(signal ? { signal } : {}),
            });
            return {
              text: r.text,
              finishReason: r.finishReason,
              cost: costOf(r.promptTokens, r.completionTokens, o.pricing),
            };
          },
          onError: (_t, error) => {
            if (error === creationError) throw error;
            return {
              text: null,
              error: `teacher call failed: ${(error as Error)?.message ?? String(error)}`,
              finishReason: null,
              cost: { promptTokens: 0, completionTokens: 0, usd: null },
            };
          },
          save: (t, r) => {
            calls.write({
              cacheKey: t.key,
              signature,
              status: r.text === null ? "error" : "ok",
              text: r.text,
              error: r.error ?? null,
              finishReason: r.finishReason,
              promptTokens: r.cost.promptTokens,
              completionTokens: r.cost.completionTokens,
              usd: r.cost.usd,
              createdAt: now().toISOString(),
            });
          },
          costOf: (r) => r.cost,
        },
        {
          ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}),
          ...(o.maxRetries !== undefined ? { maxRetries: o.maxRetries } : {}),
          ...(o.sleep ? { sleep: o.sleep } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
          ...(onProgress ? { onProgress } : {}),
        },
      );
      const byCacheKey = new Map<string, { result: CallResult; cached: boolean }>();
      list.forEach((t, i) => {
        const result = run.results[i]!;
        const cached = run.cached[i]!;
        byCacheKey.set(t.key, { result, cached });
        if (cached) usage.cached++;
        else {
          usage.calls++;
          usage.promptTokens += result.cost.promptTokens;
          usage.completionTokens += result.cost.completionTokens;
          if (result.cost.usd !== null) usage.usd = (usage.usd ?? 0) + result.cost.usd;
        }
      });
      const out = new Map<string, TeacherReply>();
      for (const r of requests) {
        const { result, cached } = byCacheKey.get(byKey.get(r.key)!)!;
        usage.requests++;
        if (result.text === null) usage.errors++;
        out.set(r.key, { ...result, cached });
      }
      return out;
    },
    async dispose() {
      const g = generator;
      generator = undefined;
      if (g) await (await g.catch(() => undefined))?.dispose();
    },
    [Symbol.asyncDispose]() {
      return teacher.dispose();
    },
  };
  return teacher;
}
