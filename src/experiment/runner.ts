import { mkdir } from "node:fs/promises";
import type { LoadedExperiment } from "../config/load.ts";
import { ConfigError } from "../errors/config-error.ts";
import type { Retriever } from "../retrieval/index.ts";
import { Store } from "../store/store.ts";
import { experimentRetriever } from "./experiment-retriever.ts";
import { buildGraph, stageOfArtifact } from "./graph/build.ts";
import type { ArtifactGraph } from "./graph/graph.ts";
import { type ArtifactOutcome, type RunEvent, runGraph } from "./graph/run-graph.ts";
import { preflight } from "./preflight.ts";
import type { Progress } from "./progress.ts";
import { STAGE_IDS, type StageId } from "./stage.ts";

/** Options of {@link runExperiment}. */
export interface RunExperimentOptions {
  exp: LoadedExperiment;
  progress: Progress;
  /**
   * Run only these artifacts: ids (`adapter:sft`), kinds (`answers`), globs (`scores:*`) or stage
   * names of the older pipeline (`train`, `generate`, `evaluate`, `report`). What is not selected is
   * used as it is on disk. Default: everything, reusing what is unchanged.
   */
  only?: readonly string[];
  /** Rerun these artifacts (same patterns as `only`) and everything that reads them, changed or not. */
  from?: readonly string[];
  /** Rerun every selected artifact even when unchanged. */
  force?: boolean;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  onEvent?: (e: RunEvent) => void;
  /** Opens the experiment's retrieval index (for RAG variants); see `StageContext.retriever`. */
  retriever?: () => Promise<Retriever>;
}

/** Per stage of the older pipeline: what happened to its artifacts, how long they took. */
export interface StageOutcome {
  stage: string;
  /** ran when any of its artifacts ran; skipped when all were reused. */
  status: "ran" | "skipped";
  seconds: number;
  /** Counts of its artifacts: an artifact `kind:name`'s count `k` as `name.k`; the stage's own aggregate's as `k`. */
  counts: Record<string, number>;
  artifacts: ArtifactOutcome[];
}

/** Groups artifact outcomes by stage (in first-appearance order), leaving out unselected ones. */
export function groupByStage(graph: ArtifactGraph, outcomes: readonly ArtifactOutcome[]): StageOutcome[] {
  const out = new Map<string, StageOutcome>();
  for (const o of outcomes) {
    if (o.status === "not-selected") continue;
    const stage = stageOfArtifact(graph.byId.get(o.id)!);
    const g = out.get(stage) ?? { stage, status: "skipped", seconds: 0, counts: {}, artifacts: [] };
    g.artifacts.push(o);
    if (o.status === "ran") g.status = "ran";
    g.seconds += o.seconds;
    const prefix = o.id === stage ? "" : `${o.id.includes(":") ? o.id.slice(o.id.indexOf(":") + 1) : o.id}.`;
    for (const [k, v] of Object.entries(o.counts)) g.counts[`${prefix}${k}`] = v;
    out.set(stage, g);
  }
  return [...out.values()];
}

/**
 * Resolves `--only`/`--from` patterns against the experiment's graph before anything runs.
 * ConfigError `--only x: ...` naming the flag, what matched nothing, the artifacts and the stages.
 */
export function checkSelection(
  exp: LoadedExperiment,
  flags: { only?: readonly string[]; from?: readonly string[] },
): void {
  const graph = buildGraph(exp);
  for (const [flag, patterns] of [
    ["--only", flags.only],
    ["--from", flags.from],
  ] as const) {
    if (!patterns) continue;
    for (const p of patterns) {
      try {
        graph.select([p], stageOfArtifact);
      } catch {
        const stages = [...new Set(graph.order.map(stageOfArtifact))];
        throw new ConfigError(
          `${flag} ${patterns.join(",")}: "${p}" names no artifact, kind or stage of this experiment; artifacts: ${graph.order.map((a) => a.id).join(", ")}; stages: ${stages.join(", ")}`,
        );
      }
    }
  }
}

/**
 * Runs the experiment's artifact graph (src/experiment/graph/): unchanged artifacts are reused, the
 * rest run in topological order; a killed run resumes. Registered kinds (the report, recipes) join
 * the graph — import `src/report/artifact.ts` for the report. Every run and artifact outcome is
 * recorded in the workspace store. Returns the outcomes grouped by stage.
 */
export async function runExperiment(opts: RunExperimentOptions): Promise<StageOutcome[]> {
  const { exp } = opts;
  const graph = buildGraph(exp);
  const only = opts.only ? graph.select(opts.only, stageOfArtifact) : undefined;
  const force = opts.force ? "all" : opts.from ? graph.downstream(graph.select(opts.from, stageOfArtifact)) : undefined;
  // every input the selected artifacts read is checked (one problem a line, with its line in the file)
  // and the run folder claimed, before anything runs (preflight.ts)
  const stages = only
    ? STAGE_IDS.filter((st) => graph.order.some((a) => only.has(a.id) && stageOfArtifact(a) === st))
    : STAGE_IDS;
  await preflight(exp, stages as readonly StageId[], opts.env ?? process.env);
  await mkdir(exp.runDir, { recursive: true });
  using store = Store.open(exp.storePath);
  const env = opts.env ?? process.env;
  const defaultRetriever = experimentRetriever(exp, env);
  let outcomes: ArtifactOutcome[];
  try {
    outcomes = await runGraph({
      retriever: opts.retriever ?? defaultRetriever.open,
      exp,
      graph,
      store,
      progress: opts.progress,
      ...(only ? { only } : {}),
      ...(force ? { force } : {}),
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
    });
  } finally {
    await defaultRetriever.dispose();
  }
  return groupByStage(graph, outcomes);
}
