/**
 * The `teacher_calls` table: every distinct teacher-LLM call of the datasets stage (src/datasets/teacher.ts),
 * keyed by (experiment, cache key of the call's content), so a killed run resumes without paying twice.
 */
import type { Store } from "./store.ts";

/** A stored call (column names as in the table). */
export interface TeacherCallRow {
  status: "ok" | "error";
  text: string | null;
  error: string | null;
  finish_reason: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  usd: number | null;
}

/** One call to store (replaces an earlier row with the same key). */
export interface TeacherCallWrite {
  cacheKey: string;
  signature: string;
  status: "ok" | "error";
  text: string | null;
  error: string | null;
  finishReason: string | null;
  promptTokens: number;
  completionTokens: number;
  usd: number | null;
  /** ISO time of the write. */
  createdAt: string;
}

/** Lookup and upsert of one experiment's teacher calls, prepared once per teacher. */
export interface TeacherCallCache {
  find(cacheKey: string): TeacherCallRow | undefined;
  /** One statement (its own transaction). */
  write(row: TeacherCallWrite): void;
}

/** {@link TeacherCallCache} of `experiment`. */
export function teacherCallCache(store: Store, experiment: string): TeacherCallCache {
  const find = store.db.prepare<[string, string], TeacherCallRow>(
    `SELECT status, text, error, finish_reason, prompt_tokens, completion_tokens, usd
       FROM teacher_calls WHERE experiment = ? AND cache_key = ?`,
  );
  const upsert = store.db.prepare(
    `INSERT OR REPLACE INTO teacher_calls (experiment, cache_key, signature, status, text, error, finish_reason,
                                           prompt_tokens, completion_tokens, usd, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return {
    find: (key) => find.get(experiment, key),
    write: (r) => {
      upsert.run(
        experiment,
        r.cacheKey,
        r.signature,
        r.status,
        r.text,
        r.error,
        r.finishReason,
        r.promptTokens,
        r.completionTokens,
        r.usd,
        r.createdAt,
      );
    },
  };
}
