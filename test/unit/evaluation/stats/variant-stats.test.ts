/**
 * The report's statistics: Wilcoxon p-values equal scipy's (fixture from scripts/fixtures/wilcoxon.py),
 * bootstrap intervals are reproducible and bracket the mean, paired verdicts follow the interval,
 * and the meta statistics of a small score table have the values computed by hand.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { computeMetaStats } from "../../../../src/evaluation/stats/meta-stats.ts";
import { meanWithCi, pairedCompare } from "../../../../src/evaluation/stats/variant-stats.ts";
import type { ScoreRecord } from "../../../../src/store/records.ts";
import { ROOT } from "../../../helpers/paths.ts";

const fixture = JSON.parse(readFileSync(join(ROOT, "test/fixtures/stats/wilcoxon.json"), "utf8")) as {
  cases: { name: string; d: number[]; p: number }[];
};

describe("paired comparisons", () => {
  it.each(fixture.cases.map((c) => [c.name, c] as const))("Wilcoxon p equals scipy's (%s)", (_n, c) => {
    const r = pairedCompare(
      c.d,
      c.d.map(() => 0),
    );
    expect(r.pValue).toBeCloseTo(c.p, 12);
    expect(r.zeros).toBe(c.d.filter((x) => x === 0).length);
  });

  it("the verdict follows the paired interval; too few differences give no p", () => {
    const a = [7, 8, 6, 9, 8, 7, 9, 8, 7, 8];
    const clear = pairedCompare(
      a,
      a.map((x) => x - 2 - (x % 2)),
    );
    expect(clear.better).toBe("A");
    expect(clear.difference.value).toBeCloseTo(2.5, 12);
    expect(clear.difference.low!).toBeGreaterThan(0);
    const same = pairedCompare([1, 2, 3], [1, 2, 3]);
    expect(same).toMatchObject({ n: 3, pValue: null, zeros: 3, better: "none" });
    expect(pairedCompare([5, 1, 5, 1, 5, 1], [1, 5, 1, 5, 1, 5]).better).toBe("none");
  });

  it("bootstrap intervals repeat for a seed and bracket the mean; n < 2 has none", () => {
    const xs = [0.1, 0.4, 0.35, 0.8, 0.2, 0.55, 0.6, 0.3];
    const a = meanWithCi(xs);
    expect(meanWithCi(xs)).toEqual(a);
    expect(a.value).toBeCloseTo(0.4125, 12);
    expect(a.low!).toBeLessThan(a.value!);
    expect(a.high!).toBeGreaterThan(a.value!);
    expect(a.n).toBe(8);
    expect(meanWithCi([3])).toEqual({ value: 3, low: null, high: null, resamplesUsed: 0, n: 1 });
    expect(meanWithCi([2, 2, 2])).toMatchObject({ value: 2, low: 2, high: 2 });
  });
});

describe("computeMetaStats", () => {
  it("cells, paired comparisons and evaluator agreement of a small table", () => {
    const rows: ScoreRecord[] = [];
    const add = (variant: string, itemId: string, evaluator: string, value: number | null) =>
      rows.push({
        variant,
        itemId,
        evaluator,
        status: value === null ? "error" : "scored",
        value,
        reason: null,
        signature: "s",
      });
    for (let i = 0; i < 6; i++) {
      add("base", `q${i}`, "bleu", i);
      add("sft", `q${i}`, "bleu", i + 2);
      add("base", `q${i}`, "judge", 3 * i);
      add("sft", `q${i}`, "judge", i === 5 ? null : 3 * (i + 2));
    }
    const m = computeMetaStats(rows, ["base", "sft"]);
    expect(m.evaluators).toEqual(["bleu", "judge"]);
    expect(m.cells.sft!.judge).toMatchObject({ n: 5, nUnscored: 1, value: 12 });
    expect(m.cells.base!.bleu!.value).toBeCloseTo(2.5, 12);
    const bleu = m.paired.find((p) => p.evaluator === "bleu")!;
    expect(bleu).toMatchObject({ a: "base", b: "sft", n: 6, better: "B" });
    expect(bleu.difference.value).toBeCloseTo(-2, 12);
    // judge is a monotone function of bleu on the 11 answers both scored: rho = 1
    expect(m.agreement).toHaveLength(1);
    expect(m.agreement[0]).toMatchObject({ a: "bleu", b: "judge", n: 11 });
    expect(m.agreement[0]!.rho.value).toBeCloseTo(1, 12);
  });
});
