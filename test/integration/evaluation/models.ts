import { homedir } from "node:os";
import { join } from "node:path";

/** SmolLM2-135M-Instruct Q4_1, fetched by `npm run setup`. */
export const SMOLLM = join(
  homedir(),
  ".cache/wayfarer/models/smollm2-135m-instruct-q4_1/SmolLM2-135M-Instruct.Q4_1.gguf",
);
