import { existsSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../errors/config-error.ts";

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
      `model "${pathOrName}" is not in the model cache (${dir}); run \`bash scripts/setup.sh\` to install it, or give a path to a .gguf file`,
    );
  }
  return join(dir, files.sort()[0]!);
}
