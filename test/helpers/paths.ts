import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The project root. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** `../shared/data` next to the project (absent on a user's fresh clone: tests skip). */
export const SHARED_DATA = join(ROOT, "..", "shared", "data");
export const HAS_SHARED_DATA = existsSync(SHARED_DATA);
/** The base model installed by scripts/setup.sh. */
export const SMOLLM2_GGUF = join(
  process.env.WAYFARER_HOME || join(homedir(), ".cache", "wayfarer"),
  "models",
  "smollm2-135m-instruct-q4_1",
  "SmolLM2-135M-Instruct.Q4_1.gguf",
);
export const HAS_SMOLLM2 = existsSync(SMOLLM2_GGUF);
export const HAS_VENV = existsSync(join(ROOT, ".venv", "bin", "python"));
