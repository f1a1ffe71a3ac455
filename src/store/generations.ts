/**
 * The `generations` table: every answer a model variant gave to a golden question, keyed by (experiment,
 * variant, item, settings hash: a hash of everything that shaped the answer), so the generate stage resumes
 * without regenerating.
 */
import type { Store } from "./store.ts";

/** A cached generation (one answer of one variant to one question under one settings hash). */
export interface GenerationRow {
  answer: string;
  finish_reason: string;
  model_id: string;
  latency_s: number;
  prompt_tokens: number;
  completion_tokens: number;
}

/**
 * Lookup and insert of cached generations, prepared once per stage run. `insert` replaces the row of the
 * same (experiment, variant, item, settings hash); it is one statement, so its own transaction.
 */
export function generationCache(store: Store): {
  find(experiment: string, variant: string, itemId: string, settingsHash: string): GenerationRow | undefined;
  insert(row: {
    experiment: string;
    variant: string;
    itemId: string;
    question: string;
    answer: string;
    finishReason: string;
    modelId: string;
    latencySeconds: number;
    promptTokens: number;
    completionTokens: number;
    settingsHash: string;
    /** RAG variants: the retrieved documents (JSON array) that were in the prompt; null or absent otherwise. */
    contextsJson?: string | null;
  }): void;
} {
  const find = store.db.prepare<[string, string, string, string], GenerationRow>(
    "SELECT answer, finish_reason, model_id, latency_s, prompt_tokens, completion_tokens FROM generations WHERE experiment = ? AND variant = ? AND item_id = ? AND settings_hash = ?",
  );
  const insert = store.db.prepare(
    "INSERT OR REPLACE INTO generations (experiment, variant, item_id, question, answer, finish_reason, model_id, latency_s, prompt_tokens, completion_tokens, settings_hash, created_at, contexts_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  );
  return {
    find: (e, v, i, h) => find.get(e, v, i, h),
    insert: (r) =>
      insert.run(
        r.experiment,
        r.variant,
        r.itemId,
        r.question,
        r.answer,
        r.finishReason,
        r.modelId,
        r.latencySeconds,
        r.promptTokens,
        r.completionTokens,
        r.settingsHash,
        new Date().toISOString(),
        r.contextsJson ?? null,
      ),
  };
}
