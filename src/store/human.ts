/**
 * The human-rating tables: `raters` (accounts; only a token's SHA-256 is kept), `rating_tasks` (what to rate:
 * single answers with Likert criteria, answer pairs, gold items), `rating_assignments` (task -> rater, with the
 * rater's position and whether the pair is shown swapped), `ratings` (one Likert score per assignment and
 * criterion) and `pair_choices` (one choice per pair assignment, stored in task terms: "a" = `variant`).
 * Assignment logic and validation live in src/evaluation/human/tasks.ts; group writes with `store.transaction`.
 */
import type { Store } from "./store.ts";

/** A rater (or admin) account. */
export interface RaterRow {
  id: number;
  experiment: string;
  name: string;
  role: "rater" | "admin";
}

/** A rating task to insert. */
export interface RatingTaskWrite {
  experiment: string;
  kind: "single" | "pair";
  itemId: string;
  question: string;
  variant: string;
  answer: string;
  /** Pair tasks: the second variant and its answer; null for single tasks. */
  variantB: string | null;
  answerB: string | null;
  golden: string | null;
  showGolden: boolean;
  /** JSON array of the Likert criteria ("[]" for pair tasks). */
  criteriaJson: string;
  /** ISO time. */
  createdAt: string;
  /** Gold items: JSON `{expected, tolerance}`; null for normal tasks. */
  goldJson: string | null;
}

/** One assignment with its task and rater (column names as in the tables). */
export interface AssignmentRow {
  id: number;
  position: number;
  /** 1 when the pair is shown B first to this rater. */
  swapped: number;
  kind: "single" | "pair";
  question: string;
  answer: string;
  answer_b: string | null;
  golden: string | null;
  show_golden: number;
  criteria_json: string;
  rater_id: number;
  rater_name: string;
  variant: string;
  variant_b: string | null;
  item_id: string;
  gold_json: string | null;
}

/** A pair choice in task terms: "a" = the task's `variant`, "b" = `variant_b`. */
export type StoredChoice = "a" | "b" | "tie";

/** Number of rating tasks of an experiment. */
export function countRatingTasks(store: Store, experiment: string): number {
  return (
    store.db.prepare("SELECT COUNT(*) AS n FROM rating_tasks WHERE experiment = ?").get(experiment) as { n: number }
  ).n;
}

/** Inserts of raters, tasks and assignments, prepared once; call inside `store.transaction` to create a study at once. */
export interface RatingTaskWriter {
  /** Returns the rater's id. */
  insertRater(r: {
    experiment: string;
    name: string;
    role: "rater" | "admin";
    tokenHash: string;
    createdAt: string;
  }): number;
  /** Returns the task's id. */
  insertTask(t: RatingTaskWrite): number;
  insertAssignment(a: { taskId: number; raterId: number; position: number; swapped: boolean | number }): void;
}

/** A {@link RatingTaskWriter} on `store`. */
export function ratingTaskWriter(store: Store): RatingTaskWriter {
  const rater = store.db.prepare(
    "INSERT INTO raters (experiment, name, role, token_hash, created_at) VALUES (?, ?, ?, ?, ?)",
  );
  const task = store.db.prepare(
    "INSERT INTO rating_tasks (experiment, kind, item_id, question, variant, answer, variant_b, answer_b, golden, show_golden, criteria_json, created_at, gold_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  );
  const assignment = store.db.prepare(
    "INSERT INTO rating_assignments (task_id, rater_id, position, swapped) VALUES (?, ?, ?, ?)",
  );
  return {
    insertRater: (r) => Number(rater.run(r.experiment, r.name, r.role, r.tokenHash, r.createdAt).lastInsertRowid),
    insertTask: (t) =>
      Number(
        task.run(
          t.experiment,
          t.kind,
          t.itemId,
          t.question,
          t.variant,
          t.answer,
          t.variantB,
          t.answerB,
          t.golden,
          t.showGolden ? 1 : 0,
          t.criteriaJson,
          t.createdAt,
          t.goldJson,
        ).lastInsertRowid,
      ),
    insertAssignment: (a) => {
      assignment.run(a.taskId, a.raterId, a.position, Number(a.swapped));
    },
  };
}

/** The account whose token hashes to `tokenHash`, or undefined. */
export function raterByTokenHash(store: Store, tokenHash: string): RaterRow | undefined {
  return store.db
    .prepare<[string], RaterRow>("SELECT id, experiment, name, role FROM raters WHERE token_hash = ?")
    .get(tokenHash);
}

const ASSIGNMENT_SELECT = `SELECT a.id, a.position, a.swapped, a.rater_id, r.name AS rater_name, t.kind, t.question, t.answer, t.answer_b, t.golden,
  t.show_golden, t.criteria_json, t.variant, t.variant_b, t.item_id, t.gold_json
  FROM rating_assignments a JOIN rating_tasks t ON t.id = a.task_id JOIN raters r ON r.id = a.rater_id`;

/** A rater's assignments in their order. */
export function assignmentsOfRater(store: Store, raterId: number): AssignmentRow[] {
  return store.db
    .prepare<[number], AssignmentRow>(`${ASSIGNMENT_SELECT} WHERE a.rater_id = ? ORDER BY a.position`)
    .all(raterId);
}

/** Every assignment of an experiment, by rater name then position. */
export function assignmentsOfExperiment(store: Store, experiment: string): AssignmentRow[] {
  return store.db
    .prepare<[string], AssignmentRow>(`${ASSIGNMENT_SELECT} WHERE t.experiment = ? ORDER BY r.name, a.position`)
    .all(experiment);
}

/** Assignment `assignmentId` when it belongs to rater `raterId`; undefined otherwise. */
export function assignmentOfRater(store: Store, assignmentId: number, raterId: number): AssignmentRow | undefined {
  return store.db
    .prepare<[number, number], AssignmentRow>(`${ASSIGNMENT_SELECT} WHERE a.id = ? AND a.rater_id = ?`)
    .get(assignmentId, raterId);
}

/** The Likert scores given on one assignment. */
export function assignmentScores(store: Store, assignmentId: number): { criterion: string; score: number }[] {
  return store.db
    .prepare<[number], { criterion: string; score: number }>(
      "SELECT criterion, score FROM ratings WHERE assignment_id = ?",
    )
    .all(assignmentId);
}

/** The pair choice of one assignment (task terms), or undefined. */
export function assignmentChoice(store: Store, assignmentId: number): StoredChoice | undefined {
  return store.db
    .prepare<[number], { choice: StoredChoice }>("SELECT choice FROM pair_choices WHERE assignment_id = ?")
    .get(assignmentId)?.choice;
}

/** Sets (or replaces) one Likert score of an assignment. */
export function upsertRating(store: Store, assignmentId: number, criterion: string, score: number, at: string): void {
  store.db
    .prepare(
      "INSERT INTO ratings (assignment_id, criterion, score, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (assignment_id, criterion) DO UPDATE SET score = excluded.score, created_at = excluded.created_at",
    )
    .run(assignmentId, criterion, score, at);
}

/** Sets (or replaces) the pair choice of an assignment (task terms). */
export function upsertPairChoice(store: Store, assignmentId: number, choice: StoredChoice, at: string): void {
  store.db
    .prepare(
      "INSERT INTO pair_choices (assignment_id, choice, created_at) VALUES (?, ?, ?) ON CONFLICT (assignment_id) DO UPDATE SET choice = excluded.choice, created_at = excluded.created_at",
    )
    .run(assignmentId, choice, at);
}

/** Every Likert score of the experiment's normal single tasks (gold left out), ordered by item, variant, rater, criterion. */
export function likertRatings(
  store: Store,
  experiment: string,
): { item_id: string; variant: string; rater: string; criterion: string; score: number }[] {
  return store.db
    .prepare<[string], { item_id: string; variant: string; rater: string; criterion: string; score: number }>(
      `SELECT t.item_id, t.variant, r.name AS rater, g.criterion, g.score FROM ratings g
      JOIN rating_assignments a ON a.id = g.assignment_id JOIN rating_tasks t ON t.id = a.task_id JOIN raters r ON r.id = a.rater_id
      WHERE t.experiment = ? AND t.kind = 'single' AND t.gold_json IS NULL ORDER BY t.item_id, t.variant, r.name, g.criterion`,
    )
    .all(experiment);
}

/** A non-tie pair choice with both answers (for preference pairs). */
export interface DecisivePairChoiceRow {
  item_id: string;
  question: string;
  variant: string;
  answer: string;
  variant_b: string;
  answer_b: string;
  rater: string;
  choice: "a" | "b";
  created_at: string;
}

/** Every non-tie pair choice of the experiment (gold left out), ordered by item, variants, rater. */
export function decisivePairChoices(store: Store, experiment: string): DecisivePairChoiceRow[] {
  return store.db
    .prepare<[string], DecisivePairChoiceRow>(
      `SELECT t.item_id, t.question, t.variant, t.answer, t.variant_b, t.answer_b, r.name AS rater, c.choice, c.created_at FROM pair_choices c
      JOIN rating_assignments a ON a.id = c.assignment_id JOIN rating_tasks t ON t.id = a.task_id JOIN raters r ON r.id = a.rater_id
      WHERE t.experiment = ? AND c.choice != 'tie' AND t.gold_json IS NULL ORDER BY t.item_id, t.variant, t.variant_b, r.name`,
    )
    .all(experiment);
}

/** Every pair choice of the experiment, ties included (gold left out), ordered by item, variants, rater. */
export function pairChoices(
  store: Store,
  experiment: string,
): { item_id: string; variant: string; variant_b: string; rater: string; choice: StoredChoice }[] {
  return store.db
    .prepare<[string], { item_id: string; variant: string; variant_b: string; rater: string; choice: StoredChoice }>(
      `SELECT t.item_id, t.variant, t.variant_b, r.name AS rater, c.choice FROM pair_choices c
      JOIN rating_assignments a ON a.id = c.assignment_id JOIN rating_tasks t ON t.id = a.task_id JOIN raters r ON r.id = a.rater_id
      WHERE t.experiment = ? AND t.gold_json IS NULL ORDER BY t.item_id, t.variant, t.variant_b, r.name`,
    )
    .all(experiment);
}

/** The gold-item assignments of the experiment with their rater and `gold_json`, by rater name then id. */
export function goldAssignments(store: Store, experiment: string): { id: number; rater: string; gold_json: string }[] {
  return store.db
    .prepare<[string], { id: number; rater: string; gold_json: string }>(
      `SELECT a.id, r.name AS rater, t.gold_json FROM rating_assignments a
      JOIN rating_tasks t ON t.id = a.task_id JOIN raters r ON r.id = a.rater_id
      WHERE t.experiment = ? AND t.gold_json IS NOT NULL ORDER BY r.name, a.id`,
    )
    .all(experiment);
}
