import { existsSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../errors/config-error.ts";

/** A base model `scripts/setup.sh` installs into the model cache (`scripts/fetch_models.py` holds the sha256). */
export interface CachedBaseModel {
  /** What an experiment's `models.<id>.path` may say. */
  name: string;
  /** File under `<home>/models/<name>/`. */
  file: string;
  /** GGUF `general.architecture`. */
  architecture: "llama" | "gemma3";
  /** Instruction-tuned (chat) model, or a pretrained base that only learns the chat format in fine-tuning. */
  instructionTuned: boolean;
  /** End-of-turn token the trainer labels and llama.cpp stops on. */
  endOfTurn: string;
  /** Where the chat template comes from: the GGUF itself, or a file in trainer/chat_templates/. */
  chatTemplate: "gguf" | `trainer/chat_templates/${string}`;
}

/** The base models of this machine's setup, smallest first. */
export const CACHED_BASE_MODELS: readonly CachedBaseModel[] = [
  {
    name: "smollm2-135m-instruct-q4_1",
    file: "SmolLM2-135M-Instruct.Q4_1.gguf",
    architecture: "llama",
    instructionTuned: true,
    endOfTurn: "<|im_end|>",
    chatTemplate: "gguf",
  },
  {
    // google/gemma-3-270m (pretrained, not -it) as Q4_K_M; its GGUF has no tokenizer.chat_template
    name: "gemma-3-270m-q4_k_m",
    file: "gemma-3-270m-q4_k_m.gguf",
    architecture: "gemma3",
    instructionTuned: false,
    endOfTurn: "<end_of_turn>",
    chatTemplate: "trainer/chat_templates/gemma3.jinja",
  },
];

/** Wayfarer's cache folder: `$WAYFARER_HOME`, default `~/.cache/wayfarer`. */
export function wayfarerHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.WAYFARER_HOME || join(homedir(), ".cache", "wayfarer");
}

/**
 * Resolves a model setting to a GGUF file: an existing path is returned as is; a bare name is looked
 * up as `<home>/models/<name>/*.gguf` (what `scripts/setup.sh` installs). Throws ConfigError with the
 * fix when nothing is found.
 */
export function resolveGgufPath(pathOrName: string, env: NodeJS.ProcessEnv = process.env): string {
  if (pathOrName.includes("/") || pathOrName.endsWith(".gguf")) {
    if (!existsSync(pathOrName)) throw new ConfigError(`${pathOrName}: model file not found`);
    return pathOrName;
  }
  const dir = join(wayfarerHome(env), "models", pathOrName);
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".gguf")) : [];
  if (files.length === 0) {
    throw new ConfigError(
      `model "${pathOrName}" is not in the model cache (${dir}); setup installs ${CACHED_BASE_MODELS.map((m) => m.name).join(", ")}: run \`bash scripts/setup.sh\`, or give a path to a .gguf file`,
    );
  }
  return join(dir, files.sort()[0]!);
}
