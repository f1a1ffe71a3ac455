/**
 * Perplexity of the answer under a reference language model (reference-free):
 * PPL = exp(-(1/N) Σ_i log p(t_i | BOS, prefix, t_<i)) over the N answer tokens, where the prefix is
 * `Question: <question>\nAnswer:\n` (option `condition: "question"`, default) or nothing
 * (`condition: "none"`). Lower is better. Tokens are the model's own (llama.cpp tokenizer), so values
 * are comparable only under the same model (recorded in the signature).
 *
 * `LlamaTokenScorer` computes log p with node-llama-cpp's `LlamaContextSequence.controlledEvaluate`
 * asking for the full next-token distribution at each position, sampled with temperature 1 and no
 * top-k/top-p/min-p truncation, i.e. the model's softmax. One context (threads as given), calls
 * serialised.
 */
import { basename } from "node:path";
import type { LlamaContext, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { z } from "zod";
import type { LlamaRuntime } from "../../models/llama-generator.ts";
import { type EvaluationInput, type EvaluationResult, type EvaluatorDescriptor, ZERO_COST } from "../types.ts";

/** Log-probabilities of text under a language model (natural log). */
export interface TokenScorer {
  /** Model file name, for signatures. */
  readonly modelId: string;
  /**
   * Natural-log probability of each token of `text` given BOS + `prefix`; empty array for empty text.
   * @throws when prefix + text exceed the context size.
   */
  scoreTokens(prefix: string, text: string, signal?: AbortSignal): Promise<number[]>;
  dispose(): Promise<void>;
}

/** Options of `LlamaTokenScorer.create`. */
export interface LlamaTokenScorerOptions {
  runtime: LlamaRuntime;
  modelPath: string;
  /** Context size in tokens; longer inputs throw. Default 2048. */
  contextSize?: number;
  /** llama.cpp threads. Default 1 (see LlamaGeneratorOptions.threads). */
  threads?: number;
}

/** `TokenScorer` over a local GGUF (see module doc). */
export class LlamaTokenScorer implements TokenScorer {
  readonly modelId: string;
  readonly #model: LlamaModel;
  readonly #context: LlamaContext;
  readonly #sequence: LlamaContextSequence;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(model: LlamaModel, context: LlamaContext, modelPath: string) {
    this.#model = model;
    this.#context = context;
    this.#sequence = context.getSequence();
    this.modelId = basename(modelPath);
  }

  static async create(options: LlamaTokenScorerOptions): Promise<LlamaTokenScorer> {
    const model = await options.runtime.loadModel(options.modelPath);
    const context = await model.createContext({
      contextSize: options.contextSize ?? 2048,
      threads: options.threads ?? 1,
    });
    return new LlamaTokenScorer(model, context, options.modelPath);
  }

  scoreTokens(prefix: string, text: string, signal?: AbortSignal): Promise<number[]> {
    const run = this.#queue.then(() => this.#score(prefix, text, signal));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #score(prefix: string, text: string, signal?: AbortSignal): Promise<number[]> {
    signal?.throwIfAborted();
    const target = this.#model.tokenize(text);
    if (target.length === 0) return [];
    const bos = this.#model.tokens.bos;
    const head: Token[] = [...(bos !== null ? [bos] : []), ...this.#model.tokenize(prefix)];
    const all = [...head, ...target];
    if (all.length === 0 || head.length === 0)
      throw new Error("LlamaTokenScorer: the model has no BOS token and the prefix is empty; give a prefix");
    if (all.length > this.#context.contextSize)
      throw new RangeError(
        `LlamaTokenScorer: ${all.length} tokens exceed the context size ${this.#context.contextSize}`,
      );
    await this.#sequence.clearHistory();
    const want = { probabilities: true, options: { temperature: 1, topK: 0, topP: 1, minP: 0 } } as const;
    // predict token i+1 from position i for every position from the last prefix token on
    const input = all.slice(0, -1).map((t, i) => (i >= head.length - 1 ? ([t, { generateNext: want }] as const) : t));
    const out = await this.#sequence.controlledEvaluate(input as never);
    const logprobs: number[] = [];
    for (let i = head.length - 1; i < all.length - 1; i++) {
      const p = out[i]?.next.probabilities?.get(all[i + 1]!) ?? 0;
      logprobs.push(Math.log(p));
    }
    return logprobs;
  }

  async dispose(): Promise<void> {
    await this.#queue.catch(() => undefined);
    this.#sequence.dispose();
    await this.#context.dispose();
  }
}

export const descriptor = {
  id: "perplexity",
  label: "Perplexity of the answer under a reference LM (lower is better)",
  needs: ["encoder"],
  range: [1, Number.POSITIVE_INFINITY],
  higherIsBetter: false,
} as const satisfies EvaluatorDescriptor;

export const optionsSchema = z.strictObject({
  /** Condition on the question ("question", default) or score the answer alone ("none"). */
  condition: z.enum(["question", "none"]).default("question"),
});
export type PerplexityOptions = z.output<typeof optionsSchema>;

export function perplexitySignature(o: PerplexityOptions, modelId: string): string {
  return `perplexity|model:${modelId}|condition:${o.condition}|tok:model|softmax:t1-untruncated|impl:node-llama-cpp-controlledEvaluate`;
}

/** Perplexity from per-token natural-log probabilities; null for no tokens. */
export function perplexityOf(logprobs: readonly number[]): number | null {
  if (logprobs.length === 0) return null;
  return Math.exp(-logprobs.reduce((a, b) => a + b, 0) / logprobs.length);
}

/**
 * Perplexity of `input.answer` under `scorer`.
 * @returns `scored` (details: tokens, meanLogprob); `not-applicable` for an empty answer; `error` when a
 *   token had probability 0 (infinite perplexity) or the input is longer than the context.
 */
export async function score(
  input: EvaluationInput,
  scorer: TokenScorer,
  o: PerplexityOptions,
  signal?: AbortSignal,
): Promise<EvaluationResult> {
  const signature = perplexitySignature(o, scorer.modelId);
  const prefix = o.condition === "question" ? `Question: ${input.question}\nAnswer:\n` : "";
  let lp: number[];
  try {
    lp = await scorer.scoreTokens(prefix, input.answer, signal);
  } catch (error) {
    if (signal?.aborted) throw error;
    return { status: "error", value: null, reason: (error as Error).message, signature, cost: ZERO_COST };
  }
  const ppl = perplexityOf(lp);
  if (ppl === null)
    return { status: "not-applicable", value: null, reason: "empty answer (no tokens)", signature, cost: ZERO_COST };
  if (!Number.isFinite(ppl))
    return {
      status: "error",
      value: null,
      reason: "a token had probability 0 (infinite perplexity)",
      signature,
      cost: ZERO_COST,
    };
  return {
    status: "scored",
    value: ppl,
    details: { tokens: lp.length, meanLogprob: lp.reduce((a, b) => a + b, 0) / lp.length },
    signature,
    cost: ZERO_COST,
  };
}
