/**
 * The generator contract (STYLE.md #9, after vercel/ai's LanguageModelV2): every model provider —
 * local GGUF through node-llama-cpp, or any OpenAI-compatible endpoint — implements `GeneratorV1`.
 */

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** A JSON schema (the subset both llama.cpp grammars and OpenAI structured output accept). */
export type JsonSchema = Record<string, unknown>;

export interface GenerateOptions {
  /** The conversation; the last message must be from the user. */
  messages: ChatMessage[];
  /** Upper bound on generated tokens (>= 1). */
  maxTokens: number;
  /** 0 = greedy (deterministic). Range 0..2. */
  temperature: number;
  /**
   * Penalise tokens repeated within the last `lastTokens` generated tokens (llama.cpp repeat
   * penalty; mapped to `frequency_penalty = penalty - 1` for OpenAI-compatible endpoints).
   * 1 = off. Small models loop under greedy decoding without it.
   */
  repeatPenalty?: { penalty: number; lastTokens: number };
  /** Sampling seed; only matters when temperature > 0. */
  seed?: number;
  /**
   * Nucleus sampling (OpenAI's `top_p`): sample only from the smallest set of tokens whose probabilities add up
   * to `topP`. Range (0, 1]; 1 or undefined = off. No effect when temperature is 0.
   */
  topP?: number;
  /**
   * Stop sequences (OpenAI's `stop`, at most 4): generation ends before the first occurrence of any of them, and
   * the returned text does not contain it (finishReason "stop"). Empty strings are ignored.
   */
  stop?: string[];
  /**
   * Constrain the output to this JSON schema: a grammar for local models, `response_format`
   * json_schema for OpenAI-compatible endpoints. When the provider cannot, it says so in `warnings`.
   */
  jsonSchema?: JsonSchema;
  /** Ask for the top-k log-probabilities of each generated token (0 = none). Max 20. */
  topLogprobs?: number;
  signal?: AbortSignal;
}

/** One candidate token at one output position, with its natural-log probability. */
export interface TokenLogprob {
  token: string;
  logprob: number;
}

export interface GenerateResult {
  text: string;
  promptTokens: number;
  completionTokens: number;
  /** Wall-clock seconds for this call. */
  latencySeconds: number;
  /** "length" when `maxTokens` cut the answer. */
  finishReason: "stop" | "length";
  /** Settings the provider could not apply, e.g. "topLogprobs not supported". */
  warnings: string[];
  /** Per generated token, the top alternatives (when `topLogprobs` > 0 and supported). */
  logprobs?: TokenLogprob[][];
}

/** Token counts of one call (OpenAI's `usage`). */
export interface GenerateUsage {
  promptTokens: number;
  completionTokens: number;
}

/**
 * One part of a streamed answer (after vercel/ai's `LanguageModelV2StreamPart`): first `stream-start` with the
 * warnings, then `text-delta`s whose concatenation is exactly the text `doGenerate` returns for the same options
 * (at temperature 0), then one `finish`. A failure errors the stream (the iterator throws); cancelling the stream
 * (`stream.cancel()`, or `break` out of `for await`) stops the generation and frees its sequence.
 */
export type GenerateStreamPart =
  | { type: "stream-start"; warnings: string[] }
  | { type: "text-delta"; delta: string }
  | {
      type: "finish";
      finishReason: GenerateResult["finishReason"];
      usage: GenerateUsage;
      /** Wall-clock seconds from the call to the last token. */
      latencySeconds: number;
    };

/** What `doStream` returns (vercel/ai's `doStream` shape). */
export interface GenerateStreamResult {
  stream: ReadableStream<GenerateStreamPart>;
}

export interface GeneratorV1 {
  readonly specificationVersion: "v1";
  /** "llama" | "openai-compatible". */
  readonly provider: string;
  /** What produced the text, for signatures: file name + adapter, or the endpoint's model id. */
  readonly modelId: string;
  doGenerate(options: GenerateOptions): Promise<GenerateResult>;
  /**
   * The same call, streamed. Resolves once the request is accepted (for an endpoint: the HTTP status is 2xx);
   * errors before that reject the promise, later ones error the stream. `jsonSchema` and `topLogprobs` may be
   * unsupported while streaming (reported in `stream-start` warnings).
   */
  doStream(options: GenerateOptions): Promise<GenerateStreamResult>;
  dispose(): Promise<void>;
}
