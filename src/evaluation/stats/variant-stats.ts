/**
 * Uncertainty of variant-level results: the mean of an evaluator's scores with a percentile
 * bootstrap 95% interval (Efron & Tibshirani 1993, ch. 13; resampling the questions), and paired
 * comparisons of two variants on the questions both answered: the mean difference with a paired
 * bootstrap interval and the Wilcoxon signed-rank test (stdlib's implementation; two-sided,
 * zero differences dropped as in scipy.stats.wilcoxon's default `zero_method="wilcox"`).
 */
import wilcoxon from "@stdlib/stats-wilcoxon";
import { bootstrapCi, createRng, type Estimate } from "../meta/bootstrap.ts";

/** Default resamples and seed of the report's intervals (fixed, so a rerun gives the same numbers). */
export const STATS_DEFAULTS = { resamples: 2000, seed: 20240613 } as const;

/**
 * Fewer paired questions than this and no variant is called better (percentile bootstrap intervals
 * are too narrow on a handful of values; the report says "not enough data").
 */
export const MIN_PAIRED_N = 5;

/** Mean of `values` with its bootstrap interval; n = number of values. */
export interface MeanCi extends Estimate {
  n: number;
}

function mean(xs: readonly number[]): number | null {
  return xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : null;
}

/** Mean with a percentile bootstrap interval (resampling the values); null bounds when n < 2. */
export function meanWithCi(
  values: readonly number[],
  options: { resamples?: number; seed?: number; confidence?: number } = {},
): MeanCi {
  if (values.length < 2) return { value: mean(values), low: null, high: null, resamplesUsed: 0, n: values.length };
  const e = bootstrapCi(values, mean, {
    resamples: options.resamples ?? STATS_DEFAULTS.resamples,
    rng: createRng(options.seed ?? STATS_DEFAULTS.seed),
    ...(options.confidence !== undefined ? { confidence: options.confidence } : {}),
  });
  return { ...e, n: values.length };
}

/** A paired comparison of variant A and B under one evaluator. */
export interface PairedComparison {
  /** Questions scored for both. */
  n: number;
  /** Mean of (A - B) with its paired bootstrap interval. */
  difference: Estimate;
  /** Wilcoxon signed-rank two-sided p-value; null when fewer than 2 non-zero differences. */
  pValue: number | null;
  /** Signed-rank statistic (sum of positive ranks, stdlib/scipy T+), null with pValue. */
  statistic: number | null;
  /** Differences that were exactly zero (dropped by the test). */
  zeros: number;
  /** "A" or "B" when n >= MIN_PAIRED_N and the interval of the difference excludes 0; "none" otherwise. */
  better: "A" | "B" | "none";
}

/**
 * Compares paired scores (`a[i]` and `b[i]` are the same question). Exact p-values for n ≤ 50
 * without ties or zeros (like scipy's `method="auto"`), normal approximation otherwise; checked
 * against scipy in test/fixtures/stats/wilcoxon.json (scripts/fixtures/wilcoxon.py).
 */
export function pairedCompare(
  a: readonly number[],
  b: readonly number[],
  options: { resamples?: number; seed?: number } = {},
): PairedComparison {
  if (a.length !== b.length) throw new RangeError(`pairedCompare: ${a.length} vs ${b.length} values`);
  const d = a.map((x, i) => x - b[i]!);
  const difference = meanWithCi(d, options);
  const nonZero = d.filter((x) => x !== 0);
  let pValue: number | null = null;
  let statistic: number | null = null;
  if (nonZero.length >= 2) {
    // scipy's method="auto": exact distribution for n <= 50 without ties or zeros, else the normal approximation
    const abs = nonZero.map(Math.abs);
    const exact = nonZero.length === d.length && nonZero.length <= 50 && new Set(abs).size === abs.length;
    const r = wilcoxon(d, { zeroMethod: "wilcox", correction: false, exact });
    pValue = r.pValue;
    statistic = r.statistic;
  }
  const better =
    d.length < MIN_PAIRED_N
      ? "none"
      : difference.low !== null && difference.low > 0
        ? "A"
        : difference.high !== null && difference.high < 0
          ? "B"
          : "none";
  return { n: d.length, difference, pValue, statistic, zeros: d.length - nonZero.length, better };
}
