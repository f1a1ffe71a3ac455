import { WayfarerError } from "../errors/wayfarer-error.ts";
import type {
  GenerateOptions,
  GenerateResult,
  GenerateStreamPart,
  GenerateStreamResult,
  GeneratorV1,
  TokenLogprob,
} from "./generator.ts";

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

  /** The request body of a chat completion (without `stream`). */
  #body(options: GenerateOptions): Record<string, unknown> {
    const stop = (options.stop ?? []).filter((s) => s.length > 0);
    return {
      model: this.#options.model,
      messages: options.messages,
      max_tokens: options.maxTokens,
      temperature: options.temperature,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.topP !== undefined && options.topP < 1 ? { top_p: options.topP } : {}),
      ...(stop.length > 0 ? { stop } : {}),
      ...(options.repeatPenalty && options.repeatPenalty.penalty !== 1
        ? { frequency_penalty: options.repeatPenalty.penalty - 1 }
        : {}),
    };
  }

  async doGenerate(options: GenerateOptions): Promise<GenerateResult> {
    const o = this.#options;
    const body = this.#body(options);
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

  /**
   * `stream: true` with `stream_options.include_usage`; parses the server-sent events (`data: {chunk}` lines,
   * `data: [DONE]`). Retries like `doGenerate` until the endpoint answers 2xx; an `error` object inside the
   * stream, or a stream that ends without a finish reason, errors the stream with an APICallError.
   */
  async doStream(options: GenerateOptions): Promise<GenerateStreamResult> {
    const o = this.#options;
    const warnings: string[] = [];
    if (options.jsonSchema) warnings.push("jsonSchema is not applied while streaming");
    if (options.topLogprobs) warnings.push("topLogprobs is not supported while streaming");
    const cancel = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, cancel.signal]) : cancel.signal;
    const started = performance.now();
    const { response, url } = await fetchOpenAICompatible(
      o,
      "chat/completions",
      { ...this.#body(options), stream: true, stream_options: { include_usage: true } },
      signal,
    );
    const body = response.body;
    if (!body) throw new APICallError(`${url}: HTTP ${response.status} without a body`, response.status, false);
    const lines = body.pipeThrough(new TextDecoderStream()).pipeThrough(lineSplitter());
    const reader = lines.getReader();
    let finishReason: GenerateResult["finishReason"] | undefined;
    let usage = { promptTokens: 0, completionTokens: 0 };
    let done = false;
    const stream = new ReadableStream<GenerateStreamPart>({
      start: (controller) => controller.enqueue({ type: "stream-start", warnings }),
      pull: async (controller) => {
        try {
          for (;;) {
            const next = done ? { done: true as const, value: undefined } : await reader.read();
            if (next.done) {
              if (finishReason === undefined)
                throw new APICallError(`${url}: the event stream ended without a finish reason`, response.status, true);
              controller.enqueue({
                type: "finish",
                finishReason,
                usage,
                latencySeconds: (performance.now() - started) / 1000,
              });
              controller.close();
              return;
            }
            const line = next.value;
            if (!line.startsWith("data:")) continue;
            const data = line.slice(5).trim();
            if (data === "[DONE]") {
              done = true;
              continue;
            }
            let chunk: ChatCompletionChunk;
            try {
              chunk = JSON.parse(data) as ChatCompletionChunk;
            } catch {
              throw new APICallError(
                `${url}: event is not JSON: ${redactKey(data.slice(0, 200), o.apiKey)}`,
                200,
                false,
              );
            }
            if (chunk.error)
              throw new APICallError(
                `${url}: error in the event stream: ${redactKey(String(chunk.error.message), o.apiKey)}`,
                200,
                false,
              );
            if (chunk.usage)
              usage = {
                promptTokens: chunk.usage.prompt_tokens ?? 0,
                completionTokens: chunk.usage.completion_tokens ?? 0,
              };
            const choice = chunk.choices?.[0];
            if (choice?.finish_reason) finishReason = choice.finish_reason === "length" ? "length" : "stop";
            const delta = choice?.delta?.content;
            if (typeof delta === "string" && delta.length > 0) {
              controller.enqueue({ type: "text-delta", delta });
              return;
            }
          }
        } catch (error) {
          cancel.abort(error);
          throw signal.aborted && options.signal?.aborted ? options.signal.reason : error;
        }
      },
      cancel: async (reason) => {
        cancel.abort(reason);
        await reader.cancel(reason).catch(() => undefined);
      },
    });
    return { stream };
  }

  async dispose(): Promise<void> {}
}

interface ChatCompletionChunk {
  choices?: Array<{ delta?: { content?: string | null }; finish_reason?: string | null }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: { message?: string };
}

/** Splits a text stream into lines (LF or CRLF), the last one flushed without its newline. */
function lineSplitter(): TransformStream<string, string> {
  let buffer = "";
  return new TransformStream<string, string>({
    transform(chunk, controller) {
      buffer += chunk;
      let i = buffer.indexOf("\n");
      while (i !== -1) {
        controller.enqueue(buffer.slice(0, i).replace(/\r$/, ""));
        buffer = buffer.slice(i + 1);
        i = buffer.indexOf("\n");
      }
    },
    flush(controller) {
      if (buffer.length > 0) controller.enqueue(buffer);
    },
  });
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
  const { response, url } = await fetchOpenAICompatible(o, path, body, signal);
  const text = await response.text();
  let json: T | undefined;
  try {
    json = JSON.parse(text) as T;
  } catch {
    json = undefined;
  }
  if (json && !json.error) return json;
  const detail = redactKey(String(json?.error?.message ?? text.slice(0, 200)), o.apiKey);
  throw new APICallError(
    `${url}: HTTP ${response.status}${json?.error ? " (error body)" : ""}: ${detail}`,
    response.status,
    false,
  );
}

/**
 * POST `body` as JSON and return the 2xx response with its body unread (the retry loop of
 * {@link postOpenAICompatible}). The timeout (`timeoutMs`) covers reading the body too.
 * @throws APICallError for a non-2xx status (after retries) or a network error; `signal.reason` when aborted.
 */
export async function fetchOpenAICompatible(
  o: OpenAICompatibleOptions,
  path: string,
  body: unknown,
  signal?: AbortSignal,
): Promise<{ response: Response; url: string }> {
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
      if (response.ok) return { response, url };
      const text = await response.text();
      let json: { error?: { message?: string } } | undefined;
      try {
        json = JSON.parse(text) as { error?: { message?: string } };
      } catch {
        json = undefined;
      }
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
      const reason = (cause as Error)?.cause instanceof Error ? ` (${((cause as Error).cause as Error).message})` : "";
      error = new APICallError(
        `${url}: ${redactKey(String((cause as Error)?.message) + reason, o.apiKey)}`,
        null,
        true,
      );
    }
    if (!error.isRetryable || attempt >= maxRetries) throw error;
    await sleep(retryAfterMs ?? Math.min(30_000, 500 * 2 ** attempt));
  }
}
