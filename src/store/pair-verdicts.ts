/**
 * The `pair_verdicts` table: one row per pairwise comparison of two variants' answers to one item by the
 * judge (src/evaluation/pairwise-engine.ts), both orders in one row, keyed for reuse by `cache_key`.
 */
import type { Store } from "./store.ts";

/** The comparison's verdict: A (the first-named variant), B, or tie. */
export type StoredPairVerdict = "A" | "B" | "tie";

/** One game's verdict in the judge's MT-Bench terms: A, B, or C (tie). */
export type StoredGameVerdict = "A" | "B" | "C";

/** A stored comparison as the engine reads it back (column names as in the table). */
export interface PairVerdictRow {
  status: "scored" | "unparseable" | "error";
  verdict: StoredPairVerdict | null;
  game1: StoredGameVerdict | null;
  game2: StoredGameVerdict | null;
  /** 1 when both orders agree, 0 when not, null when a game has no verdict. */
  consistent: number | null;
  raw1: string | null;
  raw2: string | null;
  reason: string | null;
  signature: string;
  prompt_tokens: number;
  completion_tokens: number;
  usd: number | null;
}

/** One comparison to store. */
export interface PairVerdictWrite {
  itemId: string;
  variantA: string;
  variantB: string;
  evaluator: string;
  cacheKey: string;
  inputHash: string;
  signature: string;
  status: PairVerdictRow["status"];
  verdict: StoredPairVerdict | null;
  games: [StoredGameVerdict | null, StoredGameVerdict | null];
  consistent: boolean | null;
  raw: [string | null, string | null];
  reason: string | null;
  promptTokens: number;
  completionTokens: number;
  usd: number | null;
  /** ISO time of the write. */
  createdAt: string;
}

/** Lookup and write of one experiment's pair verdicts, prepared once per run. */
export interface PairVerdictCache {
  /** The newest row of (item, A, B, evaluator) under `cacheKey`, or undefined. */
  find(
    itemId: string,
    variantA: string,
    variantB: string,
    evaluator: string,
    cacheKey: string,
  ): PairVerdictRow | undefined;
  /** Replaces the row of (item, A, B, evaluator, key) by `row` in one transaction. */
  write(row: PairVerdictWrite): void;
}

/** {@link PairVerdictCache} of `experiment`. */
export function pairVerdictCache(store: Store, experiment: string): PairVerdictCache {
  const find = store.db.prepare<[string, string, string, string, string, string], PairVerdictRow>(
    `SELECT status, verdict, game1, game2, consistent, raw1, raw2, reason, signature, prompt_tokens, completion_tokens, usd
       FROM pair_verdicts
      WHERE experiment = ? AND item_id = ? AND variant_a = ? AND variant_b = ? AND evaluator = ? AND cache_key = ?
      ORDER BY id DESC LIMIT 1`,
  );
  const del = store.db.prepare(
    "DELETE FROM pair_verdicts WHERE experiment = ? AND item_id = ? AND variant_a = ? AND variant_b = ? AND evaluator = ? AND cache_key = ?",
  );
  const insert = store.db.prepare(
    `INSERT INTO pair_verdicts (experiment, item_id, variant_a, variant_b, evaluator, cache_key, input_hash, signature, status,
                                verdict, game1, game2, consistent, raw1, raw2, reason, prompt_tokens, completion_tokens, usd, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const write = store.db.transaction((r: PairVerdictWrite) => {
    del.run(experiment, r.itemId, r.variantA, r.variantB, r.evaluator, r.cacheKey);
    insert.run(
      experiment,
      r.itemId,
      r.variantA,
      r.variantB,
      r.evaluator,
      r.cacheKey,
      r.inputHash,
      r.signature,
      r.status,
      r.verdict,
      r.games[0],
      r.games[1],
      r.consistent === null ? null : r.consistent ? 1 : 0,
      r.raw[0],
      r.raw[1],
      r.reason,
      r.promptTokens,
      r.completionTokens,
      r.usd,
      r.createdAt,
    );
  });
  return {
    find: (itemId, a, b, evaluator, key) => find.get(experiment, itemId, a, b, evaluator, key),
    write: (r) => write(r),
  };
}
