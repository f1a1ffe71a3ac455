/**
 * Fast correlations of bootstrap resamples of one paired data set. A resample is given as
 * multiplicities (`counts[i]` = how often pair i was drawn), and the coefficients equal those of
 * `pearson` / `spearman` / `kendallTauB` on the expanded sample (tested to 1e-12). Sorting happens
 * once, up front; each resample then costs O(n) for Pearson and Spearman and O(n log n) integer
 * merge steps for Kendall tau-b, instead of three comparator sorts.
 */
import type { CorrelationMethod } from "./correlation.ts";

function denseRanks(values: readonly number[]): { ids: Int32Array; groups: number } {
  const distinct = [...new Set(values)].sort((a, b) => a - b);
  const index = new Map<number, number>();
  for (const [i, v] of distinct.entries()) index.set(v, i);
  return { ids: Int32Array.from(values, (v) => index.get(v)!), groups: distinct.length };
}

/** Precomputed orderings of (x, y) for repeated resampling. */
export class PairedResampler {
  readonly n: number;
  readonly #x: Float64Array;
  readonly #y: Float64Array;
  readonly #gx: Int32Array;
  readonly #gy: Int32Array;
  readonly #gxy: Int32Array;
  readonly #groupsX: number;
  readonly #groupsY: number;
  readonly #groupsXY: number;
  /** Pair indices sorted by x, then y. */
  readonly #order: Int32Array;

  constructor(x: readonly number[], y: readonly number[]) {
    this.n = x.length;
    this.#x = Float64Array.from(x);
    this.#y = Float64Array.from(y);
    const rx = denseRanks(x);
    const ry = denseRanks(y);
    this.#gx = rx.ids;
    this.#gy = ry.ids;
    this.#groupsX = rx.groups;
    this.#groupsY = ry.groups;
    const xy = denseRanks(Array.from(rx.ids, (g, i) => g * ry.groups + ry.ids[i]!));
    this.#gxy = xy.ids;
    this.#groupsXY = xy.groups;
    this.#order = Int32Array.from(
      Array.from({ length: this.n }, (_, i) => i).sort(
        (a, b) => this.#gx[a]! - this.#gx[b]! || this.#gy[a]! - this.#gy[b]!,
      ),
    );
  }

  /** All three coefficients of the resample with multiplicities `counts` (length n, summing to m ≥ 0). */
  correlations(counts: Int32Array): Record<CorrelationMethod, number | null> {
    let m = 0;
    for (let i = 0; i < this.n; i++) m += counts[i]!;
    if (m < 2) return { pearson: null, spearman: null, kendall: null };
    const pearson = this.#weightedPearson(this.#x, this.#y, counts, m);
    const cntX = new Float64Array(this.#groupsX);
    const cntY = new Float64Array(this.#groupsY);
    const cntXY = new Float64Array(this.#groupsXY);
    for (let i = 0; i < this.n; i++) {
      const c = counts[i]!;
      cntX[this.#gx[i]!]! += c;
      cntY[this.#gy[i]!]! += c;
      cntXY[this.#gxy[i]!]! += c;
    }
    const avgRank = (cnt: Float64Array): Float64Array => {
      const r = new Float64Array(cnt.length);
      let before = 0;
      for (let g = 0; g < cnt.length; g++) {
        r[g] = before + (cnt[g]! + 1) / 2;
        before += cnt[g]!;
      }
      return r;
    };
    const rankX = avgRank(cntX);
    const rankY = avgRank(cntY);
    const rx = Float64Array.from(this.#gx, (g) => rankX[g]!);
    const ry = Float64Array.from(this.#gy, (g) => rankY[g]!);
    const spearman = this.#weightedPearson(rx, ry, counts, m);
    return { pearson, spearman, kendall: this.#kendall(counts, m, cntX, cntY, cntXY) };
  }

  #weightedPearson(x: Float64Array, y: Float64Array, counts: Int32Array, m: number): number | null {
    let mx = 0;
    let my = 0;
    for (let i = 0; i < this.n; i++) {
      const c = counts[i]!;
      if (c === 0) continue;
      mx += c * x[i]!;
      my += c * y[i]!;
    }
    mx /= m;
    my /= m;
    let sxx = 0;
    let syy = 0;
    let sxy = 0;
    for (let i = 0; i < this.n; i++) {
      const c = counts[i]!;
      if (c === 0) continue;
      const dx = x[i]! - mx;
      const dy = y[i]! - my;
      sxx += c * dx * dx;
      syy += c * dy * dy;
      sxy += c * dx * dy;
    }
    if (sxx === 0 || syy === 0) return null;
    return Math.max(-1, Math.min(1, sxy / (Math.sqrt(sxx) * Math.sqrt(syy))));
  }

  #kendall(counts: Int32Array, m: number, cntX: Float64Array, cntY: Float64Array, cntXY: Float64Array): number | null {
    const pairs = (cnt: Float64Array) => {
      let s = 0;
      for (const c of cnt) s += (c * (c - 1)) / 2;
      return s;
    };
    const n0 = (m * (m - 1)) / 2;
    const tiesX = pairs(cntX);
    const tiesY = pairs(cntY);
    if (tiesX === n0 || tiesY === n0) return null;
    const tiesXY = pairs(cntXY);
    // y ids in (x, y) order, each pair repeated by its multiplicity; count inversions by merge sort.
    let seq = new Int32Array(m);
    let k = 0;
    for (const i of this.#order) for (let c = counts[i]!; c > 0; c--) seq[k++] = this.#gy[i]!;
    let buf = new Int32Array(m);
    let swaps = 0;
    for (let width = 1; width < m; width *= 2) {
      for (let lo = 0; lo < m; lo += 2 * width) {
        const mid = Math.min(lo + width, m);
        const hi = Math.min(lo + 2 * width, m);
        let i = lo;
        let j = mid;
        let t = lo;
        while (i < mid && j < hi) {
          if (seq[j]! < seq[i]!) {
            swaps += mid - i;
            buf[t++] = seq[j++]!;
          } else buf[t++] = seq[i++]!;
        }
        while (i < mid) buf[t++] = seq[i++]!;
        while (j < hi) buf[t++] = seq[j++]!;
      }
      [seq, buf] = [buf, seq];
    }
    const tau = (n0 - tiesX - tiesY + tiesXY - 2 * swaps) / Math.sqrt(n0 - tiesX) / Math.sqrt(n0 - tiesY);
    return Math.max(-1, Math.min(1, tau));
  }
}
