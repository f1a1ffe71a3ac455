/**
 * all-MiniLM-L6-v2 through transformers.js (onnxruntime-node, fp32, CPU), offline from the model cache that
 * scripts/export_minilm_onnx.py fills: shared by the BERTScore token encoder (bertscore.ts) and the
 * sentence embedder (sentence-embedder.ts), so both load, pad and run the model the same way.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, join } from "node:path";
import { ConfigError } from "../../../errors/config-error.ts";

/** Default model cache folder: $WAYFARER_HOME/models/all-minilm-l6-v2 (WAYFARER_HOME default ~/.cache/wayfarer). */
export function defaultMiniLmDir(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.WAYFARER_HOME ?? join(homedir(), ".cache", "wayfarer");
  return join(home, "models", "all-minilm-l6-v2");
}

export type TjsTokenizer = Awaited<
  ReturnType<typeof import("@huggingface/transformers")["AutoTokenizer"]["from_pretrained"]>
>;
type TjsModel = Awaited<ReturnType<typeof import("@huggingface/transformers")["AutoModel"]["from_pretrained"]>>;
type TjsTensorClass = typeof import("@huggingface/transformers")["Tensor"];

/** The hidden states the ONNX export returns: [batch, seq, dim], row-major. */
export interface HiddenStates {
  data: Float32Array;
  batch: number;
  seq: number;
  dim: number;
}

/** A loaded MiniLM: its tokenizer, and a forward pass over already tokenized rows. */
export interface LoadedMiniLm {
  /** Folder name, e.g. `all-minilm-l6-v2`. */
  readonly name: string;
  readonly tokenizer: TjsTokenizer;
  /** Hidden states for token-id rows (padded with id 0 and attention mask 0 to the longest row). */
  forward(rows: readonly (readonly number[])[]): Promise<HiddenStates>;
  dispose(): Promise<void>;
}

/** Files a MiniLM folder must hold (what scripts/export_minilm_onnx.py writes). */
const MINILM_FILES = ["config.json", "tokenizer.json", "tokenizer_config.json", "onnx/model.onnx"] as const;

/**
 * Why `dir` cannot be loaded as a MiniLM (the first missing file and the setup step), or undefined when every
 * file is there. Cheap (file existence only): for validation before a run.
 */
export function miniLmProblem(dir: string): string | undefined {
  const missing = MINILM_FILES.find((f) => !existsSync(join(dir, f)));
  return missing === undefined
    ? undefined
    : `MiniLM encoder: ${join(dir, missing)} missing; run scripts/setup.sh (scripts/export_minilm_onnx.py)`;
}

/**
 * Loads the tokenizer and ONNX model from `dir` (default {@link defaultMiniLmDir}), offline only
 * (`env.allowRemoteModels = false`, a process-wide transformers.js setting).
 * @param threads onnxruntime intra-op threads (default 1).
 * @throws ConfigError naming the missing file and the setup step.
 */
export async function loadMiniLm(dir: string = defaultMiniLmDir(), threads = 1): Promise<LoadedMiniLm> {
  const problem = miniLmProblem(dir);
  if (problem) throw new ConfigError(problem);
  const tjs = await import("@huggingface/transformers");
  tjs.env.allowRemoteModels = false;
  tjs.env.allowLocalModels = true;
  tjs.env.localModelPath = `${dirname(dir)}/`;
  const name = basename(dir);
  const tokenizer = await tjs.AutoTokenizer.from_pretrained(name);
  const model: TjsModel = await tjs.AutoModel.from_pretrained(name, {
    dtype: "fp32",
    device: "cpu",
    session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
  });
  const Tensor: TjsTensorClass = tjs.Tensor;
  return {
    name,
    tokenizer,
    async forward(rows) {
      const width = Math.max(...rows.map((r) => r.length));
      const ids = new BigInt64Array(rows.length * width);
      const mask = new BigInt64Array(rows.length * width);
      rows.forEach((r, b) => {
        r.forEach((id, t) => {
          ids[b * width + t] = BigInt(id);
          mask[b * width + t] = 1n;
        });
      });
      const dims = [rows.length, width];
      const out = (await model({
        input_ids: new Tensor("int64", ids, dims),
        attention_mask: new Tensor("int64", mask, dims),
        token_type_ids: new Tensor("int64", new BigInt64Array(rows.length * width), dims),
      })) as Record<string, { dims: number[]; data: unknown }>;
      const h = out.last_hidden_state ?? Object.values(out)[0];
      if (!h) throw new Error("MiniLM encoder: the model returned no hidden states");
      const [batch, seq, dim] = h.dims as [number, number, number];
      return { data: h.data as Float32Array, batch, seq, dim };
    },
    async dispose() {
      await (model as unknown as { dispose(): Promise<unknown> }).dispose();
    },
  };
}
