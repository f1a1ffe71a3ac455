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
import {
  type AssignmentRow,
  assignmentChoice,
  assignmentOfRater,
  assignmentScores,
  assignmentsOfExperiment,
  assignmentsOfRater,
  countRatingTasks,
  decisivePairChoices,
  goldAssignments,
  likertRatings,
  pairChoices,
  raterByTokenHash,
  ratingTaskWriter,
  upsertPairChoice,
  upsertRating,
} from "../../store/human.ts";
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
  const rng = createRng(options.seed);
  const write = ratingTaskWriter(store);
  return store.transaction((): CreatedRatingTasks => {
    const existing = countRatingTasks(store, options.experiment);
    if (existing > 0)
      throw new WayfarerError(
        `experiment "${options.experiment}" already has ${existing} rating tasks; use another experiment name or a fresh store`,
      );
    const insertRater = (name: string, role: "rater" | "admin", token: string) =>
      write.insertRater({ experiment: options.experiment, name, role, tokenHash: hashToken(token), createdAt: now });
    const creds: RaterCredential[] = [];
    const raterIds: number[] = [];
    for (const name of options.raters) {
      const token = newToken();
      raterIds.push(insertRater(name, "rater", token));
      creds.push({ name, role: "rater", token, link: `/r/${token}`, tasks: 0 });
    }
    const adminToken = newToken();
    insertRater(adminName, "admin", adminToken);

    const taskIds: Array<{ id: number; kind: "single" | "pair" }> = [];
    const showGolden = options.showGolden ?? false;
    const base = { experiment: options.experiment, showGolden, createdAt: now };
    if (criteria.length > 0) {
      for (const it of options.items) {
        const id = write.insertTask({
          ...base,
          kind: "single",
          itemId: it.item_id,
          question: it.question,
          variant: it.variant,
          answer: it.answer,
          variantB: null,
          answerB: null,
          golden: it.golden ?? null,
          criteriaJson: JSON.stringify(criteria),
          goldJson: null,
        });
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
            const id = write.insertTask({
              ...base,
              kind: "pair",
              itemId: a.item_id,
              question: a.question,
              variant: a.variant,
              answer: a.answer,
              variantB: b.variant,
              answerB: b.answer,
              golden: a.golden ?? null,
              criteriaJson: "[]",
              goldJson: null,
            });
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
      write.insertTask({
        ...base,
        kind: "single",
        itemId: `${GOLD_ITEM_PREFIX}${i + 1}`,
        question: g.question,
        variant: GOLD_VARIANT,
        answer: g.answer,
        variantB: null,
        answerB: null,
        golden: g.golden ?? null,
        criteriaJson: JSON.stringify(criteria),
        goldJson: JSON.stringify({ expected: g.expected, tolerance: g.tolerance ?? DEFAULT_GOLD_TOLERANCE }),
      }),
    );
    if (goldIds.length > 0) for (const tasks of perRater) tasks.push(...goldIds);
    let assignments = 0;
    perRater.forEach((tasks, i) => {
      shuffled(tasks, rng).forEach((taskId, position) => {
        write.insertAssignment({ taskId, raterId: raterIds[i]!, position, swapped: randomInt(rng, 2) });
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
  });
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
  return raterByTokenHash(store, hashToken(token)) ?? null;
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

const flip = (c: "a" | "b" | "tie"): "a" | "b" | "tie" => (c === "a" ? "b" : c === "b" ? "a" : "tie");

function toView(store: Store, row: AssignmentRow): RaterTaskView {
  const criteria = JSON.parse(row.criteria_json) as string[];
  const scores: Record<string, number> = {};
  for (const s of assignmentScores(store, row.id)) scores[s.criterion] = s.score;
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
    const c = assignmentChoice(store, row.id);
    if (c) view.choice = swapped ? flip(c) : c;
    view.done = c !== undefined && criteria.every((k) => scores[k] !== undefined);
  } else view.done = criteria.every((k) => scores[k] !== undefined);
  return view;
}

/** The rater's own tasks in their order. */
export function tasksForRater(store: Store, rater: RaterIdentity): RaterTaskView[] {
  return assignmentsOfRater(store, rater.id).map((r) => toView(store, r));
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
  return assignmentsOfExperiment(store, admin.experiment).map((r) => ({
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
  return store.transaction((): RaterTaskView => {
    const row = assignmentOfRater(store, submission.assignmentId, rater.id);
    if (!row) throw new AssignmentNotFoundError(`assignment ${submission.assignmentId} is not one of your tasks`);
    const criteria = JSON.parse(row.criteria_json) as string[];
    const at = now().toISOString();
    for (const [criterion, score] of Object.entries(submission.scores ?? {})) {
      if (!criteria.includes(criterion))
        throw new WayfarerError(`criterion "${criterion}" is not rated in this task (use: ${criteria.join(", ")})`);
      if (!Number.isInteger(score) || score < LIKERT_MIN || score > LIKERT_MAX)
        throw new WayfarerError(`score ${score} for "${criterion}": use a whole number ${LIKERT_MIN}–${LIKERT_MAX}`);
      upsertRating(store, row.id, criterion, score, at);
    }
    if (submission.choice !== undefined) {
      if (row.kind !== "pair") throw new WayfarerError("this task has no pairwise choice");
      const stored = row.swapped === 1 ? flip(submission.choice) : submission.choice;
      upsertPairChoice(store, row.id, stored, at);
    }
    return toView(store, row);
  });
}

/** All Likert ratings of an experiment as human judgments (input = item_id, system = variant). */
export function ratingsAsJudgments(store: Store, experiment: string): HumanJudgment[] {
  const rows = likertRatings(store, experiment);
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
  const rows = decisivePairChoices(store, experiment);
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
  const rows = pairChoices(store, experiment);
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
  const rows = goldAssignments(store, experiment);
  const by = new Map<string, RaterAttention>();
  for (const row of rows) {
    const entry = by.get(row.rater) ?? { rater: row.rater, goldAssigned: 0, goldRated: 0, passed: 0, passRate: null };
    by.set(row.rater, entry);
    entry.goldAssigned++;
    const gold = JSON.parse(row.gold_json) as { expected: Record<string, number>; tolerance: number };
    const scores = new Map(assignmentScores(store, row.id).map((s) => [s.criterion, s.score]));
    const expected = Object.entries(gold.expected);
    if (!expected.every(([c]) => scores.has(c))) continue;
    entry.goldRated++;
    // A small epsilon so that a fractional tolerance is not defeated by floating point.
    if (expected.every(([c, v]) => Math.abs(scores.get(c)! - v) <= gold.tolerance + 1e-9)) entry.passed++;
  }
  for (const e of by.values()) e.passRate = e.goldRated === 0 ? null : e.passed / e.goldRated;
  return [...by.values()];
}
