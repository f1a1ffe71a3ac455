/**
 * `wayfarer status`: the plan of an experiment's graph without running anything — per artifact
 * done / stale / missing / running / failed, with when it last finished and how long it took.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { LoadedExperiment } from "../../config/load.ts";
import { Store } from "../../store/store.ts";
import { buildGraph } from "./build.ts";
import { type PlanRow, planGraph } from "./graph.ts";
import { readChoice } from "./selection.ts";

/** One row of `wayfarer status`. */
export interface StatusRow {
  id: string;
  kind: string;
  state: PlanRow["state"];
  reason: string | null;
  /** When the artifact's current outputs were finished (ISO), or null. */
  finishedAt: string | null;
  /** Seconds its last successful run took, or null. */
  seconds: number | null;
  /** For a selection: the variant it picked last. */
  picked?: string;
  inputs: readonly string[];
}

/** The status of every artifact of the experiment (opens the store read-only in effect: no writes). */
export function experimentStatus(exp: LoadedExperiment): StatusRow[] {
  const graph = buildGraph(exp);
  using store = Store.open(existsSync(exp.storePath) ? exp.storePath : ":memory:");
  return planGraph(graph, exp.runDir, store).map((r) => ({
    id: r.id,
    kind: r.kind,
    state: r.state,
    reason: r.reason,
    finishedAt: r.manifest?.finishedAt ?? null,
    seconds: r.manifest?.durationSeconds ?? null,
    ...(r.kind === "selection" && r.manifest ? { picked: pickedOf(exp, r.dir) } : {}),
    inputs: r.inputs,
  }));
}

function pickedOf(exp: LoadedExperiment, dir: string): string {
  return readChoice(join(exp.runDir, dir))?.variant ?? "?";
}
