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
  {
    // Human evaluation (src/evaluation/human/tasks.ts, src/server/). A rating task is one answer
    // (kind 'single') or two answers to the same question (kind 'pair'); an assignment gives a task to
    // one rater at a per-rater random position; ratings/pair_choices hold what the rater submitted.
    name: "human-rating",
    sql: `
      CREATE TABLE raters (
        id INTEGER PRIMARY KEY,
        experiment TEXT NOT NULL,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('rater','admin')),
        token_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        UNIQUE (experiment, name)
      );
      CREATE TABLE rating_tasks (
        id INTEGER PRIMARY KEY,
        experiment TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('single','pair')),
        item_id TEXT NOT NULL,
        question TEXT NOT NULL,
        variant TEXT NOT NULL,
        answer TEXT NOT NULL,
        variant_b TEXT,
        answer_b TEXT,
        golden TEXT,
        show_golden INTEGER NOT NULL DEFAULT 0,
        criteria_json TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (experiment, kind, item_id, variant, variant_b)
      );
      CREATE TABLE rating_assignments (
        id INTEGER PRIMARY KEY,
        task_id INTEGER NOT NULL REFERENCES rating_tasks(id),
        rater_id INTEGER NOT NULL REFERENCES raters(id),
        position INTEGER NOT NULL,
        swapped INTEGER NOT NULL DEFAULT 0,
        UNIQUE (task_id, rater_id),
        UNIQUE (rater_id, position)
      );
      CREATE TABLE ratings (
        id INTEGER PRIMARY KEY,
        assignment_id INTEGER NOT NULL REFERENCES rating_assignments(id),
        criterion TEXT NOT NULL,
        score INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (assignment_id, criterion)
      );
      CREATE TABLE pair_choices (
        assignment_id INTEGER PRIMARY KEY REFERENCES rating_assignments(id),
        choice TEXT NOT NULL CHECK (choice IN ('a','b','tie')),
        created_at TEXT NOT NULL
      );
      CREATE TABLE server_secrets (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
  {
    // Evaluation engine cache (src/evaluation/engine.ts): a score row is reused when its
    // (evaluator, config signature, inputs) key matches; `input_hash` lets reports spot rows whose
    // answer/reference has since changed.
    name: "score-cache-key",
    sql: `
      ALTER TABLE scores ADD COLUMN cache_key TEXT;
      ALTER TABLE scores ADD COLUMN input_hash TEXT;
      CREATE INDEX scores_by_cache_key ON scores(experiment, variant, item_id, evaluator, cache_key);
    `,
  },
  {
    name: "generations-finish-reason",
    sql: `
      ALTER TABLE generations ADD COLUMN finish_reason TEXT NOT NULL DEFAULT 'stop';
      ALTER TABLE generations ADD COLUMN model_id TEXT NOT NULL DEFAULT '';
    `,
  },
  {
    // Gold / attention items (src/evaluation/human/tasks.ts): a rating task whose `gold_json` is set
    // ({expected: {criterion: score}, tolerance}) is a check with a known answer, given to every rater,
    // never exported as a judgment or preference pair.
    name: "human-gold-items",
    sql: `
      ALTER TABLE rating_tasks ADD COLUMN gold_json TEXT;
    `,
  },
  {
    // Pairwise judge verdicts (src/evaluation/pairwise-engine.ts): one row per (item, variant A, variant B,
    // evaluator, cache key). game1/game2: each order's verdict in the original labelling (game 2 mapped back),
    // NULL when it did not parse; verdict: the final A/B/tie (a win only when both orders agree), NULL when
    // unparseable ('unparseable') or the provider failed ('error', retried by the next run).
    name: "pairwise-verdicts",
    sql: `
      CREATE TABLE pair_verdicts (
        id INTEGER PRIMARY KEY,
        experiment TEXT NOT NULL,
        item_id TEXT NOT NULL,
        variant_a TEXT NOT NULL,
        variant_b TEXT NOT NULL,
        evaluator TEXT NOT NULL,
        cache_key TEXT NOT NULL,
        input_hash TEXT NOT NULL,
        signature TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('scored','unparseable','error')),
        verdict TEXT CHECK (verdict IN ('A','B','tie')),
        game1 TEXT CHECK (game1 IN ('A','B','C')),
        game2 TEXT CHECK (game2 IN ('A','B','C')),
        consistent INTEGER,
        raw1 TEXT,
        raw2 TEXT,
        reason TEXT,
        prompt_tokens INTEGER NOT NULL DEFAULT 0,
        completion_tokens INTEGER NOT NULL DEFAULT 0,
        usd REAL,
        created_at TEXT NOT NULL
      );
      CREATE INDEX pair_verdicts_by_key ON pair_verdicts(experiment, item_id, variant_a, variant_b, evaluator, cache_key);
    `,
  },
  {
    // Datasets teacher calls (src/datasets/teacher.ts): one row per (experiment, cache key); the key hashes the
    // teacher's signature, the generation settings and the messages. status 'ok' rows are reused by every rerun;
    // 'error' rows (provider failure after retries) are retried.
    name: "teacher-calls",
    sql: `
      CREATE TABLE teacher_calls (
        id INTEGER PRIMARY KEY,
        experiment TEXT NOT NULL,
        cache_key TEXT NOT NULL,
        signature TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('ok','error')),
        text TEXT,
        error TEXT,
        finish_reason TEXT,
        prompt_tokens INTEGER NOT NULL DEFAULT 0,
        completion_tokens INTEGER NOT NULL DEFAULT 0,
        usd REAL,
        created_at TEXT NOT NULL,
        UNIQUE (experiment, cache_key)
      );
    `,
  },
];
