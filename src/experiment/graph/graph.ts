/**
 * The artifact graph: validation (unique ids, known inputs, no cycles), topological order from the
 * declared inputs, and the plan (which artifacts are done, stale, missing, running or failed).
 */
import { createHash } from "node:crypto";
import { createReadStream, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { stableHash } from "../../config/load.ts";
import { ConfigError } from "../../errors/config-error.ts";
import type { Store } from "../../store/store.ts";
import type { Artifact, ArtifactManifest } from "./artifact.ts";

/** A validated graph: artifacts by id and a topological order (inputs before readers, ties by declaration). */
export class ArtifactGraph {
  readonly byId: ReadonlyMap<string, Artifact>;
  /** Topological order: every artifact after all of its inputs; among ready ones, declaration order. */
  readonly order: readonly Artifact[];

  /** Throws ConfigError listing every duplicate id, unknown input and cycle. */
  constructor(artifacts: readonly Artifact[]) {
    const problems: string[] = [];
    const byId = new Map<string, Artifact>();
    for (const a of artifacts) {
      if (byId.has(a.id)) problems.push(`artifact "${a.id}" is defined twice`);
      byId.set(a.id, a);
    }
    for (const a of artifacts)
      for (const i of a.inputs)
        if (!byId.has(i)) problems.push(`artifact "${a.id}" reads "${i}", which no part of the experiment makes`);
    if (problems.length) throw new ConfigError(problems.join("; "));
    const cycle = findCycle(artifacts, byId);
    if (cycle) throw new ConfigError(`the experiment's artifacts form a cycle: ${cycle.join(" -> ")}`);
    // Kahn's algorithm, picking the earliest-declared ready artifact each time (stable, readable order).
    const indegree = new Map(artifacts.map((a) => [a.id, new Set(a.inputs).size]));
    const readers = new Map<string, string[]>();
    for (const a of artifacts) for (const i of new Set(a.inputs)) readers.set(i, [...(readers.get(i) ?? []), a.id]);
    const position = new Map(artifacts.map((a, i) => [a.id, i]));
    const ready = artifacts.filter((a) => indegree.get(a.id) === 0).map((a) => a.id);
    const order: Artifact[] = [];
    while (ready.length) {
      ready.sort((x, y) => position.get(x)! - position.get(y)!);
      const id = ready.shift()!;
      order.push(byId.get(id)!);
      for (const r of readers.get(id) ?? []) {
        indegree.set(r, indegree.get(r)! - 1);
        if (indegree.get(r) === 0) ready.push(r);
      }
    }
    this.byId = byId;
    this.order = order;
  }

  /** Ids of `ids` and of every artifact that reads them, directly or not. */
  downstream(ids: Iterable<string>): Set<string> {
    const out = new Set(ids);
    for (const a of this.order) if (a.inputs.some((i) => out.has(i))) out.add(a.id);
    return out;
  }

  /** Ids of `ids` and of every artifact they read, directly or not. */
  upstream(ids: Iterable<string>): Set<string> {
    const out = new Set(ids);
    for (const a of [...this.order].reverse()) if (out.has(a.id)) for (const i of a.inputs) out.add(i);
    return out;
  }

  /**
   * Resolves `--only`/`--from` patterns to artifact ids: an exact id, a kind (`answers` = every
   * `answers:*`), a glob with `*`, or a stage name of the older pipeline (`train`, `generate`,
   * `evaluate`) meaning every artifact of that stage. ConfigError naming what matched nothing.
   */
  select(patterns: readonly string[], stageOf: (a: Artifact) => string): Set<string> {
    const out = new Set<string>();
    for (const p of patterns) {
      const re = p.includes("*") ? new RegExp(`^${p.split("*").map(escapeRe).join(".*")}$`) : null;
      const hits = this.order.filter((a) => (re ? re.test(a.id) : a.id === p || a.kind === p || stageOf(a) === p));
      if (!hits.length)
        throw new ConfigError(
          `"${p}" names no artifact of this experiment; artifacts: ${this.order.map((a) => a.id).join(", ")}`,
        );
      for (const h of hits) out.add(h.id);
    }
    return out;
  }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function findCycle(artifacts: readonly Artifact[], byId: Map<string, Artifact>): string[] | null {
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (id: string): string[] | null => {
    const s = state.get(id);
    if (s === 2) return null;
    if (s === 1) return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 1);
    stack.push(id);
    for (const i of byId.get(id)!.inputs) {
      const c = visit(i);
      if (c) return c;
    }
    stack.pop();
    state.set(id, 2);
    return null;
  };
  for (const a of artifacts) {
    const c = visit(a.id);
    if (c) return c;
  }
  return null;
}

/** The key of an artifact given its inputs' output hashes (sha256 hex of kind, version, settings, observed, inputs). */
export function artifactKey(a: Artifact, inputHashes: Record<string, string>, observed: unknown): string {
  return stableHash({
    kind: a.kind,
    version: a.version,
    settings: a.settings,
    observed: observed ?? null,
    inputs: inputHashes,
  });
}

/** sha256 of each named file (hex; "missing" when absent) and a hash over all of them (sorted by name). */
export async function hashOutputs(
  dir: string,
  files: readonly string[],
): Promise<{ outputHash: string; outputHashes: Record<string, string> }> {
  const outputHashes: Record<string, string> = {};
  for (const f of [...new Set(files)].sort()) {
    const p = join(dir, f);
    if (!existsSync(p)) {
      outputHashes[f] = "missing";
      continue;
    }
    const h = createHash("sha256");
    for await (const chunk of createReadStream(p)) h.update(chunk as Buffer);
    outputHashes[f] = h.digest("hex");
  }
  return { outputHash: stableHash(Object.entries(outputHashes)), outputHashes };
}

/**
 * The hash of input `id` as artifact `a` sees it: the input's whole output hash, or, when `a.reads`
 * names path prefixes for it, a hash of just those files (an input manifest without per-file hashes
 * counts whole).
 */
export function inputHashFor(a: Artifact, id: string, m: ArtifactManifest): string {
  const prefixes = a.reads?.[id];
  if (!prefixes || !m.outputHashes) return m.outputHash;
  const picked = Object.entries(m.outputHashes)
    .filter(([f]) => prefixes.some((p) => f === p || f.startsWith(p)))
    .sort((x, y) => (x[0] < y[0] ? -1 : 1));
  return stableHash({ reads: [...prefixes], files: picked });
}

/** Where the runner keeps per-artifact state (running / failed markers) and the run lock. */
export function stateDir(runDir: string): string {
  return join(runDir, ".state");
}

/** A file-name-safe form of an artifact id (`adapter:sft` -> `adapter%3Asft`). */
export function safeId(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}

/** The last attempt of an artifact, written when it starts and when it fails. */
export interface AttemptMarker {
  id: string;
  status: "running" | "failed";
  pid: number;
  startedAt: string;
  finishedAt?: string;
  message?: string;
}

/** The state of one artifact, as `wayfarer status` shows it. */
export type ArtifactState = "done" | "stale" | "missing" | "running" | "failed";

/** One row of the plan. */
export interface PlanRow {
  id: string;
  kind: string;
  dir: string;
  inputs: readonly string[];
  state: ArtifactState;
  /** Why it is not done (changed settings, an input that changes, never ran, the failure message). */
  reason: string | null;
  /** The key it would have now; null when an input is not done (the key depends on the input's new output). */
  key: string | null;
  manifest: ArtifactManifest | null;
  attempt: AttemptMarker | null;
}

/** Reads `<runDir>/<a.dir>/manifest.json`; null when absent or unreadable (an unfinished write). */
export function readManifest(runDir: string, a: Artifact): ArtifactManifest | null {
  const f = join(runDir, a.dir, "manifest.json");
  if (!existsSync(f)) return null;
  try {
    const m = JSON.parse(readFileSync(f, "utf8")) as ArtifactManifest;
    return m.stage === a.id && typeof m.inputHash === "string" ? m : null;
  } catch {
    return null;
  }
}

/** Reads the attempt marker of an artifact; a "running" marker whose process is gone reads as failed (killed). */
export function readAttempt(runDir: string, id: string): AttemptMarker | null {
  const f = join(stateDir(runDir), `${safeId(id)}.json`);
  if (!existsSync(f)) return null;
  try {
    const m = JSON.parse(readFileSync(f, "utf8")) as AttemptMarker;
    if (m.status === "running" && !processAlive(m.pid))
      return {
        ...m,
        status: "failed",
        message: "interrupted (the process running it is gone); `wayfarer run` resumes it",
      };
    return m;
  } catch {
    return null;
  }
}

/** Whether a process with this pid exists (signal 0). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The state of every artifact without running anything: done when its manifest's key equals the
 * key computed from its settings and its inputs' current outputs; stale when settings or an input
 * changed; missing when it never finished; running/failed from the last attempt's marker.
 */
export function planGraph(graph: ArtifactGraph, runDir: string, store: Store): PlanRow[] {
  const rows = new Map<string, PlanRow>();
  for (const a of graph.order) {
    const manifest = readManifest(runDir, a);
    const attempt = readAttempt(runDir, a.id);
    const inputHashes: Record<string, string> = {};
    let pendingInput: string | null = null;
    for (const i of a.inputs) {
      const r = rows.get(i)!;
      if (r.state !== "done" || !r.manifest) {
        pendingInput ??= i;
        continue;
      }
      inputHashes[i] = inputHashFor(a, i, r.manifest);
    }
    const key = pendingInput ? null : artifactKey(a, inputHashes, a.observe?.(store));
    let state: ArtifactState;
    let reason: string | null = null;
    if (manifest && key !== null && manifest.inputHash === key) state = "done";
    else if (attempt?.status === "running") {
      state = "running";
      reason = `since ${attempt.startedAt} (pid ${attempt.pid})`;
    } else if (attempt?.status === "failed" && (!manifest || attempt.startedAt > manifest.startedAt)) {
      state = "failed";
      reason = attempt.message ?? "failed";
    } else if (!manifest) {
      state = "missing";
      reason = pendingInput ? `waits for ${pendingInput}` : "never ran";
    } else {
      state = "stale";
      if (pendingInput) reason = `input ${pendingInput} changes`;
      else {
        const changed = Object.keys(inputHashes).filter((i) => manifest.inputs?.[i] !== inputHashes[i]);
        reason = changed.length
          ? `input${changed.length > 1 ? "s" : ""} ${changed.join(", ")} changed`
          : stableHash(manifest.settings) !== stableHash(a.settings)
            ? "settings changed"
            : "code version or observed state changed";
      }
    }
    rows.set(a.id, { id: a.id, kind: a.kind, dir: a.dir, inputs: a.inputs, state, reason, key, manifest, attempt });
  }
  return graph.order.map((a) => rows.get(a.id)!);
}
