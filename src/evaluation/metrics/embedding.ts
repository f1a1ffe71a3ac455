/**
 * Embedding cosine similarity between the answer and its reference(s) (best reference wins), and the
 * `TextEmbedder` used by it and by the Ragas metrics (answer relevancy, answer correctness).
 *
 * Encoders: all-MiniLM-L6-v2 as sentence-transformers runs it (`MiniLmSentenceEmbedder`, sentence-embedder.ts:
 * the default in experiments and `wayfarer score`, parity-tested against the reference recipe), any
 * OpenAI-compatible `/embeddings` endpoint (`OpenAICompatibleEmbedder`, src/models/openai-embedder.ts), or a
 * GGUF embedding model through node-llama-cpp (`LlamaTextEmbedder` below: llama.cpp pooling as the model
 * declares, mean pooling for decoder-only LMs, whose cosines are compressed towards 1). The encoder's id is in
 * every signature.
 */
import { basename } from "node:path";
import type { LlamaEmbeddingContext } from "node-llama-cpp";
import { z } from "zod";
import type { LlamaRuntime } from "../../models/llama-generator.ts";
import { type EvaluationInput, type EvaluationResult, type EvaluatorDescriptor, ZERO_COST } from "../types.ts";

/** Sentence embeddings. */
export interface TextEmbedder {
  /** Model file name / id, for signatures. */
  readonly modelId: string;
  /** One vector per text, same dimension for all. */
  embed(texts: readonly string[], signal?: AbortSignal): Promise<number[][]>;
  dispose(): Promise<void>;
}

/** Cosine similarity in [-1, 1]; 0 when either vector is all zeros. @throws RangeError on a length mismatch. */
export function cosine(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new RangeError(`cosine: dimensions differ (${a.length} vs ${b.length})`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** Options of `LlamaTextEmbedder.create`. */
export interface LlamaTextEmbedderOptions {
  runtime: LlamaRuntime;
  modelPath: string;
  /** Context size (longest text in tokens). Default 512. */
  contextSize?: number;
  /** llama.cpp threads. Default 1. */
  threads?: number;
}

/** `TextEmbedder` over a GGUF via node-llama-cpp (calls serialised). Texts longer than the context are truncated by characters to fit. */
export class LlamaTextEmbedder implements TextEmbedder {
  readonly modelId: string;
  readonly #context: LlamaEmbeddingContext;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(context: LlamaEmbeddingContext, modelPath: string) {
    this.#context = context;
    this.modelId = basename(modelPath);
  }

  static async create(options: LlamaTextEmbedderOptions): Promise<LlamaTextEmbedder> {
    const model = await options.runtime.loadModel(options.modelPath);
    const context = await model.createEmbeddingContext({
      contextSize: options.contextSize ?? 512,
      threads: options.threads ?? 1,
    });
    return new LlamaTextEmbedder(context, options.modelPath);
  }

  embed(texts: readonly string[], signal?: AbortSignal): Promise<number[][]> {
    const run = this.#queue.then(async () => {
      const out: number[][] = [];
      for (const t of texts) {
        signal?.throwIfAborted();
        const e = await this.#context.getEmbeddingFor(t.length > 0 ? t : " ");
        out.push([...e.vector]);
      }
      return out;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async dispose(): Promise<void> {
    await this.#queue.catch(() => undefined);
    await this.#context.dispose();
  }
}

export const descriptor = {
  id: "embedding-cosine",
  label: "Embedding cosine similarity to the reference (sentence encoder, MiniLM by default)",
  needs: ["references", "encoder"],
  range: [-1, 1],
  higherIsBetter: true,
} as const satisfies EvaluatorDescriptor;

export const optionsSchema = z.strictObject({});

export function embeddingSignature(modelId: string): string {
  return `embedding-cosine|model:${modelId}|pool:model-default|multi-ref:max`;
}

/**
 * Cosine between the answer's and each reference's embedding; the maximum over references.
 * @returns `not-applicable` without references.
 */
export async function score(
  input: EvaluationInput,
  embedder: TextEmbedder,
  signal?: AbortSignal,
): Promise<EvaluationResult> {
  const signature = embeddingSignature(embedder.modelId);
  const refs = input.references ?? [];
  if (refs.length === 0)
    return {
      status: "not-applicable",
      value: null,
      reason: "needs at least one reference answer",
      signature,
      cost: ZERO_COST,
    };
  const [a, ...rs] = await embedder.embed([input.answer, ...refs], signal);
  const sims = rs.map((r) => cosine(a!, r));
  return { status: "scored", value: Math.max(...sims), signature, cost: ZERO_COST };
}
