import { describe, expect, it } from "vitest";
import { krippendorffAlpha } from "../../../../src/evaluation/human/agreement.ts";
import { agreementByCriterion } from "../../../../src/evaluation/human/summary.ts";
import {
  allAssignments,
  createRatingTasks,
  exportPairChoices,
  exportPreferencePairs,
  findRater,
  hashToken,
  ratingsAsJudgments,
  submitRating,
  tasksForRater,
} from "../../../../src/evaluation/human/tasks.ts";
import { Store } from "../../../../src/store/store.ts";

const items = ["q1", "q2", "q3"].flatMap((q) =>
  ["base", "dpo"].map((variant) => ({
    variant,
    item_id: q,
    question: `Where to stay in ${q}?`,
    answer: `${variant} answer for ${q}`,
    golden: `golden ${q}`,
  })),
);

function setup(extra: Partial<Parameters<typeof createRatingTasks>[1]> = {}) {
  const store = Store.open(":memory:");
  const created = createRatingTasks(store, {
    experiment: "exp",
    items,
    raters: ["ana", "ben", "cho"],
    raterPerItem: 2,
    seed: 7,
    ...extra,
  });
  return { store, created };
}

describe("createRatingTasks", () => {
  it("gives every task to exactly raterPerItem distinct raters, balanced", () => {
    const { store, created } = setup();
    expect(created.tasks).toBe(6);
    expect(created.assignments).toBe(12);
    expect(created.raters.map((r) => r.tasks).sort()).toEqual([4, 4, 4]);
    const per = store.db
      .prepare("SELECT task_id, COUNT(DISTINCT rater_id) AS n FROM rating_assignments GROUP BY task_id")
      .all() as Array<{ n: number }>;
    expect(per.map((p) => p.n)).toEqual([2, 2, 2, 2, 2, 2]);
  });
  it("stores only token hashes and finds raters by token", () => {
    const { store, created } = setup();
    const ana = created.raters[0]!;
    expect(ana.link).toBe(`/r/${ana.token}`);
    expect(store.db.prepare("SELECT COUNT(*) AS n FROM raters WHERE token_hash = ?").get(hashToken(ana.token))).toEqual(
      { n: 1 },
    );
    expect(JSON.stringify(store.db.prepare("SELECT * FROM raters").all())).not.toContain(ana.token);
    expect(findRater(store, ana.token)).toMatchObject({ name: "ana", role: "rater" });
    expect(findRater(store, created.admin.token)).toMatchObject({ name: "admin", role: "admin" });
    expect(findRater(store, "nope")).toBeNull();
  });
  it("hides the variant and the golden answer by default; randomises order per rater", () => {
    const { store, created } = setup();
    const views = created.raters.map((r) => tasksForRater(store, findRater(store, r.token)!));
    for (const v of views) {
      expect(JSON.stringify(v)).not.toMatch(/"variant"|golden/);
      expect(v.map((t) => t.position)).toEqual([0, 1, 2, 3]);
    }
    const shown = setup({ showGolden: true });
    const v = tasksForRater(shown.store, findRater(shown.store, shown.created.raters[0]!.token)!);
    expect(v[0]!.golden).toMatch(/^golden q/);
    // Different seeds give different orders.
    const other = setup({ seed: 8 });
    const a = tasksForRater(store, findRater(store, created.raters[0]!.token)!).map((t) => t.answer);
    const b = tasksForRater(other.store, findRater(other.store, other.created.raters[0]!.token)!).map((t) => t.answer);
    expect(a).not.toEqual(b);
  });
  it("validates its options", () => {
    const store = Store.open(":memory:");
    expect(() => createRatingTasks(store, { experiment: "e", items, raters: ["a"], raterPerItem: 2, seed: 1 })).toThrow(
      /1 rater\(s\) given/,
    );
    expect(() =>
      createRatingTasks(store, { experiment: "e", items, raters: ["a", "b"], raterPerItem: 1, seed: 1 }),
    ).toThrow(/at least 2 raters/);
    expect(() =>
      createRatingTasks(store, { experiment: "e", items: [items[0]!, items[0]!], raters: ["a", "b"], seed: 1 }),
    ).toThrow(/appears twice/);
    createRatingTasks(store, { experiment: "e", items, raters: ["a", "b"], seed: 1 });
    expect(() => createRatingTasks(store, { experiment: "e", items, raters: ["a", "b"], seed: 1 })).toThrow(
      /already has 6 rating tasks/,
    );
  });
});

describe("submitRating", () => {
  it("stores scores, replaces on resubmit, and refuses other raters' tasks", () => {
    const { store, created } = setup();
    const ana = findRater(store, created.raters[0]!.token)!;
    const ben = findRater(store, created.raters[1]!.token)!;
    const task = tasksForRater(store, ana)[0]!;
    const after = submitRating(store, ana, { assignmentId: task.id, scores: { helpfulness: 4, relevance: 5 } });
    expect(after.scores).toEqual({ helpfulness: 4, relevance: 5 });
    expect(after.done).toBe(false);
    const full = submitRating(store, ana, {
      assignmentId: task.id,
      scores: { helpfulness: 2, relevance: 5, accuracy: 3, coherence: 4, conciseness: 1 },
    });
    expect(full.done).toBe(true);
    expect(full.scores.helpfulness).toBe(2);
    const benIds = new Set(tasksForRater(store, ben).map((t) => t.id));
    const foreign = tasksForRater(store, ana).find((t) => !benIds.has(t.id))!;
    expect(() => submitRating(store, ben, { assignmentId: foreign.id, scores: { helpfulness: 1 } })).toThrow(
      /not one of your tasks/,
    );
    expect(() => submitRating(store, ana, { assignmentId: task.id, scores: { helpfulness: 6 } })).toThrow(
      /whole number 1–5/,
    );
    expect(() => submitRating(store, ana, { assignmentId: task.id, scores: { charm: 3 } })).toThrow(
      /not rated in this task/,
    );
    // A failed submission changes nothing (one transaction).
    expect(() =>
      submitRating(store, ana, { assignmentId: task.id, scores: { helpfulness: 5, relevance: 9 } }),
    ).toThrow();
    expect(tasksForRater(store, ana)[0]!.scores.helpfulness).toBe(2);
    const judgments = ratingsAsJudgments(store, "exp");
    expect(judgments).toHaveLength(5);
    expect(judgments[0]).toMatchObject({ raterId: "ana" });
    expect(() => allAssignments(store, ana)).toThrow(/only an admin/);
    expect(allAssignments(store, findRater(store, created.admin.token)!)).toHaveLength(12);
  });
  it("exports every pairwise choice, ties included, oriented as model_a / model_b", () => {
    const { store, created } = setup({ pairwise: true, criteria: [], raters: ["ana", "ben"] });
    for (const cred of created.raters) {
      const r = findRater(store, cred.token)!;
      for (const t of tasksForRater(store, r)) {
        const tie = cred.name === "ana" && t.question.endsWith(" q1?");
        submitRating(store, r, { assignmentId: t.id, choice: tie ? "tie" : t.answer.startsWith("dpo") ? "a" : "b" });
      }
    }
    const choices = exportPairChoices(store, "exp");
    expect(choices).toHaveLength(6);
    expect(choices.filter((c) => c.verdict === "tie")).toEqual([
      expect.objectContaining({ input_id: "q1", rater_id: "ana", verdict: "tie" }),
    ]);
    for (const c of choices.filter((x) => x.verdict !== "tie"))
      expect(c.verdict === "A" ? c.model_a : c.model_b).toBe("dpo");
    expect(exportPreferencePairs(store, "exp")).toHaveLength(5);
  });
  it("exports pairwise choices as preference pairs, undoing the per-rater swap", () => {
    const { store, created } = setup({ pairwise: true, criteria: [], raters: ["ana", "ben"] });
    expect(created.tasks).toBe(3);
    for (const cred of created.raters) {
      const r = findRater(store, cred.token)!;
      for (const t of tasksForRater(store, r)) {
        // Each rater picks whichever shown answer came from "dpo".
        submitRating(store, r, { assignmentId: t.id, choice: t.answer.startsWith("dpo") ? "a" : "b" });
      }
    }
    const pairs = exportPreferencePairs(store, "exp");
    expect(pairs).toHaveLength(6);
    for (const p of pairs) {
      expect(p.chosen).toMatch(/^dpo answer/);
      expect(p.rejected).toMatch(/^base answer/);
      expect(p.provenance).toMatchObject({ source: "human-pairwise", chosen_variant: "dpo", rejected_variant: "base" });
      expect(p.prompt).toBe(`Where to stay in ${p.provenance.item_id}?`);
    }
  });
});

describe("agreementByCriterion", () => {
  it("computes alpha, kappa and Fleiss per criterion and flags small samples", () => {
    const js = [
      ...[1, 2, 3, 4, 5, 3].map((s, i) => ({
        inputId: `q${i}`,
        systemId: "a",
        raterId: "r1",
        criterion: "h",
        score: s,
      })),
      ...[1, 2, 4, 4, 5, 2].map((s, i) => ({
        inputId: `q${i}`,
        systemId: "a",
        raterId: "r2",
        criterion: "h",
        score: s,
      })),
    ];
    const [h] = agreementByCriterion(js);
    expect(h!.itemsWithTwoRatings).toBe(6);
    expect(h!.alphaInterval).toBeCloseTo(
      krippendorffAlpha(
        [
          [1, 2, 3, 4, 5, 3],
          [1, 2, 4, 4, 5, 2],
        ],
        { level: "interval" },
      )!,
      12,
    );
    expect(h!.cohenQuadratic).not.toBeNull();
    expect(h!.fleissItems).toBe(6);
    expect(h!.sufficient).toBe(false);
    expect(h!.note).toMatch(/too few items rated twice/);
  });
});
