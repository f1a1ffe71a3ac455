/**
 * Store queries of the experiment runner: runs, per-artifact (stage) outcomes, cached generations,
 * and the fingerprint of the human ratings that the report depends on. Each write is one statement
 * (SQLite makes it a transaction); nothing here is read back mid-write.
 */
import type { Store } from "./store.ts";

/** Inserts a `runs` row in state running; returns its id. */
export function startRun(store: Store, experiment: string, configHash: string, at: Date = new Date()): number {
  return Number(
    store.db
      .prepare("INSERT INTO runs (experiment, config_hash, started_at, status) VALUES (?, ?, ?, 'running')")
      .run(experiment, configHash, at.toISOString()).lastInsertRowid,
  );
}

/** Marks a run finished (`succeeded` or `failed`). */
export function finishRun(store: Store, runId: number, status: "succeeded" | "failed", at: Date = new Date()): void {
  store.db.prepare("UPDATE runs SET status = ?, finished_at = ? WHERE id = ?").run(status, at.toISOString(), runId);
}

/** Inserts a `stage_runs` row (a stage or an artifact of the graph) in state running; returns its id. */
export function startStageRun(store: Store, runId: number, stage: string, inputHash: string, at: Date): number {
  return Number(
    store.db
      .prepare("INSERT INTO stage_runs (run_id, stage, input_hash, status, started_at) VALUES (?, ?, ?, 'running', ?)")
      .run(runId, stage, inputHash, at.toISOString()).lastInsertRowid,
  );
}

/** Finishes a `stage_runs` row: status (`succeeded`, `skipped`, `failed`), seconds since `startedAt`, counts, message. */
export function finishStageRun(
  store: Store,
  rowId: number,
  status: string,
  startedAt: Date,
  counts: Record<string, number> | null,
  message: string | null,
): void {
  store.db
    .prepare(
      "UPDATE stage_runs SET status = ?, finished_at = ?, duration_s = ?, counts_json = ?, message = ? WHERE id = ?",
    )
    .run(
      status,
      new Date().toISOString(),
      (Date.now() - startedAt.getTime()) / 1000,
      counts ? JSON.stringify(counts) : null,
      message,
      rowId,
    );
}

export { type GenerationRow, generationCache } from "./generations.ts";

/** The newest stored score row of (experiment, variant, item, evaluator, cache key), or undefined. */
export function latestScore(
  store: Store,
): (
  experiment: string,
  variant: string,
  itemId: string,
  evaluator: string,
  cacheKey: string,
) =>
  | { status: "scored" | "error" | "not-applicable"; value: number | null; reason: string | null; signature: string }
  | undefined {
  const select = store.db.prepare(
    "SELECT status, value, reason, signature FROM scores WHERE experiment = ? AND variant = ? AND item_id = ? AND evaluator = ? AND cache_key = ? ORDER BY id DESC LIMIT 1",
  );
  return (e, v, i, ev, k) => select.get(e, v, i, ev, k) as ReturnType<ReturnType<typeof latestScore>>;
}

/**
 * What the human ratings of an experiment look like now: counts and newest ids of ratings and pair
 * choices. Cheap; hashed into the report's key so a new rating makes the report stale.
 */
export function ratingsFingerprint(store: Store, experiment: string): { ratings: string; pairs: string } {
  const r = store.db
    .prepare(
      "SELECT COUNT(*) AS n, COALESCE(MAX(r.id), 0) || '@' || COALESCE(MAX(r.created_at), '') AS last FROM ratings r JOIN rating_assignments a ON a.id = r.assignment_id JOIN rating_tasks t ON t.id = a.task_id WHERE t.experiment = ?",
    )
    .get(experiment) as { n: number; last: string };
  const p = store.db
    .prepare(
      "SELECT COUNT(*) AS n, COALESCE(MAX(c.assignment_id), 0) || '@' || COALESCE(MAX(c.created_at), '') AS last FROM pair_choices c JOIN rating_assignments a ON a.id = c.assignment_id JOIN rating_tasks t ON t.id = a.task_id WHERE t.experiment = ?",
    )
    .get(experiment) as { n: number; last: string };
  return { ratings: `${r.n}:${r.last}`, pairs: `${p.n}:${p.last}` };
}

/** The newest generation of every (variant, question) of an experiment, ordered by question then variant. */
export function latestGenerations(
  store: Store,
  experiment: string,
): { variant: string; item_id: string; question: string; answer: string }[] {
  return store.db
    .prepare(
      "SELECT variant, item_id, question, answer FROM generations WHERE experiment = ? AND id IN (SELECT MAX(id) FROM generations WHERE experiment = ? GROUP BY variant, item_id) ORDER BY item_id, variant",
    )
    .all(experiment, experiment) as { variant: string; item_id: string; question: string; answer: string }[];
}

/** Whether the experiment has rating tasks, and the experiments that do (sorted). */
export function ratingTaskExperiments(store: Store, experiment: string): { has: boolean; known: string[] } {
  const has = store.db.prepare("SELECT 1 FROM rating_tasks WHERE experiment = ? LIMIT 1").get(experiment) !== undefined;
  const known = (
    store.db.prepare("SELECT DISTINCT experiment FROM rating_tasks ORDER BY experiment").all() as {
      experiment: string;
    }[]
  ).map((r) => r.experiment);
  return { has, known };
}
