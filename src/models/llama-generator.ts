import { availableParallelism } from "node:os";
import { basename } from "node:path";
import {
  type ChatHistoryItem,
  getLlama,
  type Llama,
  LlamaChatSession,
  type LlamaContext,
  type LlamaModel,
} from "node-llama-cpp";
import { WayfarerError } from "../errors/wayfarer-error.ts";
import { normalizeMessageText, servingChatWrapper, toChatHistory } from "./chat-template.ts";
import type { GenerateOptions, GenerateResult, GeneratorV1 } from "./generator.ts";

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
      context = await model.createContext({
        contextSize: options.contextSize ?? 2048,
        threads: options.threads ?? defaultLlamaThreads(),
        ...(options.adapterPath
          ? { lora: { adapters: [{ filePath: options.adapterPath, scale: options.adapterScale ?? 1 }] } }
          : {}),
      });
    } catch (cause) {
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
 * A GGUF model (+ LoRA) behind `GeneratorV1`. Formats chats with the trainer's template (`servingChatWrapper`).
 * Calls are serialized (one sequence); log-probabilities are not supported (reported in warnings).
 */
export class LlamaGenerator implements GeneratorV1 {
  readonly specificationVersion = "v1" as const;
  readonly provider = "llama";
  readonly modelId: string;
  readonly #llama: Llama;
  readonly #model: LlamaModel;
  readonly #context: LlamaContext;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(llama: Llama, model: LlamaModel, context: LlamaContext, options: LlamaGeneratorOptions) {
    this.#llama = llama;
    this.#model = model;
    this.#context = context;
    this.modelId = basename(options.modelPath) + (options.adapterPath ? `+lora:${basename(options.adapterPath)}` : "");
  }

  /** The loaded model (tokenizer access for metrics such as perplexity). */
  get model(): LlamaModel {
    return this.#model;
  }

  doGenerate(options: GenerateOptions): Promise<GenerateResult> {
    const run = this.#queue.then(() => this.#generate(options));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #generate(options: GenerateOptions): Promise<GenerateResult> {
    const last = options.messages.at(-1);
    if (last?.role !== "user") throw new WayfarerError("generate: the last message must be from the user");
    const warnings: string[] = [];
    if (options.topLogprobs) warnings.push("topLogprobs is not supported by the llama provider; no log-probabilities");
    const history: ChatHistoryItem[] = toChatHistory(options.messages.slice(0, -1));
    const sequence = this.#context.getSequence();
    // the trainer's chat template, byte for byte (src/models/chat-template.ts)
    const chatWrapper = servingChatWrapper(this.#model).wrapper;
    const session = new LlamaChatSession({ contextSequence: sequence, autoDisposeSequence: false, chatWrapper });
    try {
      session.setChatHistory(history);
      const grammar = options.jsonSchema
        ? await this.#llama.createGrammarForJsonSchema(options.jsonSchema as never)
        : undefined;
      const inputBefore = sequence.tokenMeter.usedInputTokens;
      const started = performance.now();
      const meta = await session.promptWithMeta(normalizeMessageText(last.content), {
        maxTokens: options.maxTokens,
        temperature: options.temperature,
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
        ...(grammar ? { grammar } : {}),
        ...(options.repeatPenalty && options.repeatPenalty.penalty !== 1
          ? { repeatPenalty: { penalty: options.repeatPenalty.penalty, lastTokens: options.repeatPenalty.lastTokens } }
          : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const latencySeconds = (performance.now() - started) / 1000;
      const text = meta.responseText;
      return {
        text,
        promptTokens: sequence.tokenMeter.usedInputTokens - inputBefore,
        completionTokens: this.#model.tokenize(text).length,
        latencySeconds,
        finishReason: meta.stopReason === "maxTokens" ? "length" : "stop",
        warnings,
      };
    } finally {
      session.dispose({ disposeSequence: false });
      sequence.dispose();
    }
  }

  async dispose(): Promise<void> {
    await this.#context.dispose();
  }
}
