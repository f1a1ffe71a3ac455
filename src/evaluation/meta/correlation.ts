/**
 * Correlation coefficients for meta-evaluation: Pearson r, Spearman rho (average ranks for ties) and
 * Kendall tau-b. Pure functions over equal-length arrays of finite numbers. Each returns `null` when
 * the coefficient is undefined (fewer than 2 points, or a constant side), never NaN.
 * Tests compare against scipy 1.16 `pearsonr`, `spearmanr`, `kendalltau` (variant "b") to 1e-9.
 */
import { WayfarerError } from "../../errors/wayfarer-error.ts";

/** The three coefficients Wayfarer reports. */
export type CorrelationMethod = "pearson" | "spearman" | "kendall";

export const CORRELATION_METHODS: readonly CorrelationMethod[] = ["pearson", "spearman", "kendall"] as const;

function check(x: readonly number[], y: readonly number[], fn: string): void {
  if (x.length !== y.length) throw new WayfarerError(`${fn}: arrays differ in length (${x.length} vs ${y.length})`);
  for (const v of x) if (!Number.isFinite(v)) throw new WayfarerError(`${fn}: non-finite value ${v}`);
  for (const v of y) if (!Number.isFinite(v)) throw new WayfarerError(`${fn}: non-finite value ${v}`);
}

/**
 * Pearson's product-moment correlation r = Σ(x−x̄)(y−ȳ) / √(Σ(x−x̄)² Σ(y−ȳ)²), clipped to [−1, 1].
 * Null for n < 2 or a constant input.
 */
export function pearson(x: readonly number[], y: readonly number[]): number | null {
  check(x, y, "pearson");
  const n = x.length;
  if (n < 2) return null;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  if (sxx === 0 || syy === 0) return null;
  const r = sxy / (Math.sqrt(sxx) * Math.sqrt(syy));
  return Math.max(-1, Math.min(1, r));
}

/**
 * Ranks 1..n with tied values given the average of the ranks they span ("average" / fractional
 * ranking, as scipy `rankdata(method="average")`).
 */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const ranks = new Array<number>(values.length);
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1]!] === values[order[i]!]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]!] = rank;
    i = j + 1;
  }
  return ranks;
}

/** Spearman's rho: Pearson's r of the average ranks (handles ties). Null for n < 2 or a constant input. */
export function spearman(x: readonly number[], y: readonly number[]): number | null {
  check(x, y, "spearman");
  return pearson(averageRanks(x), averageRanks(y));
}

/**
 * Kendall's tau-b = (n_c − n_d) / √((n_0 − n_1)(n_0 − n_2)), where n_0 = n(n−1)/2, n_1 / n_2 count
 * pairs tied in x / in y; pairs tied in both count in both. Computed in O(n log n) with Knight's
 * (1966) merge-sort algorithm (as scipy). Null for n < 2 or when either side is constant.
 */
export function kendallTauB(x: readonly number[], y: readonly number[]): number | null {
  check(x, y, "kendallTauB");
  const n = x.length;
  if (n < 2) return null;
  // Sort by x, then y.
  const idx = x.map((_, i) => i).sort((a, b) => x[a]! - x[b]! || y[a]! - y[b]!);
  const n0 = (n * (n - 1)) / 2;
  let tiesX = 0;
  let tiesXY = 0;
  {
    let runX = 1;
    let runXY = 1;
    for (let k = 1; k <= n; k++) {
      const same = k < n && x[idx[k]!] === x[idx[k - 1]!];
      const sameXY = same && y[idx[k]!] === y[idx[k - 1]!];
      if (same) runX++;
      else {
        tiesX += (runX * (runX - 1)) / 2;
        runX = 1;
      }
      if (sameXY) runXY++;
      else {
        tiesXY += (runXY * (runXY - 1)) / 2;
        runXY = 1;
      }
    }
  }
  // Merge sort y (in x-order) counting inversions = discordant pairs (strict in both).
  let ys = idx.map((i) => y[i]!);
  let buf = new Array<number>(n);
  let swaps = 0;
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        if (ys[j]! < ys[i]!) {
          swaps += mid - i;
          buf[k++] = ys[j++]!;
        } else buf[k++] = ys[i++]!;
      }
      while (i < mid) buf[k++] = ys[i++]!;
      while (j < hi) buf[k++] = ys[j++]!;
    }
    [ys, buf] = [buf, ys];
  }
  let tiesY = 0;
  {
    let run = 1;
    for (let k = 1; k <= n; k++) {
      if (k < n && ys[k] === ys[k - 1]) run++;
      else {
        tiesY += (run * (run - 1)) / 2;
        run = 1;
      }
    }
  }
  if (tiesX === n0 || tiesY === n0) return null;
  const conMinusDis = n0 - tiesX - tiesY + tiesXY - 2 * swaps;
  const tau = conMinusDis / Math.sqrt(n0 - tiesX) / Math.sqrt(n0 - tiesY);
  return Math.max(-1, Math.min(1, tau));
}

/** Computes the named coefficient. */
export function correlate(method: CorrelationMethod, x: readonly number[], y: readonly number[]): number | null {
  switch (method) {
    case "pearson":
      return pearson(x, y);
    case "spearman":
      return spearman(x, y);
    case "kendall":
      return kendallTauB(x, y);
    default:
      return method satisfies never;
  }
}
