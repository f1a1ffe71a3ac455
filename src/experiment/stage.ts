import type { LoadedExperiment } from "../config/load.ts";
import type { LlamaRuntime } from "../models/llama-generator.ts";
import type { Retriever } from "../retrieval/index.ts";
import type { Store } from "../store/store.ts";
import type { Progress } from "./progress.ts";

export const STAGE_IDS = [
  "collect",
  "import",
  "corpus",
  "datasets",
  "train",
  "generate",
  "evaluate",
  "report",
] as const;
export type StageId = (typeof STAGE_IDS)[number];

/** What a stage gets when it runs. */
export interface StageContext {
  exp: LoadedExperiment;
  store: Store;
  progress: Progress;
  /** Output folder of a stage: `<runDir>/<stage>`. */
  dir(stage: StageId): string;
  /** The shared llama.cpp runtime, created on first use. */
  runtime(): Promise<LlamaRuntime>;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /**
   * The experiment's retrieval index, opened on first use; needed by variants with `retrieval` (RAG).
   * Undefined when no index is wired (such a variant fails with a ConfigError).
   */
  retriever?: () => Promise<Retriever>;
}

/** What a stage reports back; `outputs` (relative to its folder) are hashed for the stages after it. */
export interface StageResult {
  counts: Record<string, number>;
  outputs: string[];
  /** Lines for the report (warnings, skipped records, what actually ran). */
  notes?: string[];
}

/** One pipeline stage. `settings` is the slice of the experiment it depends on (hashed). */
export interface Stage {
  id: StageId;
  deps: readonly StageId[];
  /** Bump when the stage's code changes what it writes, so old outputs are not reused. */
  version: number;
  /** Run even when inputs and settings are unchanged (the report: ratings can arrive any time). */
  alwaysRun?: boolean;
  settings(exp: LoadedExperiment): unknown;
  run(ctx: StageContext): Promise<StageResult>;
}

/** `<stage>/manifest.json`: written last, so its presence means the stage finished. */
export interface StageManifest {
  stage: StageId;
  inputHash: string;
  outputHash: string;
  counts: Record<string, number>;
  outputs: string[];
  notes: string[];
  startedAt: string;
  durationSeconds: number;
}
