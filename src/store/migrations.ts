/**
 * Store schema as an ordered list of migrations. Append new entries; never edit an applied one.
 * `PRAGMA user_version` records how many have run.
 */
export interface Migration {
  /** Short name, for error messages. */
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    name: "runs-and-stages",
    sql: `
      CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        experiment TEXT NOT NULL,
        config_hash TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('running','succeeded','failed'))
      );
      CREATE TABLE stage_runs (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        stage TEXT NOT NULL,
        input_hash TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('running','succeeded','failed','skipped')),
        started_at TEXT NOT NULL,
        finished_at TEXT,
        duration_s REAL,
        counts_json TEXT,
        message TEXT
      );
      CREATE INDEX stage_runs_by_stage ON stage_runs(stage, input_hash, status);
      CREATE TABLE generations (
        id INTEGER PRIMARY KEY,
        experiment TEXT NOT NULL,
        variant TEXT NOT NULL,
        item_id TEXT NOT NULL,
        question TEXT NOT NULL,
        answer TEXT NOT NULL,
        latency_s REAL NOT NULL,
        prompt_tokens INTEGER NOT NULL,
        completion_tokens INTEGER NOT NULL,
        settings_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (experiment, variant, item_id, settings_hash)
      );
      CREATE TABLE scores (
        id INTEGER PRIMARY KEY,
        experiment TEXT NOT NULL,
        variant TEXT NOT NULL,
        item_id TEXT NOT NULL,
        evaluator TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('scored','error','not-applicable')),
        value REAL,
        reason TEXT,
        details_json TEXT,
        signature TEXT NOT NULL,
        prompt_tokens INTEGER NOT NULL DEFAULT 0,
        completion_tokens INTEGER NOT NULL DEFAULT 0,
        usd REAL,
        created_at TEXT NOT NULL,
        UNIQUE (experiment, variant, item_id, evaluator, signature)
      );
    `,
  },
];
