/**
 * Human rating tasks in the store: creation and blind, balanced, randomised assignment; the rater's
 * view of their own tasks; submissions (one transaction each); exports (judgments for the
 * meta-evaluation, human pairwise choices as preference pairs).
 *
 * Blindness: nothing a rater receives names the model variant. Each rater sees their tasks in their
 * own random order; in pairwise tasks which answer is shown first is also random per rater.
 * Tokens: each rater gets a random 256-bit token (their link); only its SHA-256 is stored.
 */
import { createHash, randomBytes } from "node:crypto";
import { WayfarerError } from "../../errors/wayfarer-error.ts";
import type { Store } from "../../store/store.ts";
import { createRng, randomInt, shuffled } from "../meta/bootstrap.ts";
import type { HumanJudgment } from "../meta/judgments.ts";

/** Default Likert criteria (1–5). */
export const DEFAULT_CRITERIA = ["helpfulness", "relevance", "accuracy", "coherence", "conciseness"] as const;

/** Likert scale bounds used by the UI and validation. */
export const LIKERT_MIN = 1;
export const LIKERT_MAX = 5;

/** One generated answer to rate. */
export interface RatingItemInput {
  /** Model variant; stored, never shown to raters. */
  variant: string;
  /** Question id; answers of different variants to the same question share it. */
  item_id: string;
  question: string;
  answer: string;
  /** Golden answer; shown to raters only when `showGolden` is true. */
  golden?: string;
}

/**
 * A gold (attention-check) item: a question and answer whose right scores are known. It is given to
 * every rater at a seeded random position and looks exactly like a normal item; its ratings are kept
 * (see {@link raterAttention}) but never exported as judgments or preference pairs.
 */
export interface GoldItemInput {
  question: string;
  answer: string;
  /** Golden answer, shown under the same rule as normal items (`showGolden`) so the item looks alike. */
  golden?: string;
  /** Expected score per criterion (a subset of the experiment's criteria), 1–5. */
  expected: Record<string, number>;
  /** A rating passes when |score − expected| ≤ tolerance for every expected criterion. Default 1. */
  tolerance?: number;
}

/** Default tolerance of a gold item. */
export const DEFAULT_GOLD_TOLERANCE = 1;

/** Options of {@link createRatingTasks}. */
export interface CreateRatingTasksOptions {
  experiment: string;
  items: readonly RatingItemInput[];
  /** Rater names (unique); each gets a token link. At least `raterPerItem` of them. */
  raters: readonly string[];
  /** Likert criteria. Default {@link DEFAULT_CRITERIA}. */
  criteria?: readonly string[];
  /** Raters per task, ≥ 2. Default 2. */
  raterPerItem?: number;
  /** Seed for assignment and ordering. */
  seed: number;
  /** Show the golden answer (when present). Default false (hidden by design). */
  showGolden?: boolean;
  /** Also create pairwise-preference tasks for every pair of variants answering the same item. Default false. */
  pairwise?: boolean;
  /** Gold / attention items, given to every rater. Default none. */
  gold?: readonly GoldItemInput[];
  /** Name of the admin account (sees everything). Default "admin". */
  adminName?: string;
  /** Clock, for tests. Default `() => new Date()`. */
  now?: () => Date;
}

/** A rater account with its secret token (returned once, at creation). */
export interface RaterCredential {
  name: string;
  role: "rater" | "admin";
  token: string;
  /** Path of the personal link, relative to the server root: `/r/<token>`. */
  link: string;
  /** Number of tasks assigned, gold items included (0 for the admin). */
  tasks: number;
}

/** Result of {@link createRatingTasks}. */
export interface CreatedRatingTasks {
  /** Normal (non-gold) tasks. */
  tasks: number;
  /** Gold tasks (each assigned to every rater; their assignments are counted in `assignments`). */
  gold: number;
  assignments: number;
  raters: RaterCredential[];
  admin: RaterCredential;
}

/** SHA-256 of a token, as stored. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

function newToken(): string {
  return randomBytes(32).toString("base64url");
}

/**
 * Creates the tasks, raters and assignments of an experiment in one transaction. Assignment is
 * balanced: each task goes to the `raterPerItem` raters with the fewest tasks so far (ties broken
 * at random, seeded), and each rater's tasks are then shuffled into their own order.
 * Throws if the experiment already has tasks, a name repeats, or there are too few raters.
 */
export function createRatingTasks(store: Store, options: CreateRatingTasksOptions): CreatedRatingTasks {
  const criteria = [...(options.criteria ?? DEFAULT_CRITERIA)];
  const perItem = options.raterPerItem ?? 2;
  const adminName = options.adminName ?? "admin";
  const now = (options.now ?? (() => new Date()))().toISOString();
  if (!Number.isInteger(perItem) || perItem < 2)
    throw new WayfarerError(`raterPerItem ${perItem}: each item needs at least 2 raters (for agreement statistics)`);
  if (options.raters.length < perItem)
    throw new WayfarerError(
      `${options.raters.length} rater(s) given but raterPerItem is ${perItem}; add raters or lower raterPerItem`,
    );
  if (new Set(options.raters).size !== options.raters.length) throw new WayfarerError("rater names must be unique");
  if (options.raters.includes(adminName))
    throw new WayfarerError(`"${adminName}" is the admin account name; pick another rater name`);
  if (criteria.length === 0 && !options.pairwise)
    throw new WayfarerError("no criteria and no pairwise tasks: nothing to rate");
  if (options.items.length === 0) throw new WayfarerError("no items to rate");
  const gold = options.gold ?? [];
  if (gold.length > 0 && criteria.length === 0)
    throw new WayfarerError("gold items need Likert criteria (they are rated like normal items)");
  gold.forEach((g, i) => {
    const where = `gold item ${i + 1}`;
    const keys = Object.keys(g.expected ?? {});
    if (keys.length === 0) throw new WayfarerError(`${where}: "expected" needs at least one criterion score`);
    for (const k of keys) {
      if (!criteria.includes(k))
        throw new WayfarerError(
          `${where}: criterion "${k}" is not rated in this experiment (use: ${criteria.join(", ")})`,
        );
      const v = g.expected[k]!;
      if (typeof v !== "number" || !Number.isFinite(v) || v < LIKERT_MIN || v > LIKERT_MAX)
        throw new WayfarerError(`${where}: expected ${k} = ${v}; use a number ${LIKERT_MIN}–${LIKERT_MAX}`);
    }
    const tol = g.tolerance ?? DEFAULT_GOLD_TOLERANCE;
    if (typeof tol !== "number" || !Number.isFinite(tol) || tol < 0)
      throw new WayfarerError(`${where}: tolerance ${tol}; use a number ≥ 0`);
  });
  const seen = new Set<string>();
  for (const it of options.items) {
    const k = `${it.variant}\u0000${it.item_id}`;
    if (seen.has(k)) throw new WayfarerError(`item "${it.item_id}" appears twice for variant "${it.variant}"`);
    seen.add(k);
  }
  const db = store.db;
  const rng = createRng(options.seed);
  return db.transaction((): CreatedRatingTasks => {
    const existing = db
      .prepare("SELECT COUNT(*) AS n FROM rating_tasks WHERE experiment = ?")
      .get(options.experiment) as { n: number };
    if (existing.n > 0)
      throw new WayfarerError(
        `experiment "${options.experiment}" already has ${existing.n} rating tasks; use another experiment name or a fresh store`,
      );
    const insertRater = db.prepare(
      "INSERT INTO raters (experiment, name, role, token_hash, created_at) VALUES (?, ?, ?, ?, ?)",
    );
    const creds: RaterCredential[] = [];
    const raterIds: number[] = [];
    for (const name of options.raters) {
      const token = newToken();
      raterIds.push(Number(insertRater.run(options.experiment, name, "rater", hashToken(token), now).lastInsertRowid));
      creds.push({ name, role: "rater", token, link: `/r/${token}`, tasks: 0 });
    }
    const adminToken = newToken();
    insertRater.run(options.experiment, adminName, "admin", hashToken(adminToken), now);

    const insertTask = db.prepare(
      "INSERT INTO rating_tasks (experiment, kind, item_id, question, variant, answer, variant_b, answer_b, golden, show_golden, criteria_json, created_at, gold_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    );
    const taskIds: Array<{ id: number; kind: "single" | "pair" }> = [];
    const showGolden = options.showGolden ? 1 : 0;
    if (criteria.length > 0) {
      for (const it of options.items) {
        const id = Number(
          insertTask.run(
            options.experiment,
            "single",
            it.item_id,
            it.question,
            it.variant,
            it.answer,
            null,
            null,
            it.golden ?? null,
            showGolden,
            JSON.stringify(criteria),
            now,
            null,
          ).lastInsertRowid,
        );
        taskIds.push({ id, kind: "single" });
      }
    }
    if (options.pairwise) {
      const byItem = new Map<string, RatingItemInput[]>();
      for (const it of options.items) byItem.set(it.item_id, [...(byItem.get(it.item_id) ?? []), it]);
      for (const group of byItem.values()) {
        for (let i = 0; i < group.length; i++)
          for (let j = i + 1; j < group.length; j++) {
            const a = group[i]!;
            const b = group[j]!;
            const id = Number(
              insertTask.run(
                options.experiment,
                "pair",
                a.item_id,
                a.question,
                a.variant,
                a.answer,
                b.variant,
                b.answer,
                a.golden ?? null,
                showGolden,
                "[]",
                now,
                null,
              ).lastInsertRowid,
            );
            taskIds.push({ id, kind: "pair" });
          }
      }
    }
    // Balanced assignment: least-loaded raters first, random among equals.
    const load = new Array<number>(raterIds.length).fill(0);
    const perRater: number[][] = raterIds.map(() => []);
    for (const task of shuffled(taskIds, rng)) {
      const order = raterIds
        .map((_, i) => i)
        .map((i) => ({ i, load: load[i]!, r: rng() }))
        .sort((p, q) => p.load - q.load || p.r - q.r);
      for (const { i } of order.slice(0, perItem)) {
        load[i]!++;
        perRater[i]!.push(task.id);
      }
    }
    // Gold items: one task each, given to every rater, shuffled in among their normal tasks.
    const goldIds = gold.map((g, i) =>
      Number(
        insertTask.run(
          options.experiment,
          "single",
          `${GOLD_ITEM_PREFIX}${i + 1}`,
          g.question,
          GOLD_VARIANT,
          g.answer,
          null,
          null,
          g.golden ?? null,
          showGolden,
          JSON.stringify(criteria),
          now,
          JSON.stringify({ expected: g.expected, tolerance: g.tolerance ?? DEFAULT_GOLD_TOLERANCE }),
        ).lastInsertRowid,
      ),
    );
    if (goldIds.length > 0) for (const tasks of perRater) tasks.push(...goldIds);
    const insertAssignment = db.prepare(
      "INSERT INTO rating_assignments (task_id, rater_id, position, swapped) VALUES (?, ?, ?, ?)",
    );
    let assignments = 0;
    perRater.forEach((tasks, i) => {
      shuffled(tasks, rng).forEach((taskId, position) => {
        insertAssignment.run(taskId, raterIds[i]!, position, randomInt(rng, 2));
        assignments++;
      });
      creds[i]!.tasks = tasks.length;
    });
    return {
      tasks: taskIds.length,
      gold: goldIds.length,
      assignments,
      raters: creds,
      admin: { name: adminName, role: "admin", token: adminToken, link: `/r/${adminToken}`, tasks: 0 },
    };
  })();
}

/** Item id and variant stored for gold tasks (never shown to raters). */
const GOLD_ITEM_PREFIX = "__gold__/";
const GOLD_VARIANT = "__gold__";

/** A logged-in rater (or admin), found by token. */
export interface RaterIdentity {
  id: number;
  experiment: string;
  name: string;
  role: "rater" | "admin";
}

/** Looks a token up; null when unknown. Constant-time in the sense that only the hash is compared in SQL. */
export function findRater(store: Store, token: string): RaterIdentity | null {
  if (!token || token.length > 200) return null;
  const row = store.db
    .prepare("SELECT id, experiment, name, role FROM raters WHERE token_hash = ?")
    .get(hashToken(token)) as RaterIdentity | undefined;
  return row ?? null;
}

/** One task as a rater sees it: no variant names, answers in this rater's order. */
export interface RaterTaskView {
  /** Assignment id: the handle used to submit. */
  id: number;
  position: number;
  kind: "single" | "pair";
  question: string;
  answer: string;
  /** Pair tasks: the second answer shown. */
  answerB?: string;
  golden?: string;
  criteria: string[];
  /** Submitted scores so far (criterion → 1..5). */
  scores: Record<string, number>;
  /** Pair tasks: the submitted choice in display terms ("a" = first shown). */
  choice?: "a" | "b" | "tie";
  done: boolean;
}

interface AssignmentRow {
  id: number;
  position: number;
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

const ASSIGNMENT_SELECT = `SELECT a.id, a.position, a.swapped, a.rater_id, r.name AS rater_name, t.kind, t.question, t.answer, t.answer_b, t.golden,
  t.show_golden, t.criteria_json, t.variant, t.variant_b, t.item_id, t.gold_json
  FROM rating_assignments a JOIN rating_tasks t ON t.id = a.task_id JOIN raters r ON r.id = a.rater_id`;

const flip = (c: "a" | "b" | "tie"): "a" | "b" | "tie" => (c === "a" ? "b" : c === "b" ? "a" : "tie");

function toView(store: Store, row: AssignmentRow): RaterTaskView {
  const criteria = JSON.parse(row.criteria_json) as string[];
  const scores: Record<string, number> = {};
  for (const s of store.db
    .prepare("SELECT criterion, score FROM ratings WHERE assignment_id = ?")
    .all(row.id) as Array<{ criterion: string; score: number }>)
    scores[s.criterion] = s.score;
  const view: RaterTaskView = {
    id: row.id,
    position: row.position,
    kind: row.kind,
    question: row.question,
    answer: row.answer,
    criteria,
    scores,
    done: false,
  };
  if (row.show_golden && row.golden !== null) view.golden = row.golden;
  if (row.kind === "pair") {
    const swapped = row.swapped === 1;
    view.answer = swapped ? row.answer_b! : row.answer;
    view.answerB = swapped ? row.answer : row.answer_b!;
    const c = store.db.prepare("SELECT choice FROM pair_choices WHERE assignment_id = ?").get(row.id) as
      | { choice: "a" | "b" | "tie" }
      | undefined;
    if (c) view.choice = swapped ? flip(c.choice) : c.choice;
    view.done = c !== undefined && criteria.every((k) => scores[k] !== undefined);
  } else view.done = criteria.every((k) => scores[k] !== undefined);
  return view;
}

/** The rater's own tasks in their order. */
export function tasksForRater(store: Store, rater: RaterIdentity): RaterTaskView[] {
  const rows = store.db
    .prepare(`${ASSIGNMENT_SELECT} WHERE a.rater_id = ? ORDER BY a.position`)
    .all(rater.id) as AssignmentRow[];
  return rows.map((r) => toView(store, r));
}

/** Admin overview row: everything, including variants and rater names. */
export interface AdminAssignmentView extends RaterTaskView {
  rater: string;
  variant: string;
  variantB?: string;
  itemId: string;
  /** True for gold / attention items (admin only; raters never see this). */
  gold?: true;
}

/** Every assignment of the admin's experiment (admin only). */
export function allAssignments(store: Store, admin: RaterIdentity): AdminAssignmentView[] {
  if (admin.role !== "admin") throw new WayfarerError("only an admin can list all assignments");
  const rows = store.db
    .prepare(`${ASSIGNMENT_SELECT} WHERE t.experiment = ? ORDER BY r.name, a.position`)
    .all(admin.experiment) as AssignmentRow[];
  return rows.map((r) => ({
    ...toView(store, r),
    rater: r.rater_name,
    variant: r.variant,
    ...(r.variant_b ? { variantB: r.variant_b } : {}),
    itemId: r.item_id,
    ...(r.gold_json !== null ? { gold: true as const } : {}),
  }));
}

/** A submission for one assignment. Scores may be partial (saved as they come); `choice` is in display terms. */
export interface RatingSubmission {
  assignmentId: number;
  scores?: Record<string, number>;
  choice?: "a" | "b" | "tie";
}

/** Thrown when a rater submits for an assignment that is not theirs (or does not exist). */
export class AssignmentNotFoundError extends WayfarerError {
  override name = "AssignmentNotFoundError";
}

/**
 * Stores a submission in one transaction (re-submitting replaces earlier values). Validates that the
 * assignment belongs to the rater, that criteria belong to the task and scores are integers 1..5.
 * Returns the updated view.
 */
export function submitRating(
  store: Store,
  rater: RaterIdentity,
  submission: RatingSubmission,
  now: () => Date = () => new Date(),
): RaterTaskView {
  const db = store.db;
  return db.transaction((): RaterTaskView => {
    const row = db
      .prepare(`${ASSIGNMENT_SELECT} WHERE a.id = ? AND a.rater_id = ?`)
      .get(submission.assignmentId, rater.id) as AssignmentRow | undefined;
    if (!row) throw new AssignmentNotFoundError(`assignment ${submission.assignmentId} is not one of your tasks`);
    const criteria = JSON.parse(row.criteria_json) as string[];
    const at = now().toISOString();
    for (const [criterion, score] of Object.entries(submission.scores ?? {})) {
      if (!criteria.includes(criterion))
        throw new WayfarerError(`criterion "${criterion}" is not rated in this task (use: ${criteria.join(", ")})`);
      if (!Number.isInteger(score) || score < LIKERT_MIN || score > LIKERT_MAX)
        throw new WayfarerError(`score ${score} for "${criterion}": use a whole number ${LIKERT_MIN}–${LIKERT_MAX}`);
      db.prepare(
        "INSERT INTO ratings (assignment_id, criterion, score, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (assignment_id, criterion) DO UPDATE SET score = excluded.score, created_at = excluded.created_at",
      ).run(row.id, criterion, score, at);
    }
    if (submission.choice !== undefined) {
      if (row.kind !== "pair") throw new WayfarerError("this task has no pairwise choice");
      const stored = row.swapped === 1 ? flip(submission.choice) : submission.choice;
      db.prepare(
        "INSERT INTO pair_choices (assignment_id, choice, created_at) VALUES (?, ?, ?) ON CONFLICT (assignment_id) DO UPDATE SET choice = excluded.choice, created_at = excluded.created_at",
      ).run(row.id, stored, at);
    }
    return toView(store, row);
  })();
}

/** All Likert ratings of an experiment as human judgments (input = item_id, system = variant). */
export function ratingsAsJudgments(store: Store, experiment: string): HumanJudgment[] {
  const rows = store.db
    .prepare(`SELECT t.item_id, t.variant, r.name AS rater, g.criterion, g.score FROM ratings g
      JOIN rating_assignments a ON a.id = g.assignment_id JOIN rating_tasks t ON t.id = a.task_id JOIN raters r ON r.id = a.rater_id
      WHERE t.experiment = ? AND t.kind = 'single' AND t.gold_json IS NULL ORDER BY t.item_id, t.variant, r.name, g.criterion`)
    .all(experiment) as Array<{ item_id: string; variant: string; rater: string; criterion: string; score: number }>;
  return rows.map((r) => ({
    inputId: r.item_id,
    systemId: r.variant,
    raterId: r.rater,
    criterion: r.criterion,
    score: r.score,
  }));
}

/** One preference pair in the Hugging Face `prompt`/`chosen`/`rejected` convention, with provenance. */
export interface HumanPreferencePair {
  prompt: string;
  chosen: string;
  rejected: string;
  provenance: {
    source: "human-pairwise";
    experiment: string;
    item_id: string;
    rater: string;
    chosen_variant: string;
    rejected_variant: string;
    rated_at: string;
  };
}

/** What {@link preferencePairsWithCounts} returns: the pairs, and what was left out and why. */
export interface HumanPreferenceExport {
  pairs: HumanPreferencePair[];
  /** Non-tie choices between two answers with the same text (after trimming): no preference to learn. */
  identical: number;
  /** Tie choices: no preference. */
  ties: number;
}

/**
 * Human pairwise choices as preference pairs, one per (rater, pair) with a non-tie choice. Left out, and
 * counted: ties (no preference), and choices between two answers whose texts are equal after trimming
 * (chosen == rejected: a DPO pair with nothing to learn, which two variants answering alike produce).
 * Several raters choosing on the same pair give several rows.
 */
export function preferencePairsWithCounts(store: Store, experiment: string): HumanPreferenceExport {
  const all = choicePairs(store, experiment);
  const pairs = all.filter((p) => p.chosen.trim() !== p.rejected.trim());
  const ties = exportPairChoices(store, experiment).filter((c) => c.verdict === "tie").length;
  return { pairs, identical: all.length - pairs.length, ties };
}

/** {@link preferencePairsWithCounts}' pairs: ties and identical answers left out. */
export function exportPreferencePairs(store: Store, experiment: string): HumanPreferencePair[] {
  return preferencePairsWithCounts(store, experiment).pairs;
}

/** Every non-tie human choice as a prompt/chosen/rejected pair (identical answers included). */
function choicePairs(store: Store, experiment: string): HumanPreferencePair[] {
  const rows = store.db
    .prepare(`SELECT t.item_id, t.question, t.variant, t.answer, t.variant_b, t.answer_b, r.name AS rater, c.choice, c.created_at FROM pair_choices c
      JOIN rating_assignments a ON a.id = c.assignment_id JOIN rating_tasks t ON t.id = a.task_id JOIN raters r ON r.id = a.rater_id
      WHERE t.experiment = ? AND c.choice != 'tie' AND t.gold_json IS NULL ORDER BY t.item_id, t.variant, t.variant_b, r.name`)
    .all(experiment) as Array<{
    item_id: string;
    question: string;
    variant: string;
    answer: string;
    variant_b: string;
    answer_b: string;
    rater: string;
    choice: "a" | "b";
    created_at: string;
  }>;
  return rows.map((r) => {
    const aWins = r.choice === "a";
    return {
      prompt: r.question,
      chosen: aWins ? r.answer : r.answer_b,
      rejected: aWins ? r.answer_b : r.answer,
      provenance: {
        source: "human-pairwise",
        experiment,
        item_id: r.item_id,
        rater: r.rater,
        chosen_variant: aWins ? r.variant : r.variant_b,
        rejected_variant: aWins ? r.variant_b : r.variant,
        rated_at: r.created_at,
      },
    };
  });
}

/** One human pairwise choice in the JSONL shape `wayfarer meta --human-pairwise` reads. */
export interface HumanPairChoiceRow {
  input_id: string;
  model_a: string;
  model_b: string;
  /** "A": model_a's answer was chosen; "B"; or "tie". */
  verdict: "A" | "B" | "tie";
  rater_id: string;
}

/**
 * Every human pairwise choice of the experiment, ties included, oriented as stored (variant = model_a,
 * variant_b = model_b; the per-rater on-screen swap is already undone when a choice is stored). Gold items are
 * left out. Ordered by item, pair and rater. Input of `wayfarer meta --human-pairwise` (see
 * `src/evaluation/meta/pairwise-verdicts.ts`).
 */
export function exportPairChoices(store: Store, experiment: string): HumanPairChoiceRow[] {
  const rows = store.db
    .prepare(`SELECT t.item_id, t.variant, t.variant_b, r.name AS rater, c.choice FROM pair_choices c
      JOIN rating_assignments a ON a.id = c.assignment_id JOIN rating_tasks t ON t.id = a.task_id JOIN raters r ON r.id = a.rater_id
      WHERE t.experiment = ? AND t.gold_json IS NULL ORDER BY t.item_id, t.variant, t.variant_b, r.name`)
    .all(experiment) as Array<{
    item_id: string;
    variant: string;
    variant_b: string;
    rater: string;
    choice: "a" | "b" | "tie";
  }>;
  return rows.map((r) => ({
    input_id: r.item_id,
    model_a: r.variant,
    model_b: r.variant_b,
    verdict: r.choice === "a" ? "A" : r.choice === "b" ? "B" : "tie",
    rater_id: r.rater,
  }));
}

/** Attention summary of one rater over the gold items. */
export interface RaterAttention {
  rater: string;
  /** Gold items assigned to the rater. */
  goldAssigned: number;
  /** Gold items with every expected criterion rated. */
  goldRated: number;
  /** Rated gold items whose every expected criterion is within tolerance. */
  passed: number;
  /** passed / goldRated; null when nothing was rated yet. */
  passRate: number | null;
}

/**
 * Per-rater attention summary over the experiment's gold items (raters only, by name). Empty when the
 * experiment has no gold items.
 */
export function raterAttention(store: Store, experiment: string): RaterAttention[] {
  const rows = store.db
    .prepare(`SELECT a.id, r.name AS rater, t.gold_json FROM rating_assignments a
      JOIN rating_tasks t ON t.id = a.task_id JOIN raters r ON r.id = a.rater_id
      WHERE t.experiment = ? AND t.gold_json IS NOT NULL ORDER BY r.name, a.id`)
    .all(experiment) as Array<{ id: number; rater: string; gold_json: string }>;
  const scoresOf = store.db.prepare("SELECT criterion, score FROM ratings WHERE assignment_id = ?");
  const by = new Map<string, RaterAttention>();
  for (const row of rows) {
    const entry = by.get(row.rater) ?? { rater: row.rater, goldAssigned: 0, goldRated: 0, passed: 0, passRate: null };
    by.set(row.rater, entry);
    entry.goldAssigned++;
    const gold = JSON.parse(row.gold_json) as { expected: Record<string, number>; tolerance: number };
    const scores = new Map(
      (scoresOf.all(row.id) as Array<{ criterion: string; score: number }>).map((s) => [s.criterion, s.score]),
    );
    const expected = Object.entries(gold.expected);
    if (!expected.every(([c]) => scores.has(c))) continue;
    entry.goldRated++;
    // A small epsilon so that a fractional tolerance is not defeated by floating point.
    if (expected.every(([c, v]) => Math.abs(scores.get(c)! - v) <= gold.tolerance + 1e-9)) entry.passed++;
  }
  for (const e of by.values()) e.passRate = e.goldRated === 0 ? null : e.passed / e.goldRated;
  return [...by.values()];
}
