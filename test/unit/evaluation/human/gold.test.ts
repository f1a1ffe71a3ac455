import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../../../src/cli/main.ts";
import {
  allAssignments,
  createRatingTasks,
  exportPreferencePairs,
  findRater,
  type GoldItemInput,
  raterAttention,
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
  })),
);
const gold: GoldItemInput[] = [
  { question: "GOLD-1 Is Lisbon in Portugal?", answer: "GOLD-1 No, it is in Spain.", expected: { accuracy: 1 } },
  {
    question: "GOLD-2 Best month for Kyoto?",
    answer: "GOLD-2 Late March to early April, for the cherry blossoms.",
    expected: { accuracy: 5, helpfulness: 4 },
    tolerance: 0,
  },
];
const criteria = ["helpfulness", "accuracy"];

function setup(seed = 7) {
  const store = Store.open(":memory:");
  const created = createRatingTasks(store, {
    experiment: "exp",
    items,
    raters: ["ana", "ben", "cho"],
    criteria,
    raterPerItem: 2,
    pairwise: true,
    seed,
    gold,
  });
  return { store, created };
}

const isGold = (question: string) => question.startsWith("GOLD-");

describe("gold / attention items", () => {
  it("are assigned to every rater, mixed into the queue, and look like normal items", () => {
    const { store, created } = setup();
    expect(created.tasks).toBe(9); // 6 single + 3 pairs
    expect(created.gold).toBe(2);
    expect(created.assignments).toBe(9 * 2 + 2 * 3);
    const positions: number[][] = [];
    for (const cred of created.raters) {
      const views = tasksForRater(store, findRater(store, cred.token)!);
      expect(cred.tasks).toBe(views.length);
      const goldViews = views.filter((v) => isGold(v.question));
      expect(goldViews.map((v) => v.question).sort()).toEqual(gold.map((g) => g.question).sort());
      positions.push(goldViews.map((v) => v.position));
      for (const v of goldViews) {
        // Same shape and criteria as a normal single item; nothing marks it as gold.
        const normal = views.find((x) => x.kind === "single" && !isGold(x.question))!;
        expect(Object.keys(v).sort()).toEqual(Object.keys(normal).sort());
        expect(v.criteria).toEqual(normal.criteria);
        expect(JSON.stringify(v)).not.toMatch(/expected|tolerance|__gold__/);
      }
    }
    // Seeded random positions: not all raters get their gold items at the same places, and not all at the end.
    const n = tasksForRater(store, findRater(store, created.raters[0]!.token)!).length;
    expect(positions.flat().every((p) => p >= n - gold.length)).toBe(false);
    expect(new Set(positions.map((p) => [...p].sort().join(","))).size).toBeGreaterThan(1);
    // Same seed, same positions.
    const again = setup();
    const pos2 = again.created.raters.map((cred) =>
      tasksForRater(again.store, findRater(again.store, cred.token)!)
        .filter((v) => isGold(v.question))
        .map((v) => v.position),
    );
    expect(pos2).toEqual(positions);
    // The admin sees them flagged.
    const admin = allAssignments(store, findRater(store, created.admin.token)!);
    expect(admin.filter((a) => a.gold)).toHaveLength(6);
    expect(admin.filter((a) => a.gold).every((a) => isGold(a.question))).toBe(true);
  });

  it("are never exported as judgments or preference pairs, and pass/fail is counted per rater", () => {
    const { store, created } = setup();
    // ana: both gold pass (within tolerance 1 for GOLD-1, exact for GOLD-2).
    // ben: GOLD-1 fails (3 vs 1, tolerance 1), GOLD-2 passes.
    // cho: GOLD-1 passes (2 vs 1), GOLD-2 fails (helpfulness 3 vs 4 with tolerance 0), rated last.
    const goldScores: Record<string, Record<string, Record<string, number>>> = {
      ana: { "GOLD-1": { accuracy: 2, helpfulness: 1 }, "GOLD-2": { accuracy: 5, helpfulness: 4 } },
      ben: { "GOLD-1": { accuracy: 3, helpfulness: 1 }, "GOLD-2": { accuracy: 5, helpfulness: 4 } },
      cho: { "GOLD-1": { accuracy: 2, helpfulness: 5 }, "GOLD-2": { accuracy: 5, helpfulness: 3 } },
    };
    for (const cred of created.raters) {
      const r = findRater(store, cred.token)!;
      for (const t of tasksForRater(store, r)) {
        if (isGold(t.question)) {
          if (cred.name === "cho" && t.question.startsWith("GOLD-2")) continue; // cho rates GOLD-2 later
          submitRating(store, r, { assignmentId: t.id, scores: goldScores[cred.name]![t.question.slice(0, 6)]! });
        } else if (t.kind === "pair") submitRating(store, r, { assignmentId: t.id, choice: "a", scores: {} });
        else submitRating(store, r, { assignmentId: t.id, scores: { helpfulness: 3, accuracy: 4 } });
      }
    }
    // Before cho has rated GOLD-2: it counts as assigned, not rated.
    expect(raterAttention(store, "exp").find((a) => a.rater === "cho")).toEqual({
      rater: "cho",
      goldAssigned: 2,
      goldRated: 1,
      passed: 1,
      passRate: 1,
    });
    // A partial rating (only one of the two expected criteria) is still not rated.
    const cho = findRater(store, created.raters[2]!.token)!;
    const choGold2 = tasksForRater(store, cho).find((t) => t.question.startsWith("GOLD-2"))!;
    submitRating(store, cho, { assignmentId: choGold2.id, scores: { accuracy: 5 } });
    expect(raterAttention(store, "exp").find((a) => a.rater === "cho")!.goldRated).toBe(1);
    submitRating(store, cho, { assignmentId: choGold2.id, scores: goldScores.cho!["GOLD-2"]! });

    expect(raterAttention(store, "exp")).toEqual([
      { rater: "ana", goldAssigned: 2, goldRated: 2, passed: 2, passRate: 1 },
      { rater: "ben", goldAssigned: 2, goldRated: 2, passed: 1, passRate: 0.5 },
      { rater: "cho", goldAssigned: 2, goldRated: 2, passed: 1, passRate: 0.5 },
    ]);

    const judgments = ratingsAsJudgments(store, "exp");
    // 6 single tasks × 2 raters × 2 criteria; nothing from gold.
    expect(judgments).toHaveLength(24);
    expect(judgments.every((j) => ["q1", "q2", "q3"].includes(j.inputId))).toBe(true);
    expect(judgments.every((j) => ["base", "dpo"].includes(j.systemId))).toBe(true);
    const pairs = exportPreferencePairs(store, "exp");
    expect(pairs).toHaveLength(6);
    expect(pairs.every((p) => !isGold(p.prompt) && !isGold(p.chosen) && !isGold(p.rejected))).toBe(true);
    // The stored gold ratings are kept.
    expect(
      (
        store.db
          .prepare(
            "SELECT COUNT(*) AS n FROM ratings g JOIN rating_assignments a ON a.id = g.assignment_id JOIN rating_tasks t ON t.id = a.task_id WHERE t.gold_json IS NOT NULL",
          )
          .get() as { n: number }
      ).n,
    ).toBe(12);
  });

  it("is off by default: no gold tasks, empty attention summary", () => {
    const store = Store.open(":memory:");
    const created = createRatingTasks(store, { experiment: "exp", items, raters: ["ana", "ben"], seed: 1 });
    expect(created.gold).toBe(0);
    expect(created.assignments).toBe(12);
    expect(raterAttention(store, "exp")).toEqual([]);
  });

  it("validates gold items", () => {
    const make =
      (g: GoldItemInput[], extra: { criteria?: string[]; pairwise?: boolean } = {}) =>
      () =>
        createRatingTasks(Store.open(":memory:"), {
          experiment: "exp",
          items,
          raters: ["ana", "ben"],
          seed: 1,
          criteria,
          gold: g,
          ...extra,
        });
    expect(make([{ question: "q", answer: "a", expected: {} }])).toThrow(/at least one criterion/);
    expect(make([{ question: "q", answer: "a", expected: { coherence: 3 } }])).toThrow(/"coherence" is not rated/);
    expect(make([{ question: "q", answer: "a", expected: { accuracy: 7 } }])).toThrow(/use a number 1–5/);
    expect(make([{ question: "q", answer: "a", expected: { accuracy: 3 }, tolerance: -1 }])).toThrow(/tolerance/);
    expect(make([{ question: "q", answer: "a", expected: { accuracy: 3 } }], { criteria: [], pairwise: true })).toThrow(
      /need Likert criteria/,
    );
  });

  it("`wayfarer human create --gold` reads JSONL; `human agreement` prints the attention summary", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wf-gold-"));
    writeFileSync(join(dir, "items.jsonl"), items.map((i) => JSON.stringify(i)).join("\n"));
    writeFileSync(join(dir, "gold.jsonl"), `${gold.map((g) => JSON.stringify(g)).join("\n")}\n`);
    const o = { out: "", err: "" };
    const ctx = {
      cwd: dir,
      env: {},
      out: (s: string) => (o.out += s),
      err: (s: string) => (o.err += s),
      interactive: false,
    };
    const args = ["--experiment", "e", "--store", "s.sqlite"];
    expect(
      await main(
        [
          "human",
          "create",
          ...args,
          "--raters",
          "ana,ben",
          "--items",
          "items.jsonl",
          "--criteria",
          "helpfulness,accuracy",
          "--gold",
          "gold.jsonl",
        ],
        ctx,
      ),
    ).toBe(0);
    expect(o.out).toMatch(/^6 tasks \(\+ 2 gold items for every rater\), 16 assignments/);
    {
      using store = Store.open(join(dir, "s.sqlite"));
      for (const name of ["ana", "ben"]) {
        const r = store.db.prepare("SELECT id, experiment, name, role FROM raters WHERE name = ?").get(name) as never;
        for (const t of tasksForRater(store, r))
          submitRating(store, r, {
            assignmentId: t.id,
            scores: { helpfulness: 4, accuracy: isGold(t.question) ? (name === "ana" ? 5 : 1) : 4 },
          });
      }
    }
    o.out = "";
    expect(await main(["human", "agreement", ...args], ctx)).toBe(0);
    // GOLD-1 expects accuracy 1 (tol 1), GOLD-2 accuracy 5 & helpfulness 4 (tol 0): ana passes GOLD-2 only, ben GOLD-1 only.
    expect(o.out).toContain("attention (gold items");
    expect(o.out).toMatch(/ana: 1\/2 passed \(50%\), 2\/2 gold items rated/);
    expect(o.out).toMatch(/ben: 1\/2 passed \(50%\), 2\/2 gold items rated/);
    expect(await main(["human", "export", ...args, "--what", "judgments", "--out", "h.jsonl"], ctx)).toBe(0);
    const rows = readFileSync(join(dir, "h.jsonl"), "utf8").trim().split("\n");
    expect(rows).toHaveLength(6 * 2 * 2);
    expect(rows.some((r) => r.includes("gold"))).toBe(false);
    // Bad gold file: line and field named.
    writeFileSync(join(dir, "bad.jsonl"), '{"question":"q","answer":"a"}\n');
    o.err = "";
    expect(
      await main(
        [
          "human",
          "create",
          "--experiment",
          "e2",
          "--store",
          "s.sqlite",
          "--raters",
          "a,b",
          "--items",
          "items.jsonl",
          "--gold",
          "bad.jsonl",
        ],
        ctx,
      ),
    ).not.toBe(0);
    expect(o.err).toMatch(/bad\.jsonl:1 field "expected"/);
  });
});
