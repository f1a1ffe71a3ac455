/**
 * Artifacts: the nodes of an experiment's graph. An artifact is one named output (a dataset, an
 * adapter, one variant's answers, one variant's scores, a selection, a meta-evaluation, the report)
 * with declared inputs (other artifacts' ids) and settings. Its key is a hash of its kind, version,
 * settings and the output hashes of its inputs; an artifact whose key matches its manifest is reused.
 *
 * Kinds are registered by name (see {@link registerArtifactKind}) so that dataset recipes, training
 * methods and evaluators added later plug new nodes into the graph without touching the runner.
 * This contract lives in the foundation layer so that the experiment runner (which runs artifacts)
 * and the report (which is one) need not import each other.
 */
import type { LoadedExperiment } from "../config/load.ts";
import type { LlamaRuntime } from "../models/llama-generator.ts";
import type { Store } from "./store.ts";

/** Progress reporting as artifacts see it (src/experiment/progress.ts implements it). */
export interface Progress {
  /** A bar for one long step: `update` with the count done so far, `stop` when finished. */
  bar(label: string, total: number): { update(done: number, status?: string): void; stop(): void };
  /** A one-line message. */
  log(message: string): void;
}

/** What an artifact's `run` gets. */
export interface ArtifactContext {
  exp: LoadedExperiment;
  store: Store;
  progress: Progress;
  /** This artifact's output folder (absolute; exists when `run` starts). */
  dir: string;
  /** The output folder of an input artifact (absolute). Throws for an id that is not an input. */
  inputDir(id: string): string;
  /** The shared llama.cpp runtime, created on first use. */
  runtime(): Promise<LlamaRuntime>;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /**
   * Opens the experiment's retrieval index (src/retrieval's Retriever) for RAG variants; typed
   * loosely here so the foundation layer does not import a stage. Undefined when none is wired.
   */
  retriever?: () => Promise<unknown>;
}

/** What `run` reports back. `outputs` are paths relative to the artifact's folder; they are hashed. */
export interface ArtifactResult {
  counts: Record<string, number>;
  outputs: string[];
  /** Lines for the report (warnings, skipped records, what actually ran). */
  notes?: string[];
  /** Tokens and dollars spent by model calls of this artifact, when known (for time-and-cost tables). */
  cost?: { promptTokens?: number; completionTokens?: number; usd?: number | null };
}

/** One node of the graph. */
export interface Artifact {
  /** Unique in the graph: `<kind-prefix>:<name>` (`dataset:raft`) or a bare name (`datasets`, `report`). */
  id: string;
  /** A registered kind (`adapter`, `answers`, `scores`, ...): what it is, for status and the report. */
  kind: string;
  /** Ids of the artifacts it reads; the graph is ordered from these. */
  inputs: readonly string[];
  /**
   * Which outputs of an input it actually reads, as path prefixes relative to that input's folder
   * (`{"dataset:golden": ["golden.jsonl"]}`). Its key then depends on those files only, so a change to
   * another part of the input (the golden card's wording, for the answers) does not rerun it.
   * Inputs not listed count whole.
   */
  reads?: Record<string, readonly string[]>;
  /** The settings it depends on (JSON-serialisable; hashed). */
  settings: unknown;
  /** Bump when the code changes what it writes, so old outputs are not reused. */
  version: number;
  /** Output folder relative to the experiment's run folder (`train/sft`, `generate/variants/base`). */
  dir: string;
  /**
   * State outside the files that the artifact depends on (human ratings in the store), read at plan
   * time and hashed with the settings. Keep it cheap: it runs on every `run` and `status`.
   */
  observe?(store: Store): unknown;
  run(ctx: ArtifactContext): Promise<ArtifactResult>;
}

/** `<dir>/manifest.json`: written last (atomically), so its presence means the artifact finished. */
export interface ArtifactManifest {
  /** The artifact id (named `stage` for the report's older reader). */
  stage: string;
  kind: string;
  /** The key: hash of kind, version, settings, observed state and input output-hashes. */
  inputHash: string;
  /** Hash of the listed output files' bytes. */
  outputHash: string;
  /** sha256 of each listed output file (relative path -> hex; "missing" when absent). */
  outputHashes?: Record<string, string>;
  /** Output hash of each input when this ran. */
  inputs: Record<string, string>;
  settings: unknown;
  counts: Record<string, number>;
  outputs: string[];
  notes: string[];
  cost: ArtifactResult["cost"] | null;
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
}

/** Builds the artifacts of one kind from an experiment (a recipe registers one). */
export type ArtifactFactory = (exp: LoadedExperiment) => Artifact[];

const FACTORIES = new Map<string, ArtifactFactory>();

/**
 * Registers a factory that adds artifacts to every experiment's graph (e.g. a dataset recipe adds
 * `dataset:raft` when the experiment has a `datasets.raft` section). Registering the same name
 * twice replaces the factory. Factories run after the built-in ones, in registration order.
 */
export function registerArtifactKind(name: string, factory: ArtifactFactory): void {
  FACTORIES.set(name, factory);
}

/** The registered factories, in registration order. */
export function registeredFactories(): [string, ArtifactFactory][] {
  return [...FACTORIES.entries()];
}
