/**
 * Runs an experiment's artifact graph: in topological order, each artifact whose key (settings +
 * inputs' output hashes) matches its manifest is reused; the others run. Crash safety: before an
 * artifact runs its manifest is removed and a `running` marker written; outputs are written to
 * `.partial` files and renamed; the manifest is written last (also renamed). A killed run therefore
 * leaves every artifact either finished (manifest) or to be rerun, and `run` resumes from there.
 */
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { type LoadedExperiment, stableHash } from "../../config/load.ts";
import { writeJson } from "../../datasets/jsonl.ts";
import { ConfigError } from "../../errors/config-error.ts";
import { WayfarerError } from "../../errors/wayfarer-error.ts";
import { LlamaRuntime } from "../../models/llama-generator.ts";
import { addSpend, meterSpend, NO_SPEND, type Spend, spentAnything } from "../../models/spend.ts";
import { finishRun, finishStageRun, startRun, startStageRun } from "../../store/runs.ts";
import type { Store } from "../../store/store.ts";
import { formatCount, formatSpend, formatUsd, type Progress } from "../progress.ts";
import type { Artifact, ArtifactContext, ArtifactManifest } from "./artifact.ts";
import {
  type ArtifactGraph,
  type AttemptMarker,
  artifactKey,
  hashOutputs,
  inputHashFor,
  processAlive,
  readManifest,
  safeId,
  stateDir,
} from "./graph.ts";

/** An event of the run, for `--events` (one JSON object a line) and tests. */
export type RunEvent =
  | { type: "run-start"; experiment: string; artifacts: number; at: string }
  | { type: "artifact-reused"; id: string; kind: string }
  | { type: "artifact-start"; id: string; kind: string; reason: string; at: string }
  | {
      type: "artifact-done";
      id: string;
      kind: string;
      seconds: number;
      counts: Record<string, number>;
      cost: ArtifactManifest["cost"];
    }
  | { type: "artifact-failed"; id: string; kind: string; seconds: number; message: string }
  | {
      type: "progress";
      id: string;
      label: string;
      done: number;
      total: number;
      /** Items per second since the bar started. */
      rate: number | null;
      etaSeconds: number | null;
    }
  | { type: "run-done"; seconds: number; ran: number; reused: number; spent: Spent };

/**
 * Tokens and dollars spent by the artifacts that ran in this run (dollars only where priced): per artifact,
 * its model calls as metered while it ran (src/models/spend.ts: generation, judging, pairwise, teacher), or,
 * when nothing was metered, the cost it reports itself.
 */
export type Spent = Spend;

/**
 * Progress for one artifact: bars are labelled with the artifact's position (`[3/12] answers:base`),
 * and every bar update also becomes a `progress` event (at most one a second per bar, plus the last).
 */
function artifactProgress(base: Progress, id: string, position: string, emit: (e: RunEvent) => void): Progress {
  return {
    log: base.log,
    bar(label, total) {
      // a live view shows the position itself
      const inner = base.bar(base.artifact ? label : `${position} ${label}`, total);
      const started = performance.now();
      // the first update always emits (performance.now() can be under a second in a young process)
      let last = Number.NEGATIVE_INFINITY;
      return {
        update(done, status) {
          inner.update(done, status);
          const now = performance.now();
          if (now - last < 1000 && done < total) return;
          last = now;
          const seconds = (now - started) / 1000;
          const rate = seconds > 0 ? done / seconds : null;
          emit({
            type: "progress",
            id,
            label,
            done,
            total,
            rate,
            etaSeconds: rate && total > done ? (total - done) / rate : total > 0 && done >= total ? 0 : null,
          });
        },
        stop: () => inner.stop(),
      };
    },
  };
}

/** Options of {@link runGraph}. */
export interface RunGraphOptions {
  exp: LoadedExperiment;
  graph: ArtifactGraph;
  store: Store;
  progress: Progress;
  /** Run only these artifacts (ids); their inputs must be done. Default: all. */
  only?: ReadonlySet<string>;
  /** Rerun these artifacts even when unchanged (`--from` passes an artifact and all it feeds; `--force` all). */
  force?: ReadonlySet<string> | "all";
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  onEvent?: (e: RunEvent) => void;
  /** Opens the experiment's retrieval index for RAG variants (passed to the artifacts). */
  retriever?: () => Promise<unknown>;
}

/** What happened to one artifact. */
export interface ArtifactOutcome {
  id: string;
  kind: string;
  status: "ran" | "reused" | "not-selected";
  seconds: number;
  counts: Record<string, number>;
  notes: string[];
}

/** Holds `<runDir>/.state/run.lock` for the duration of a run; ConfigError when a live process holds it. */
function takeLock(runDir: string): () => void {
  const dir = stateDir(runDir);
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, "run.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lock, String(process.pid), { flag: "wx" });
      return () => {
        try {
          unlinkSync(lock);
        } catch {}
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const pid = Number(readFileSync(lock, "utf8"));
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid))
        throw new ConfigError(`another wayfarer process (pid ${pid}) is running this experiment (${lock})`);
      unlinkSync(lock); // left by a killed run
    }
  }
  throw new ConfigError(`cannot take the run lock ${lock}`);
}

function writeMarker(runDir: string, m: AttemptMarker): void {
  const f = join(stateDir(runDir), `${safeId(m.id)}.json`);
  writeFileSync(`${f}.partial`, JSON.stringify(m));
  renameSync(`${f}.partial`, f);
}

/**
 * Runs the graph and returns one outcome per artifact (in order). Throws the first artifact
 * failure (after marking it failed); ConfigError when a selected artifact's input is not done.
 */
export async function runGraph(opts: RunGraphOptions): Promise<ArtifactOutcome[]> {
  const { exp, graph, store, progress } = opts;
  const env = opts.env ?? process.env;
  const emit = opts.onEvent ?? (() => {});
  const runDir = exp.runDir;
  await mkdir(runDir, { recursive: true });
  const release = takeLock(runDir);
  const runId = startRun(store, exp.config.name, stableHash(exp.config));
  let runtime: Promise<LlamaRuntime> | undefined;
  const started = Date.now();
  emit({ type: "run-start", experiment: exp.config.name, artifacts: graph.order.length, at: new Date().toISOString() });
  const current = new Map<string, ArtifactManifest>();
  const outcomes: ArtifactOutcome[] = [];
  let spent: Spent = { ...NO_SPEND };
  let failed = true;
  try {
    for (const a of graph.order) {
      const selected = !opts.only || opts.only.has(a.id);
      const forced = opts.force === "all" ? selected : (opts.force?.has(a.id) ?? false);
      const inputHashes: Record<string, string> = {};
      const missing = a.inputs.filter((i) => !current.has(i));
      for (const i of a.inputs) if (current.has(i)) inputHashes[i] = inputHashFor(a, i, current.get(i)!);
      const manifest = readManifest(runDir, a);
      if (missing.length) {
        if (!selected) {
          if (manifest) current.set(a.id, manifest); // --only: taken as it is on disk
          outcomes.push({ id: a.id, kind: a.kind, status: "not-selected", seconds: 0, counts: {}, notes: [] });
          continue;
        }
        throw new ConfigError(
          `"${a.id}" needs ${missing.map((m) => `"${m}"`).join(", ")}, which ${missing.length > 1 ? "are" : "is"} not done; run without --only, or add ${missing.length > 1 ? "them" : "it"}`,
        );
      }
      const key = artifactKey(a, inputHashes, a.observe?.(store));
      if (!forced && manifest?.inputHash === key) {
        current.set(a.id, manifest);
        outcomes.push({ id: a.id, kind: a.kind, status: "reused", seconds: 0, counts: manifest.counts, notes: [] });
        emit({ type: "artifact-reused", id: a.id, kind: a.kind });
        continue;
      }
      if (!selected) {
        // --only: what is not selected is taken as it is on disk, even when stale (the user knows better)
        if (manifest) {
          current.set(a.id, manifest);
          progress.log(`[${a.id}] not selected: using its outputs as they are (stale: settings or inputs changed)`);
        }
        outcomes.push({ id: a.id, kind: a.kind, status: "not-selected", seconds: 0, counts: {}, notes: [] });
        continue;
      }
      const reason = forced ? "forced" : manifest ? "changed" : "new";
      const position = `[${graph.order.indexOf(a) + 1}/${graph.order.length}]`;
      progress.artifact?.(position, a.id);
      const { manifest: m, metered } = await runOne(
        a,
        { ...opts, env, progress: artifactProgress(progress, a.id, position, emit) },
        key,
        inputHashes,
        runId,
        () => {
          runtime ??= LlamaRuntime.create({ gpu: env.WAYFARER_GPU === "auto" });
          return runtime;
        },
        `${reason}, ${position}`,
        emit,
        (live) => progress.spent?.(addSpend(spent, live)),
      );
      current.set(a.id, m);
      const cost = spentAnything(metered) ? metered : m.cost;
      if (spentAnything(cost)) {
        spent = addSpend(spent, cost!);
        progress.log(`  so far: ${formatSpend(spent)}`);
      }
      progress.spent?.(spent);
      outcomes.push({
        id: a.id,
        kind: a.kind,
        status: "ran",
        seconds: m.durationSeconds,
        counts: m.counts,
        notes: m.notes,
      });
    }
    failed = false;
    const seconds = (Date.now() - started) / 1000;
    const ran = outcomes.filter((o) => o.status === "ran").length;
    const reused = outcomes.filter((o) => o.status === "reused").length;
    progress.log(
      `run done in ${seconds.toFixed(1)}s: ${ran} ran, ${reused} reused; ${formatCount(spent.promptTokens + spent.completionTokens)} tokens (${formatCount(spent.promptTokens)} prompt + ${formatCount(spent.completionTokens)} completion)${spent.usd !== null ? `, ${formatUsd(spent.usd)}` : ", no priced calls"}`,
    );
    emit({ type: "run-done", seconds, ran, reused, spent });
    return outcomes;
  } finally {
    finishRun(store, runId, failed ? "failed" : "succeeded");
    if (runtime) await (await runtime.catch(() => undefined))?.dispose();
    release();
  }
}

async function runOne(
  a: Artifact,
  opts: RunGraphOptions & { env: NodeJS.ProcessEnv },
  key: string,
  inputHashes: Record<string, string>,
  runId: number,
  runtime: () => Promise<LlamaRuntime>,
  reason: string,
  emit: (e: RunEvent) => void,
  onSpend: (live: Spend) => void,
): Promise<{ manifest: ArtifactManifest; metered: Spend }> {
  const { exp, graph, store, progress } = opts;
  const runDir = exp.runDir;
  const dir = join(runDir, a.dir);
  const manifestFile = join(dir, "manifest.json");
  // No manifest while it runs: a kill now leaves it to be rerun, never half-written and "done".
  await rm(manifestFile, { force: true });
  await mkdir(dir, { recursive: true });
  const startedAt = new Date();
  writeMarker(runDir, { id: a.id, status: "running", pid: process.pid, startedAt: startedAt.toISOString() });
  const row = startStageRun(store, runId, a.id, key, startedAt);
  progress.log(`[${a.id}] running (${reason})`);
  emit({ type: "artifact-start", id: a.id, kind: a.kind, reason, at: startedAt.toISOString() });
  const ctx: ArtifactContext = {
    exp,
    store,
    progress,
    dir,
    inputDir(id) {
      if (!a.inputs.includes(id)) throw new Error(`${a.id} reads ${id}, which is not among its declared inputs`);
      return join(runDir, graph.byId.get(id)!.dir);
    },
    runtime,
    env: opts.env,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.retriever ? { retriever: opts.retriever } : {}),
  };
  try {
    // every model call made while it runs reports its tokens here (src/models/spend.ts)
    let metered: Spend = { ...NO_SPEND };
    const r = await meterSpend(
      (s) => {
        metered = addSpend(metered, s);
        onSpend(metered);
      },
      () => a.run(ctx),
    );
    const finishedAt = new Date();
    const manifest: ArtifactManifest = {
      stage: a.id,
      kind: a.kind,
      inputHash: key,
      ...(await hashOutputs(dir, r.outputs)),
      inputs: inputHashes,
      settings: a.settings ?? null,
      counts: r.counts,
      outputs: r.outputs,
      notes: r.notes ?? [],
      cost: r.cost ?? (spentAnything(metered) ? metered : null),
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationSeconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
    };
    await writeJson(manifestFile, manifest);
    await rm(join(stateDir(runDir), `${safeId(a.id)}.json`), { force: true });
    finishStageRun(store, row, "succeeded", startedAt, r.counts, null);
    for (const note of manifest.notes) progress.log(`  note: ${note}`);
    progress.log(`[${a.id}] done in ${manifest.durationSeconds.toFixed(1)}s`);
    emit({
      type: "artifact-done",
      id: a.id,
      kind: a.kind,
      seconds: manifest.durationSeconds,
      counts: r.counts,
      cost: manifest.cost,
    });
    return { manifest, metered };
  } catch (error) {
    const message = WayfarerError.isInstance(error) || error instanceof Error ? error.message : String(error);
    writeMarker(runDir, {
      id: a.id,
      status: "failed",
      pid: process.pid,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      message,
    });
    finishStageRun(store, row, "failed", startedAt, null, message);
    emit({
      type: "artifact-failed",
      id: a.id,
      kind: a.kind,
      seconds: (Date.now() - startedAt.getTime()) / 1000,
      message,
    });
    throw error;
  }
}
