/** The report's human section, from ratings stored the way the rater UI stores them. */
import { describe, expect, it } from "vitest";
import { createRatingTasks, findRater, submitRating, tasksForRater } from "../../../src/evaluation/human/tasks.ts";
import type { ScoreRecord } from "../../../src/experiment/stages/evaluate-stage.ts";
import { buildHumanSection } from "../../../src/report/human-section.ts";
import { Store } from "../../../src/store/store.ts";

const VARIANTS = ["base", "sft"];

function setup(questions: number) {
  const store = Store.open(":memory:");
  const items = Array.from({ length: questions }, (_, q) =>
    VARIANTS.map((variant) => ({
      variant,
      item_id: `q${q}`,
      question: `Question ${q}?`,
      answer: `${variant} answer ${q}`,
    })),
  ).flat();
  const created = createRatingTasks(store, {
    experiment: "x",
    items,
    raters: ["ann", "bob"],
    criteria: ["helpfulness"],
    seed: 3,
  });
  // every rater rates every task: sft answers better on even questions, both raters agree within 1 point
  for (const cred of created.raters) {
    const rater = findRater(store, cred.token)!;
    for (const t of tasksForRater(store, rater)) {
      // raters see no variant names; the test reads them back from its own answer texts
      const [variant, , qs] = t.answer.split(" ");
      const q = Number(qs);
      const good = variant === "sft" ? q % 2 === 0 : q % 2 === 1;
      submitRating(store, rater, {
        assignmentId: t.id,
        scores: { helpfulness: good ? 5 - (cred.name === "bob" && q % 3 === 0 ? 1 : 0) : 2 },
      });
    }
  }
  const scores: ScoreRecord[] = items.map((it) => {
    const q = Number(it.item_id.slice(1));
    const good = it.variant === "sft" ? q % 2 === 0 : q % 2 === 1;
    return {
      variant: it.variant,
      itemId: it.item_id,
      evaluator: "judge-single",
      status: "scored",
      value: good ? 8 : 3,
      reason: null,
      signature: "s",
    };
  });
  return { store, scores };
}

describe("buildHumanSection", () => {
  it("is null before anyone rated", () => {
    using store = Store.open(":memory:");
    expect(buildHumanSection(store, "x", [])).toBeNull();
  });

  it("reports agreement and the trust table, and says when there is too little data", () => {
    const { store, scores } = setup(4);
    const h = buildHumanSection(store, "x", scores)!;
    expect(h.ratings).toBe(2 * 4 * 2);
    expect(h.raters).toBe(2);
    expect(h.agreement).toHaveLength(1);
    expect(h.agreement[0]).toMatchObject({ criterion: "helpfulness", itemsWithTwoRatings: 8, sufficient: false });
    expect(h.trust!.rows).toHaveLength(1);
    expect(h.trust!.rows[0]!.evaluator).toBe("judge-single");
    expect(h.trust!.rows[0]!.verdict).toBe("insufficient data");
    expect(h.trustMarkdown).toContain("judge-single");
    expect(h.notes.join(" ")).toMatch(/too few|fewer than|below/i);
    store.dispose();
  });

  it("with enough items the judge that ranks like the raters is trusted", () => {
    const { store, scores } = setup(20);
    const h = buildHumanSection(store, "x", scores)!;
    const row = h.trust!.rows[0]!;
    expect(row.cells.item!.n).toBe(40);
    expect(row.cells.item!.value!).toBeGreaterThan(0.9);
    expect(row.verdict).not.toBe("insufficient data");
    store.dispose();
  });
});
