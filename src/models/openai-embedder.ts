import type { TextEmbedder } from "../evaluation/metrics/embedding.ts";
import { APICallError, type OpenAICompatibleOptions, postOpenAICompatible } from "./openai-generator.ts";

interface EmbeddingsResponse {
  data?: Array<{ index?: number; embedding?: unknown }>;
  error?: { message?: string };
}

/** Options of {@link OpenAICompatibleEmbedder}: those of the chat client (`model` is the embedding model id). */
export interface OpenAICompatibleEmbedderOptions extends Omit<OpenAICompatibleOptions, "structuredOutputs"> {
  /** Texts per request. Default 64. */
  batchSize?: number;
}

/**
 * `TextEmbedder` over `POST {baseURL}/embeddings` (OpenAI, vLLM, TEI, Ollama, llama.cpp server): `input` is a
 * list of texts, the answer's `data[i].embedding` (float arrays, ordered by `index`) are returned as given.
 * Same retry and error rules as the chat client ({@link postOpenAICompatible}).
 * @throws APICallError when the answer has the wrong number of embeddings, a non-numeric one, or mixed dimensions.
 */
export class OpenAICompatibleEmbedder implements TextEmbedder {
  readonly modelId: string;
  readonly #options: OpenAICompatibleEmbedderOptions;

  constructor(options: OpenAICompatibleEmbedderOptions) {
    this.#options = options;
    this.modelId = `openai-compatible:${options.model}`;
  }

  async embed(texts: readonly string[], signal?: AbortSignal): Promise<number[][]> {
    const o = this.#options;
    const size = o.batchSize ?? 64;
    const out: number[][] = [];
    for (let s = 0; s < texts.length; s += size) {
      const batch = texts.slice(s, s + size);
      const json = await postOpenAICompatible<EmbeddingsResponse>(
        o,
        "embeddings",
        { model: o.model, input: batch, encoding_format: "float" },
        signal,
      );
      const data = [...(json.data ?? [])].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
      const where = `${o.baseURL}/embeddings`;
      if (data.length !== batch.length)
        throw new APICallError(`${where}: ${data.length} embeddings for ${batch.length} texts`, 200, false);
      for (const d of data) {
        const e = d.embedding;
        if (!Array.isArray(e) || e.length === 0 || !e.every((x) => typeof x === "number" && Number.isFinite(x)))
          throw new APICallError(`${where}: data[${d.index ?? "?"}].embedding is not a list of numbers`, 200, false);
        if (out.length > 0 && e.length !== out[0]!.length)
          throw new APICallError(`${where}: embeddings of ${e.length} and ${out[0]!.length} dimensions`, 200, false);
        out.push(e as number[]);
      }
    }
    return out;
  }

  async dispose(): Promise<void> {}
}
