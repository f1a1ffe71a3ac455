import type { ModelConfig } from "../config/experiment.ts";
import { ConfigError } from "../errors/config-error.ts";
import type { GeneratorV1 } from "./generator.ts";
import type { LlamaRuntime } from "./llama-generator.ts";
import { resolveGgufPath } from "./model-cache.ts";
import { OpenAICompatibleGenerator } from "./openai-generator.ts";

/** Options of {@link createGenerator}. */
export interface CreateGeneratorOptions {
  /** The shared llama runtime (created lazily by the caller). */
  runtime: () => Promise<LlamaRuntime>;
  env: NodeJS.ProcessEnv;
  /** GGUF LoRA adapter for local models. */
  adapterPath?: string;
}

/**
 * Builds the generator of a configured model. API keys are read from the environment variable the
 * config names (never from the file). Throws ConfigError when a key is missing or a file is absent.
 */
export async function createGenerator(name: string, model: ModelConfig, o: CreateGeneratorOptions): Promise<GeneratorV1> {
  switch (model.provider) {
    case "llama": {
      const runtime = await o.runtime();
      return runtime.createGenerator({
        modelPath: resolveGgufPath(model.path, o.env),
        contextSize: model.contextSize,
        ...(model.threads ? { threads: model.threads } : {}),
        ...(o.adapterPath ? { adapterPath: o.adapterPath } : {}),
      });
    }
    case "openai-compatible": {
      if (o.adapterPath) throw new ConfigError(`model "${name}": adapters can only be applied to local llama models`);
      const apiKey = o.env[model.apiKeyEnv];
      const local = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(model.baseURL);
      if (!apiKey && !local) {
        throw new ConfigError(`model "${name}": environment variable ${model.apiKeyEnv} is not set (the API key is read from it)`);
      }
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
