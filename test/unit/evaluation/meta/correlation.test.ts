import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { bootstrapCi, createRng, quantile, shuffled } from "../../../../src/evaluation/meta/bootstrap.ts";
import { averageRanks, kendallTauB, pearson, spearman } from "../../../../src/evaluation/meta/correlation.ts";
import { PairedResampler } from "../../../../src/evaluation/meta/resample-correlation.ts";

// Fixtures: scripts/fixtures/agreement.py (scipy pearsonr / spearmanr / kendalltau variant b; numpy percentile).
const fixture = JSON.parse(
  readFileSync(new URL("../../../fixtures/agreement/agreement.json", import.meta.url), "utf8"),
) as {
  correlation: Array<{ name: string; x: number[]; y: number[]; pearson: number; spearman: number; kendall: number }>;
  quantile: { values: number[]; q: number[]; expected: number[] };
};
const TOL = 1e-9;

/** O(n²) tau-b straight from the definition, to cross-check the merge-sort version. */
function bruteTauB(x: number[], y: number[]): number {
  let s = 0;
  let tx = 0;
  let ty = 0;
  let n0 = 0;
  for (let i = 0; i < x.length; i++)
    for (let j = i + 1; j < x.length; j++) {
      n0++;
      const dx = Math.sign(x[i]! - x[j]!);
      const dy = Math.sign(y[i]! - y[j]!);
      s += dx * dy;
      if (dx === 0) tx++;
      if (dy === 0) ty++;
    }
  return s / Math.sqrt((n0 - tx) * (n0 - ty));
}

describe("correlations equal scipy", () => {
  for (const c of fixture.correlation) {
    it(c.name, () => {
      expect(Math.abs(pearson(c.x, c.y)! - c.pearson)).toBeLessThan(TOL);
      expect(Math.abs(spearman(c.x, c.y)! - c.spearman)).toBeLessThan(TOL);
      expect(Math.abs(kendallTauB(c.x, c.y)! - c.kendall)).toBeLessThan(TOL);
      expect(Math.abs(kendallTauB(c.x, c.y)! - bruteTauB(c.x, c.y))).toBeLessThan(1e-12);
    });
  }
});

describe("correlation edge cases", () => {
  it("average ranks for ties", () => {
    expect(averageRanks([10, 20, 20, 5, 20])).toEqual([2, 4, 4, 1, 4]);
  });
  it("null for constant input or n < 2", () => {
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNull();
    expect(spearman([1], [2])).toBeNull();
    expect(kendallTauB([1, 2, 3], [4, 4, 4])).toBeNull();
  });
  it("perfect and reversed orders", () => {
    expect(kendallTauB([1, 2, 3, 4], [10, 20, 30, 40])).toBe(1);
    expect(kendallTauB([1, 2, 3, 4], [4, 3, 2, 1])).toBe(-1);
    expect(spearman([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
  });
  it("rejects different lengths and NaN", () => {
    expect(() => pearson([1, 2], [1])).toThrow(/length/);
    expect(() => kendallTauB([1, Number.NaN], [1, 2])).toThrow(/non-finite/);
  });
});

describe("bootstrap", () => {
  it("quantile equals numpy percentile (linear)", () => {
    const { values, q, expected } = fixture.quantile;
    for (const [i, p] of q.entries()) expect(Math.abs(quantile(values, p)! - expected[i]!)).toBeLessThan(TOL);
  });
  it("the PRNG repeats per seed and differs across seeds", () => {
    const a = createRng(7);
    const b = createRng(7);
    const c = createRng(8);
    const xs = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(xs);
    expect(c()).not.toBe(xs[0]);
    for (const v of xs) expect(v >= 0 && v < 1).toBe(true);
    expect(shuffled([1, 2, 3, 4, 5], createRng(1)).sort()).toEqual([1, 2, 3, 4, 5]);
  });
  it("CI of a mean brackets the estimate, is reproducible and narrows with more data", () => {
    const rng = createRng(3);
    const small = Array.from({ length: 20 }, () => rng());
    const large = Array.from({ length: 2000 }, () => rng());
    const mean = (s: readonly number[]) => s.reduce((p, q) => p + q, 0) / s.length;
    const ci1 = bootstrapCi(small, mean, { rng: createRng(42), resamples: 500 });
    const ci2 = bootstrapCi(small, mean, { rng: createRng(42), resamples: 500 });
    expect(ci1).toEqual(ci2);
    expect(ci1.low!).toBeLessThan(ci1.value!);
    expect(ci1.high!).toBeGreaterThan(ci1.value!);
    const ciL = bootstrapCi(large, mean, { rng: createRng(42), resamples: 300 });
    expect(ciL.high! - ciL.low!).toBeLessThan((ci1.high! - ci1.low!) / 4);
    // Normal-theory half width for a uniform mean: 1.96 * sqrt(1/12 / n)
    expect((ciL.high! - ciL.low!) / 2).toBeCloseTo(1.96 * Math.sqrt(1 / 12 / 2000), 2);
  });
  it("bounds are null when most resamples are degenerate", () => {
    const ci = bootstrapCi([1, 2, 3], (s) => (new Set(s).size === 3 ? 1 : null), { rng: createRng(1), resamples: 100 });
    // P(all three distinct) = 6/27, so far fewer than half the resamples are defined.
    expect(ci.value).toBe(1);
    expect(ci.resamplesUsed).toBeGreaterThan(5);
    expect(ci.resamplesUsed).toBeLessThan(50);
    expect(ci.low).toBeNull();
    expect(ci.high).toBeNull();
  });
});

describe("PairedResampler", () => {
  it("equals the plain coefficients on the expanded resample", () => {
    const rng = createRng(99);
    for (const c of fixture.correlation) {
      const r = new PairedResampler(c.x, c.y);
      for (let trial = 0; trial < 20; trial++) {
        const counts = new Int32Array(c.x.length);
        for (let i = 0; i < c.x.length; i++) counts[Math.floor(rng() * c.x.length)]!++;
        const xs: number[] = [];
        const ys: number[] = [];
        counts.forEach((k, i) => {
          for (let j = 0; j < k; j++) {
            xs.push(c.x[i]!);
            ys.push(c.y[i]!);
          }
        });
        const got = r.correlations(counts);
        const want = { pearson: pearson(xs, ys), spearman: spearman(xs, ys), kendall: kendallTauB(xs, ys) };
        for (const m of ["pearson", "spearman", "kendall"] as const) {
          if (want[m] === null) expect(got[m]).toBeNull();
          else expect(Math.abs(got[m]! - want[m]!)).toBeLessThan(1e-12);
        }
      }
    }
  });
  it("is null for a degenerate resample", () => {
    const r = new PairedResampler([1, 2, 3], [3, 1, 2]);
    expect(r.correlations(Int32Array.from([3, 0, 0]))).toEqual({ pearson: null, spearman: null, kendall: null });
  });
});
