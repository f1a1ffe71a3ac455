import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { basename } from "node:path";
import {
  type ChatHistoryItem,
  getLlama,
  type Llama,
  LlamaChatSession,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaModel,
} from "node-llama-cpp";
import { ConfigError } from "../errors/config-error.ts";
import { WayfarerError } from "../errors/wayfarer-error.ts";
import { normalizeMessageText, servingChatWrapper, toChatHistory } from "./chat-template.ts";
import type {
  GenerateOptions,
  GenerateResult,
  GenerateStreamPart,
  GenerateStreamResult,
  GeneratorV1,
} from "./generator.ts";
import { readGenerateStream, Semaphore } from "./stream.ts";

/** Options of a local GGUF generator. */
export interface LlamaGeneratorOptions {
  /** Path of the base model GGUF file. */
  modelPath: string;
  /** Path of a GGUF LoRA adapter (llama.cpp format), or undefined for the base model. */
  adapterPath?: string;
  /** LoRA scale; 1 = as trained. */
  adapterScale?: number;
  /** Context window in tokens (prompt + answer). Default 2048. */
  contextSize?: number;
  /**
   * CPU threads for llama.cpp. Default: half the cores (at least 1). llama.cpp's thread pool spins;
   * with more threads than free cores (other processes, parallel tests) generation slows by 100x.
   */
  threads?: number;
  /**
   * Parallel sequences of the context (calls decoded together in one batch). Each adds `contextSize` tokens of
   * KV cache. Default 1.
   */
  sequences?: number;
}

/** Half the available cores, at least 1 (see `LlamaGeneratorOptions.threads`). */
export function defaultLlamaThreads(): number {
  return Math.max(1, Math.floor(availableParallelism() / 2));
}

/**
 * Shared llama.cpp runtime and loaded base models, so several variants (base, base + adapter A,
 * base + adapter B) share one copy of the weights. Create one per process with `LlamaRuntime.create()`.
 */
export class LlamaRuntime {
  readonly #llama: Llama;
  readonly #models = new Map<string, Promise<LlamaModel>>();

  private constructor(llama: Llama) {
    this.#llama = llama;
  }

  /** Loads the prebuilt CPU binding (no build, no GPU probing; `WAYFARER_GPU=auto` lets llama.cpp pick a GPU). */
  static async create(options: { gpu?: boolean } = {}): Promise<LlamaRuntime> {
    const llama = await getLlama({ gpu: options.gpu ? "auto" : false, build: "never", logLevel: "error" as never });
    return new LlamaRuntime(llama);
  }

  get llama(): Llama {
    return this.#llama;
  }

  /** Loads (once) the GGUF at `modelPath`. */
  loadModel(modelPath: string): Promise<LlamaModel> {
    let model = this.#models.get(modelPath);
    if (!model) {
      if (!existsSync(modelPath)) return Promise.reject(new ConfigError(`${modelPath}: model file not found`));
      model = this.#llama.loadModel({ modelPath }).catch((cause: unknown) => {
        this.#models.delete(modelPath);
        throw new WayfarerError(`${modelPath}: cannot load GGUF model (${(cause as Error).message})`, { cause });
      });
      this.#models.set(modelPath, model);
    }
    return model;
  }

  /** Creates a generator for a base model plus optional adapter. */
  async createGenerator(options: LlamaGeneratorOptions): Promise<LlamaGenerator> {
    const model = await this.loadModel(options.modelPath);
    let context: LlamaContext;
    try {
      if (options.adapterPath && !existsSync(options.adapterPath))
        throw new ConfigError(`${options.adapterPath}: adapter file not found`);
      context = await model.createContext({
        sequences: options.sequences ?? 1,
        contextSize: options.contextSize ?? 2048,
        threads: options.threads ?? defaultLlamaThreads(),
        ...(options.adapterPath
          ? { lora: { adapters: [{ filePath: options.adapterPath, scale: options.adapterScale ?? 1 }] } }
          : {}),
      });
    } catch (cause) {
      if (cause instanceof ConfigError) throw cause;
      if (options.adapterPath && /lora/i.test(String((cause as Error).message)))
        throw new WayfarerError(
          `adapter ${options.adapterPath}: cannot be applied to ${basename(options.modelPath)} — was it trained on another base model? (${(cause as Error).message})`,
          { cause },
        );
      const what = options.adapterPath ? `adapter ${options.adapterPath}` : options.modelPath;
      throw new WayfarerError(`${what}: cannot create a llama.cpp context (${(cause as Error).message})`, { cause });
    }
    return new LlamaGenerator(this.#llama, model, context, options);
  }

  async dispose(): Promise<void> {
    for (const model of this.#models.values()) await (await model.catch(() => undefined))?.dispose();
    this.#models.clear();
    await this.#llama.dispose();
  }
}

/**
 * A GGUF model (+ LoRA) behind `GeneratorV1`: one llama.cpp context for this (base, adapter) — node-llama-cpp
 * applies LoRA per context — with `sequences` parallel sequences over the runtime's shared base weights. Up to
 * `sequences` calls run at once (node-llama-cpp decodes them in one batch); further calls wait in FIFO order.
 * Formats chats with the trainer's template (`servingChatWrapper`, src/models/chat-template.ts); log-probabilities are not supported (reported in warnings).
 */
export class LlamaGenerator implements GeneratorV1 {
  readonly specificationVersion = "v1" as const;
  readonly provider = "llama";
  readonly modelId: string;
  readonly #llama: Llama;
  readonly #model: LlamaModel;
  readonly #context: LlamaContext;
  readonly #slots: Semaphore;
  /** Sequences created so far and not in use (at most `sequences`; reused, their history cleared). */
  readonly #free: LlamaContextSequence[] = [];

  constructor(llama: Llama, model: LlamaModel, context: LlamaContext, options: LlamaGeneratorOptions) {
    this.#llama = llama;
    this.#model = model;
    this.#context = context;
    this.#slots = new Semaphore(context.totalSequences);
    this.modelId = basename(options.modelPath) + (options.adapterPath ? `+lora:${basename(options.adapterPath)}` : "");
  }

  /** The loaded model (tokenizer access for metrics such as perplexity). */
  get model(): LlamaModel {
    return this.#model;
  }

  /** Parallel sequences of the context (calls that run at once). */
  get sequences(): number {
    return this.#context.totalSequences;
  }

  /** Calls waiting for a free sequence. */
  get waiting(): number {
    return this.#slots.waiting;
  }

  async doGenerate(options: GenerateOptions): Promise<GenerateResult> {
    return readGenerateStream((await this.doStream(options)).stream);
  }

  async doStream(options: GenerateOptions): Promise<GenerateStreamResult> {
    const last = options.messages.at(-1);
    if (last?.role !== "user") throw new WayfarerError("generate: the last message must be from the user");
    const warnings: string[] = [];
    if (options.topLogprobs) warnings.push("topLogprobs is not supported by the llama provider; no log-probabilities");
    const cancel = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, cancel.signal]) : cancel.signal;
    let closed = false;
    const stream = new ReadableStream<GenerateStreamPart>({
      start: (controller) => {
        controller.enqueue({ type: "stream-start", warnings });
        this.#run(options, last.content, signal, (delta) => {
          if (!closed && delta.length > 0) controller.enqueue({ type: "text-delta", delta });
        }).then(
          (finish) => {
            if (closed) return;
            closed = true;
            controller.enqueue(finish);
            controller.close();
          },
          (error: unknown) => {
            if (closed) return;
            closed = true;
            controller.error(error);
          },
        );
      },
      cancel: () => {
        closed = true;
        cancel.abort(new WayfarerError("generation cancelled by the reader"));
      },
    });
    return { stream };
  }

  async #run(
    options: GenerateOptions,
    prompt: string,
    signal: AbortSignal,
    onDelta: (delta: string) => void,
  ): Promise<Extract<GenerateStreamPart, { type: "finish" }>> {
    const started = performance.now();
    const history: ChatHistoryItem[] = toChatHistory(options.messages.slice(0, -1));
    const release = await this.#slots.acquire(signal);
    try {
      const sequence = this.#free.pop() ?? this.#context.getSequence();
      const session = new LlamaChatSession({
        contextSequence: sequence,
        autoDisposeSequence: false,
        // the trainer's chat template, byte for byte (src/models/chat-template.ts)
        chatWrapper: servingChatWrapper(this.#model).wrapper,
      });
      try {
        session.setChatHistory(history);
        const grammar = options.jsonSchema
          ? await this.#llama.createGrammarForJsonSchema(options.jsonSchema as never)
          : undefined;
        const stop = (options.stop ?? []).filter((s) => s.length > 0);
        const inputBefore = sequence.tokenMeter.usedInputTokens;
        let completionTokens = 0;
        const meta = await session.promptWithMeta(normalizeMessageText(prompt), {
          maxTokens: options.maxTokens,
          temperature: options.temperature,
          ...(options.topP !== undefined && options.topP < 1 ? { topP: options.topP } : {}),
          ...(options.seed !== undefined ? { seed: options.seed } : {}),
          ...(grammar ? { grammar } : {}),
          ...(stop.length > 0 ? { customStopTriggers: stop } : {}),
          ...(options.repeatPenalty && options.repeatPenalty.penalty !== 1
            ? {
                repeatPenalty: { penalty: options.repeatPenalty.penalty, lastTokens: options.repeatPenalty.lastTokens },
              }
            : {}),
          onTextChunk: onDelta,
          onToken: (tokens) => {
            completionTokens += tokens.length;
          },
          signal,
        });
        return {
          type: "finish",
          finishReason: meta.stopReason === "maxTokens" ? "length" : "stop",
          usage: { promptTokens: sequence.tokenMeter.usedInputTokens - inputBefore, completionTokens },
          latencySeconds: (performance.now() - started) / 1000,
        };
      } finally {
        session.dispose({ disposeSequence: false });
        await sequence.clearHistory().then(
          () => this.#free.push(sequence),
          () => sequence.dispose(),
        );
      }
    } finally {
      release();
    }
  }

  async dispose(): Promise<void> {
    await this.#context.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
