import type { ModelConfig } from "../config/experiment.ts";
import { ConfigError } from "../errors/config-error.ts";
import { LlamaTextEmbedder, type TextEmbedder } from "../evaluation/metrics/embedding.ts";
import { MiniLmSentenceEmbedder } from "../evaluation/metrics/sentence-embedder.ts";
import { defaultMiniLmDir } from "../evaluation/metrics/support/minilm.ts";
import type { GeneratorV1 } from "./generator.ts";
import type { LlamaRuntime } from "./llama-generator.ts";
import { resolveGgufPath } from "./model-cache.ts";
import { OpenAICompatibleEmbedder } from "./openai-embedder.ts";
import { OpenAICompatibleGenerator } from "./openai-generator.ts";

/** Options of {@link createGenerator}. */
export interface CreateGeneratorOptions {
  /** The shared llama runtime (created lazily by the caller). */
  runtime: () => Promise<LlamaRuntime>;
  env: NodeJS.ProcessEnv;
  /** GGUF LoRA adapter for local models. */
  adapterPath?: string;
  /** Parallel sequences of a local model's context (calls decoded in one batch). Default 1. */
  sequences?: number;
}

/**
 * Builds the generator of a configured model. API keys are read from the environment variable the
 * config names (never from the file). Throws ConfigError when a key is missing or a file is absent.
 */
export async function createGenerator(
  name: string,
  model: ModelConfig,
  o: CreateGeneratorOptions,
): Promise<GeneratorV1> {
  switch (model.provider) {
    case "llama": {
      const runtime = await o.runtime();
      return runtime.createGenerator({
        modelPath: resolveGgufPath(model.path, o.env),
        contextSize: model.contextSize,
        ...(model.threads ? { threads: model.threads } : {}),
        ...(o.adapterPath ? { adapterPath: o.adapterPath } : {}),
        ...(o.sequences ? { sequences: o.sequences } : {}),
      });
    }
    case "openai-compatible": {
      if (o.adapterPath) throw new ConfigError(`model "${name}": adapters can only be applied to local llama models`);
      const apiKey = apiKeyOf(name, model, o.env);
      return new OpenAICompatibleGenerator({
        baseURL: model.baseURL,
        model: model.model,
        structuredOutputs: model.structuredOutputs,
        ...(apiKey ? { apiKey } : {}),
      });
    }
    default:
      return model satisfies never;
  }
}

/** The API key from the variable the config names; a loopback endpoint may go without one. @throws ConfigError */
export function apiKeyOf(
  name: string,
  model: Extract<ModelConfig, { provider: "openai-compatible" }>,
  env: NodeJS.ProcessEnv,
): string | undefined {
  const apiKey = env[model.apiKeyEnv];
  const local = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(model.baseURL);
  if (!apiKey && !local)
    throw new ConfigError(
      `model "${name}": environment variable ${model.apiKeyEnv} is not set (the API key is read from it)`,
    );
  return apiKey;
}

/**
 * Builds the sentence encoder of `evaluate.embedder`: an openai-compatible model is called at `/embeddings`
 * (its `model` is the embedding model id), a llama model embeds locally with node-llama-cpp. Without a model,
 * all-MiniLM-L6-v2 from the model cache (mean pooling, 256 tokens; see sentence-embedder.ts).
 * @throws ConfigError when a key or a model file is missing.
 */
export async function createEmbedder(
  name: string | undefined,
  model: ModelConfig | undefined,
  o: CreateGeneratorOptions,
): Promise<TextEmbedder> {
  if (name === undefined || model === undefined)
    return MiniLmSentenceEmbedder.create({ modelDir: defaultMiniLmDir(o.env) });
  switch (model.provider) {
    case "llama":
      return LlamaTextEmbedder.create({
        runtime: await o.runtime(),
        modelPath: resolveGgufPath(model.path, o.env),
        contextSize: model.contextSize,
        ...(model.threads ? { threads: model.threads } : {}),
      });
    case "openai-compatible": {
      const apiKey = apiKeyOf(name, model, o.env);
      return new OpenAICompatibleEmbedder({
        baseURL: model.baseURL,
        model: model.model,
        ...(apiKey ? { apiKey } : {}),
      });
    }
    default:
      return model satisfies never;
  }
}
