import { WayfarerError } from "../errors/wayfarer-error.ts";
import type { GenerateOptions, GenerateResult, GeneratorV1, TokenLogprob } from "./generator.ts";

/** Options of an OpenAI-compatible chat-completions generator (OpenAI, vLLM, TGI, Ollama, llama.cpp server). */
export interface OpenAICompatibleOptions {
  /** Base URL up to `/v1`, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:8080/v1`. */
  baseURL: string;
  /** Model id sent in the request. */
  model: string;
  /** Bearer key; read by the caller from the environment, never logged or stored. */
  apiKey?: string;
  /** Retries on 429 / 5xx / network errors, with exponential backoff (honours Retry-After). Default 4. */
  maxRetries?: number;
  /** Per-request timeout in milliseconds. Default 120000. */
  timeoutMs?: number;
  /** Send `response_format: json_schema` when a schema is asked for. Default true. */
  structuredOutputs?: boolean;
  /** Injected for tests. */
  fetch?: typeof fetch;
  /** Injected for tests: sleeps between retries. */
  sleep?: (ms: number) => Promise<void>;
}

/** HTTP failure of an OpenAI-compatible endpoint; `isRetryable` for 408/409/429/5xx. */
export class APICallError extends WayfarerError {
  override name = "APICallError";
  readonly statusCode: number | null;
  readonly isRetryable: boolean;
  constructor(message: string, statusCode: number | null, isRetryable: boolean) {
    super(message);
    this.statusCode = statusCode;
    this.isRetryable = isRetryable;
  }
}

interface ChatCompletionResponse {
  choices?: Array<{
    message?: { content?: string | null };
    finish_reason?: string;
    logprobs?: { content?: Array<{ top_logprobs?: Array<{ token: string; logprob: number }> }> } | null;
  }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number };
  error?: { message?: string };
}

/** `GeneratorV1` over `POST {baseURL}/chat/completions`. */
export class OpenAICompatibleGenerator implements GeneratorV1 {
  readonly specificationVersion = "v1" as const;
  readonly provider = "openai-compatible";
  readonly modelId: string;
  readonly #options: OpenAICompatibleOptions;

  constructor(options: OpenAICompatibleOptions) {
    this.#options = options;
    this.modelId = options.model;
  }

  async doGenerate(options: GenerateOptions): Promise<GenerateResult> {
    const o = this.#options;
    const body: Record<string, unknown> = {
      model: o.model,
      messages: options.messages,
      max_tokens: options.maxTokens,
      temperature: options.temperature,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.repeatPenalty && options.repeatPenalty.penalty !== 1
        ? { frequency_penalty: options.repeatPenalty.penalty - 1 }
        : {}),
    };
    if (options.jsonSchema && (o.structuredOutputs ?? true)) {
      body.response_format = {
        type: "json_schema",
        json_schema: { name: "answer", schema: options.jsonSchema, strict: true },
      };
    }
    if (options.topLogprobs) {
      body.logprobs = true;
      body.top_logprobs = options.topLogprobs;
    }
    const started = performance.now();
    const json = await this.#post(body, options.signal);
    const latencySeconds = (performance.now() - started) / 1000;
    const choice = json.choices?.[0];
    if (!choice?.message || typeof choice.message.content !== "string") {
      throw new APICallError(`${o.baseURL}: response without choices[0].message.content`, 200, false);
    }
    const warnings: string[] = [];
    let logprobs: TokenLogprob[][] | undefined;
    if (options.topLogprobs) {
      const content = choice.logprobs?.content;
      if (content)
        logprobs = content.map((c) => (c.top_logprobs ?? []).map((t) => ({ token: t.token, logprob: t.logprob })));
      else warnings.push("the endpoint returned no log-probabilities");
    }
    return {
      text: choice.message.content,
      promptTokens: json.usage?.prompt_tokens ?? 0,
      completionTokens: json.usage?.completion_tokens ?? 0,
      latencySeconds,
      finishReason: choice.finish_reason === "length" ? "length" : "stop",
      warnings,
      ...(logprobs ? { logprobs } : {}),
    };
  }

  #post(body: unknown, signal?: AbortSignal): Promise<ChatCompletionResponse> {
    return postOpenAICompatible<ChatCompletionResponse>(this.#options, "chat/completions", body, signal);
  }

  async dispose(): Promise<void> {}
}

/** `text` with every occurrence of `key` replaced: some servers echo the bearer key in their error replies. */
function redactKey(text: string, key: string | undefined): string {
  return key ? text.split(key).join("[redacted]") : text;
}

/**
 * POST `body` as JSON to `{baseURL}/{path}` of an OpenAI-compatible endpoint and return the parsed JSON.
 * Retries 408/409/429/5xx and network errors up to `maxRetries` times with exponential backoff (0.5 s, 1 s, 2 s …,
 * at most 30 s; `Retry-After` seconds when given). The bearer key goes only into the request header.
 * @throws APICallError (message: URL, HTTP status and the provider's error message or the first 200 characters
 *   of the body; never the key) when the status is not 2xx, the body is not JSON, or it carries an `error` object.
 */
export async function postOpenAICompatible<T extends { error?: { message?: string } }>(
  o: OpenAICompatibleOptions,
  path: string,
  body: unknown,
  signal?: AbortSignal,
): Promise<T> {
  const doFetch = o.fetch ?? fetch;
  const sleep = o.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const maxRetries = o.maxRetries ?? 4;
  const url = `${o.baseURL.replace(/\/+$/, "")}/${path}`;
  for (let attempt = 0; ; attempt++) {
    let error: APICallError;
    let retryAfterMs: number | undefined;
    try {
      const response = await doFetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : {}),
        },
        body: JSON.stringify(body),
        signal: signal
          ? AbortSignal.any([signal, AbortSignal.timeout(o.timeoutMs ?? 120_000)])
          : AbortSignal.timeout(o.timeoutMs ?? 120_000),
      });
      const text = await response.text();
      let json: T | undefined;
      try {
        json = JSON.parse(text) as T;
      } catch {
        json = undefined;
      }
      if (response.ok && json && !json.error) return json;
      const status = response.status;
      const detail = redactKey(String(json?.error?.message ?? text.slice(0, 200)), o.apiKey);
      error = new APICallError(
        `${url}: HTTP ${status}${json?.error ? " (error body)" : ""}: ${detail}`,
        status,
        status === 408 || status === 409 || status === 429 || status >= 500,
      );
      const ra = response.headers.get("retry-after");
      if (ra && !Number.isNaN(Number(ra))) retryAfterMs = Number(ra) * 1000;
    } catch (cause) {
      if (signal?.aborted) throw cause;
      if (cause instanceof APICallError) throw cause;
      error = new APICallError(`${url}: ${redactKey(String((cause as Error)?.message), o.apiKey)}`, null, true);
    }
    if (!error.isRetryable || attempt >= maxRetries) throw error;
    await sleep(retryAfterMs ?? Math.min(30_000, 500 * 2 ** attempt));
  }
}
