/**
 * The chat side of `wayfarer serve <experiment>`: the experiment's variants as chat models, each with a lazily
 * created generator (one llama.cpp context per (base, adapter) with N parallel sequences, so requests to different
 * variants run on their own contexts and requests to one variant share a batch), optional retrieval (RAG), and one
 * bound on the requests in the server (running + waiting) instead of unbounded memory.
 */
import { join } from "node:path";
import type { LoadedExperiment } from "../config/load.ts";
import { documentFormatOf } from "../config/rag.ts";
import { ConfigError } from "../errors/config-error.ts";
import { WayfarerError } from "../errors/wayfarer-error.ts";
import type { ChatMessage, GenerateOptions, GeneratorV1 } from "../models/generator.ts";
import type { LlamaRuntime } from "../models/llama-generator.ts";
import { type DocumentFormat, promptWithDocuments } from "../models/rag-prompt.ts";
import { createGenerator } from "../models/registry.ts";
import type { RetrievalMode, RetrievedDocument, Retriever } from "../retrieval/index.ts";

/** One chat model of the server (an experiment variant). */
export interface ChatVariant {
  /** The model id clients send (the variant name). */
  name: string;
  /** The base model: the experiment's model key and what it points to (GGUF path or endpoint model id). */
  base: string;
  /** The adapter name, when the variant applies one. */
  adapter?: string;
  /** Retrieval before answering (RAG), with the document format the model was trained on. */
  retrieval?: { k: number; mode: RetrievalMode; format: DocumentFormat };
  /** Builds the generator; called on first use. A failure is reported to that request and retried on the next. */
  createGenerator(): Promise<GeneratorV1>;
}

/** Options of {@link ChatService}. */
export interface ChatServiceOptions {
  variants: ChatVariant[];
  /** System message put first when a request has none (the one the models were trained with). */
  systemPrompt?: string;
  /** Opens the retrieval index (needed by variants with `retrieval`). */
  retriever?: () => Promise<Retriever>;
  /** Requests in the server at once, running or waiting for a sequence; one more gets QueueFullError. Default 64. */
  maxPending?: number;
  /** Defaults of a request that does not set them. */
  defaults?: Partial<Pick<GenerateOptions, "maxTokens" | "temperature" | "repeatPenalty">>;
}

/** No variant of that name. */
export class ModelNotFoundError extends WayfarerError {
  override name = "ModelNotFoundError";
  readonly model: string;
  constructor(model: string, known: readonly string[]) {
    super(`The model '${model}' does not exist (this server has: ${known.join(", ") || "none"})`);
    this.model = model;
  }
}

/** The bound on pending requests is reached (HTTP 429). */
export class QueueFullError extends WayfarerError {
  override name = "QueueFullError";
  constructor(limit: number) {
    super(`the server is busy: ${limit} requests are already running or waiting; retry later`);
  }
}

/** A variant's generator could not be created (missing model file, bad adapter, missing key). */
export class ModelUnavailableError extends WayfarerError {
  override name = "ModelUnavailableError";
}

/** What a request needs to run, from {@link ChatService.prepare}. Call `release()` once it is over. */
export interface PreparedChat {
  variant: ChatVariant;
  generator: GeneratorV1;
  /** The messages as sent to the model (system prompt and retrieved documents added). */
  messages: ChatMessage[];
  /** The retrieved documents (RAG variants), best first. */
  sources: RetrievedDocument[];
  options: Omit<GenerateOptions, "messages">;
  release(): void;
}

/** The request settings {@link ChatService.prepare} reads (OpenAI names, already validated). */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  seed?: number;
}

export class ChatService {
  readonly #variants: Map<string, ChatVariant>;
  readonly #generators = new Map<string, Promise<GeneratorV1>>();
  readonly #options: ChatServiceOptions;
  readonly #maxPending: number;
  #pending = 0;
  #retriever: Promise<Retriever> | undefined;

  constructor(options: ChatServiceOptions) {
    this.#options = options;
    this.#variants = new Map(options.variants.map((v) => [v.name, v]));
    this.#maxPending = options.maxPending ?? 64;
  }

  /** The chat models, in experiment order. */
  get variants(): ChatVariant[] {
    return [...this.#variants.values()];
  }

  /** Requests running or waiting now. */
  get pending(): number {
    return this.#pending;
  }

  /**
   * Admits a request (or throws QueueFullError), finds its variant (ModelNotFoundError), builds its generator
   * (ModelUnavailableError) and retrieves its documents; the slot is freed by `release()` or on any throw.
   */
  async prepare(request: ChatRequest, signal?: AbortSignal): Promise<PreparedChat> {
    const variant = this.#variants.get(request.model);
    if (!variant) throw new ModelNotFoundError(request.model, [...this.#variants.keys()]);
    if (this.#pending >= this.#maxPending) throw new QueueFullError(this.#maxPending);
    this.#pending++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.#pending--;
    };
    try {
      const generator = await this.#generator(variant);
      let messages = request.messages;
      if (this.#options.systemPrompt && !messages.some((m) => m.role === "system"))
        messages = [{ role: "system", content: this.#options.systemPrompt }, ...messages];
      let sources: RetrievedDocument[] = [];
      const last = messages.at(-1)!;
      if (variant.retrieval) {
        if (!this.#options.retriever)
          throw new ModelUnavailableError(`variant "${variant.name}" uses retrieval but the server has no index`);
        this.#retriever ??= this.#options.retriever().catch((e: unknown) => {
          this.#retriever = undefined;
          throw e;
        });
        signal?.throwIfAborted();
        sources = await (await this.#retriever).search(last.content, {
          k: variant.retrieval.k,
          mode: variant.retrieval.mode,
        });
        messages = [
          ...messages.slice(0, -1),
          { role: "user", content: promptWithDocuments(last.content, sources, variant.retrieval.format) },
        ];
      }
      const d = this.#options.defaults ?? {};
      return {
        variant,
        generator,
        messages,
        sources,
        options: {
          maxTokens: request.maxTokens ?? d.maxTokens ?? 256,
          temperature: request.temperature ?? d.temperature ?? 0,
          ...(request.topP !== undefined ? { topP: request.topP } : {}),
          ...(request.stop ? { stop: request.stop } : {}),
          ...(request.seed !== undefined ? { seed: request.seed } : {}),
          ...(d.repeatPenalty ? { repeatPenalty: d.repeatPenalty } : {}),
        },
        release,
      };
    } catch (error) {
      release();
      throw error;
    }
  }

  #generator(variant: ChatVariant): Promise<GeneratorV1> {
    let g = this.#generators.get(variant.name);
    if (!g) {
      g = variant.createGenerator().catch((cause: unknown) => {
        this.#generators.delete(variant.name);
        throw new ModelUnavailableError(
          `model '${variant.name}' is unavailable: ${WayfarerError.isInstance(cause) ? cause.message : String(cause)}`,
          { cause },
        );
      });
      this.#generators.set(variant.name, g);
    }
    return g;
  }

  /** Disposes every generator created so far. */
  async dispose(): Promise<void> {
    const all = [...this.#generators.values()];
    this.#generators.clear();
    for (const g of all) await (await g.catch(() => undefined))?.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  /**
   * The chat models of an experiment: every `generate.variants` entry, its adapter read from
   * `<runDir>/train/<adapter>/adapter.gguf`. Variants with the same (model, adapter) share one generator.
   * @throws ConfigError when `only` names no variant of the experiment.
   */
  static fromExperiment(
    exp: LoadedExperiment,
    o: {
      runtime: () => Promise<LlamaRuntime>;
      env: NodeJS.ProcessEnv;
      retriever?: () => Promise<Retriever>;
      /** Parallel sequences per local (base, adapter) context. Default 4. */
      sequences?: number;
      maxPending?: number;
      /** Serve only these variants. */
      only?: readonly string[];
    },
  ): ChatService {
    const { config } = exp;
    const shared = new Map<string, Promise<GeneratorV1>>();
    let variants = config.generate.variants;
    if (o.only) {
      const unknown = o.only.filter((n) => !variants.some((v) => v.name === n));
      if (unknown.length > 0)
        throw new ConfigError(
          `${exp.file}: no variant ${unknown.map((n) => `"${n}"`).join(", ")} (have: ${variants.map((v) => v.name).join(", ")})`,
        );
      variants = variants.filter((v) => o.only!.includes(v.name));
    }
    const chatVariants = variants.map((v): ChatVariant => {
      const model = config.models[v.model]!;
      const adapterPath = v.adapter ? join(exp.runDir, "train", v.adapter, "adapter.gguf") : undefined;
      const method = config.train.adapters.find((a) => a.name === v.adapter)?.method as string | undefined;
      const key = `${v.model}\0${v.adapter ?? ""}`;
      return {
        name: v.name,
        base: `${v.model} (${model.provider === "llama" ? model.path : model.model})`,
        ...(v.adapter ? { adapter: v.adapter } : {}),
        ...(v.retrieval
          ? {
              retrieval: {
                k: v.retrieval.k,
                mode: v.retrieval.mode,
                format: documentFormatOf(v.retrieval, method),
              },
            }
          : {}),
        createGenerator: () => {
          let g = shared.get(key);
          if (!g) {
            const sequences = o.sequences ?? 4;
            g = createGenerator(v.model, model, {
              runtime: o.runtime,
              env: o.env,
              sequences,
              ...(adapterPath ? { adapterPath } : {}),
            }).catch((e: unknown) => {
              shared.delete(key);
              throw e;
            });
            shared.set(key, g);
          }
          return g;
        },
      };
    });
    return new ChatService({
      variants: chatVariants,
      systemPrompt: config.systemPrompt,
      ...(o.retriever ? { retriever: o.retriever } : {}),
      ...(o.maxPending !== undefined ? { maxPending: o.maxPending } : {}),
      defaults: {
        maxTokens: config.generate.maxTokens,
        temperature: config.generate.temperature,
        repeatPenalty: config.generate.repeatPenalty,
      },
    });
  }
}
