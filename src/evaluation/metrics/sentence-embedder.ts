/**
 * Sentence embeddings from all-MiniLM-L6-v2 as sentence-transformers computes them (the model's
 * modules.json: Transformer with max_seq_length 256 -> mean pooling over the attention mask -> L2
 * normalisation), on the same local ONNX export BERTScore uses. The `TextEmbedder` of embedding cosine and
 * of Ragas answer relevancy / answer correctness when the experiment names no other encoder.
 *
 * Reference: the model card's "Usage (HuggingFace Transformers)" recipe with max_length 256 (what
 * sentence-transformers does); `scripts/fixtures/sentence_embeddings.py` writes fixtures from it with
 * transformers + torch, and test/unit/evaluation/metrics/sentence-embedder.test.ts compares to 1e-5.
 */
import type { TextEmbedder } from "./embedding.ts";
import { defaultMiniLmDir, type LoadedMiniLm, loadMiniLm } from "./support/minilm.ts";

/** Options of {@link MiniLmSentenceEmbedder.create}. */
export interface MiniLmSentenceEmbedderOptions {
  /** Model folder (default $WAYFARER_HOME/models/all-minilm-l6-v2). */
  modelDir?: string;
  /** Longest input in tokens, [CLS] and [SEP] included (sentence-transformers' max_seq_length). Default 256. */
  maxTokens?: number;
  /** onnxruntime intra-op threads. Default 1. */
  threads?: number;
  /** Texts per forward pass. Default 16. */
  batchSize?: number;
  /** Embeddings kept by text (questions and references recur). Default 2048. */
  cacheSize?: number;
}

/** `TextEmbedder` over all-MiniLM-L6-v2: unit vectors of 384 floats. Calls are serialised. */
export class MiniLmSentenceEmbedder implements TextEmbedder {
  /** e.g. `all-minilm-l6-v2:mean:256`, in every signature that uses it. */
  readonly modelId: string;
  readonly #model: LoadedMiniLm;
  readonly #maxTokens: number;
  readonly #batchSize: number;
  readonly #cacheSize: number;
  readonly #cache = new Map<string, number[]>();
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(model: LoadedMiniLm, o: MiniLmSentenceEmbedderOptions) {
    this.#model = model;
    this.#maxTokens = o.maxTokens ?? 256;
    this.#batchSize = o.batchSize ?? 16;
    this.#cacheSize = o.cacheSize ?? 2048;
    this.modelId = `${model.name}:mean:${this.#maxTokens}`;
  }

  /** @throws ConfigError when the model files are missing (names the file and the setup step). */
  static async create(options: MiniLmSentenceEmbedderOptions = {}): Promise<MiniLmSentenceEmbedder> {
    const model = await loadMiniLm(options.modelDir ?? defaultMiniLmDir(), options.threads ?? 1);
    return new MiniLmSentenceEmbedder(model, options);
  }

  /** Token ids with [CLS] … [SEP], truncated as HF tokenizers do (the final [SEP] kept). */
  tokenize(text: string): number[] {
    const ids = this.#model.tokenizer.encode(text, { add_special_tokens: true });
    return ids.length <= this.#maxTokens ? ids : [...ids.slice(0, this.#maxTokens - 1), ids[ids.length - 1]!];
  }

  embed(texts: readonly string[], signal?: AbortSignal): Promise<number[][]> {
    const run = this.#queue.then(() => this.#embedNow(texts, signal));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #embedNow(texts: readonly string[], signal?: AbortSignal): Promise<number[][]> {
    const todo = [...new Set(texts.filter((t) => !this.#cache.has(t)))];
    todo.sort((a, b) => b.length - a.length); // similar lengths share a batch: less padding
    const fresh = new Map<string, number[]>();
    for (let s = 0; s < todo.length; s += this.#batchSize) {
      signal?.throwIfAborted();
      const batch = todo.slice(s, s + this.#batchSize);
      const rows = batch.map((t) => this.tokenize(t));
      const { data, seq, dim } = await this.#model.forward(rows);
      batch.forEach((text, b) => {
        const len = rows[b]!.length;
        const mean = new Float64Array(dim);
        for (let t = 0; t < len; t++) {
          const src = (b * seq + t) * dim;
          for (let k = 0; k < dim; k++) mean[k]! += data[src + k]!;
        }
        let norm = 0;
        for (let k = 0; k < dim; k++) {
          mean[k]! /= len;
          norm += mean[k]! * mean[k]!;
        }
        // F.normalize: x / max(||x||, 1e-12)
        const inv = 1 / Math.max(Math.sqrt(norm), 1e-12);
        fresh.set(
          text,
          Array.from(mean, (v) => v * inv),
        );
      });
    }
    const out = texts.map((t) => fresh.get(t) ?? this.#cache.get(t)!);
    for (const [t, v] of fresh) {
      if (this.#cache.size >= this.#cacheSize) this.#cache.delete(this.#cache.keys().next().value!);
      this.#cache.set(t, v);
    }
    return out;
  }

  async dispose(): Promise<void> {
    await this.#queue.catch(() => undefined);
    this.#cache.clear();
    await this.#model.dispose();
  }
}
