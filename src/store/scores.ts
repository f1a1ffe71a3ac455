/**
 * The `scores` table: one row per (experiment, variant, item, evaluator) result of the evaluation engine
 * (src/evaluation/engine.ts), keyed for reuse by `cache_key` (evaluator + its configuration signature + a
 * hash of the input) and kept with the tokens and dollars its model calls cost.
 */
import type { Store } from "./store.ts";

/** Status of a score row: `scored` (value may still be null when unmeasurable), `error`, `not-applicable`. */
export type ScoreStatus = "scored" | "error" | "not-applicable";

/** A stored score as the engine reads it back (column names as in the table). */
export interface ScoreRow {
  status: ScoreStatus;
  value: number | null;
  reason: string | null;
  /** JSON object of sub-scores, or null. */
  details_json: string | null;
  signature: string;
  prompt_tokens: number;
  completion_tokens: number;
  /** US dollars; null when the model is not priced. */
  usd: number | null;
}

/** One result to store. */
export interface ScoreWrite {
  variant: string;
  itemId: string;
  evaluator: string;
  /** Reuse key (see the module doc). */
  cacheKey: string;
  /** Hash of the evaluated input. */
  inputHash: string;
  status: ScoreStatus;
  value: number | null;
  reason: string | null;
  /** Serialized details (JSON) or null. */
  detailsJson: string | null;
  signature: string;
  promptTokens: number;
  completionTokens: number;
  usd: number | null;
  /** ISO time of the write. */
  createdAt: string;
}

/** Lookup and write of one experiment's scores, prepared once per evaluation run. */
export interface ScoreCache {
  /** The newest row of (variant, item, evaluator) under `cacheKey`, or undefined. */
  find(variant: string, itemId: string, evaluator: string, cacheKey: string): ScoreRow | undefined;
  /**
   * Replaces the rows of (variant, item, evaluator) with this key or this signature by `row`, in one
   * transaction (a crash leaves the old row or the new one, never neither).
   */
  write(row: ScoreWrite): void;
}

/** {@link ScoreCache} of `experiment`. */
export function scoreCache(store: Store, experiment: string): ScoreCache {
  const find = store.db.prepare<[string, string, string, string, string], ScoreRow>(
    `SELECT status, value, reason, details_json, signature, prompt_tokens, completion_tokens, usd
       FROM scores WHERE experiment = ? AND variant = ? AND item_id = ? AND evaluator = ? AND cache_key = ?
       ORDER BY id DESC LIMIT 1`,
  );
  const del = store.db.prepare(
    "DELETE FROM scores WHERE experiment = ? AND variant = ? AND item_id = ? AND evaluator = ? AND (cache_key = ? OR signature = ?)",
  );
  const insert = store.db.prepare(
    `INSERT INTO scores (experiment, variant, item_id, evaluator, status, value, reason, details_json, signature,
                         prompt_tokens, completion_tokens, usd, created_at, cache_key, input_hash)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const write = store.db.transaction((r: ScoreWrite) => {
    del.run(experiment, r.variant, r.itemId, r.evaluator, r.cacheKey, r.signature);
    insert.run(
      experiment,
      r.variant,
      r.itemId,
      r.evaluator,
      r.status,
      r.value,
      r.reason,
      r.detailsJson,
      r.signature,
      r.promptTokens,
      r.completionTokens,
      r.usd,
      r.createdAt,
      r.cacheKey,
      r.inputHash,
    );
  });
  return {
    find: (variant, itemId, evaluator, key) => find.get(experiment, variant, itemId, evaluator, key),
    write: (r) => write(r),
  };
}

/**
 * The newest score of (evaluator, item) in any experiment and variant (what `wayfarer score` just wrote),
 * prepared once; undefined when there is none.
 */
export function newestScoreOf(
  store: Store,
): (
  evaluator: string,
  itemId: string,
) => Pick<ScoreRow, "status" | "value" | "reason" | "details_json" | "signature"> | undefined {
  const read = store.db.prepare<
    [string, string],
    Pick<ScoreRow, "status" | "value" | "reason" | "details_json" | "signature">
  >(
    "SELECT status, value, reason, details_json, signature FROM scores WHERE evaluator = ? AND item_id = ? ORDER BY id DESC LIMIT 1",
  );
  return (evaluator, itemId) => read.get(evaluator, itemId);
}
