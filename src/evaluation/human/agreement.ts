/**
 * Inter-rater agreement statistics: Krippendorff's alpha, Cohen's kappa (weighted) and Fleiss' kappa.
 * Pure functions over plain arrays; `null` marks a missing rating. Each function returns `null` when
 * the statistic is undefined for the data (e.g. fewer than two pairable ratings, or no variation),
 * never NaN.
 *
 * Reference implementations the tests compare against (to 1e-9, fixtures from
 * `scripts/fixtures/agreement.py`): the `krippendorff` Python package 0.8.1, scikit-learn
 * `cohen_kappa_score`, statsmodels `fleiss_kappa`.
 */
import { WayfarerError } from "../../errors/wayfarer-error.ts";

/** The levels of measurement Krippendorff's alpha knows; each decides the distance between two values. */
export const ALPHA_LEVELS = ["nominal", "ordinal", "interval", "ratio"] as const;
/** Level of measurement for Krippendorff's alpha. */
export type AlphaLevel = (typeof ALPHA_LEVELS)[number];

/** Options of {@link krippendorffAlpha}. */
export interface KrippendorffAlphaOptions {
  /**
   * Distance metric: nominal (0/1), ordinal (rank-based), interval (squared difference) or ratio
   * (squared relative difference ((c − k)/(c + k))², for values ≥ 0 with a true zero), Krippendorff 2011.
   * Any other value throws (never a silent fallback to another level).
   */
  level: AlphaLevel;
  /**
   * The ordered value domain. Default: the sorted distinct values present in the data (what the
   * `krippendorff` package does). Only matters for `ordinal`, and only through the positions of
   * values, since unobserved values carry no marginal mass.
   */
  valueDomain?: readonly number[];
}

/**
 * Krippendorff's alpha for a reliability matrix `data[rater][unit]` (`null` = that rater did not rate
 * the unit). alpha = 1 − D_o / D_e, computed from the coincidence matrix o_ck = Σ_u (number of c–k
 * pairs from different raters in unit u) / (m_u − 1), with units having m_u < 2 ratings dropped:
 * alpha = 1 − (n − 1) Σ o_ck δ²_ck / Σ n_c n_k δ²_ck (c ≠ k), n_c = Σ_k o_ck, n = Σ n_c.
 * δ²: nominal = [c ≠ k]; interval = (c − k)²; ordinal = (Σ_{g=c..k} n_g − (n_c + n_k)/2)²;
 * ratio = ((c − k)/(c + k))² (0 when c + k = 0).
 * Source: K. Krippendorff, "Computing Krippendorff's Alpha-Reliability" (2011); the same values as the
 * `krippendorff` Python package (its 4 raters × 12 units example: nominal 0.7434, ordinal 0.8154,
 * interval 0.8491, ratio 0.7974).
 *
 * Returns null when no unit has two ratings or when the expected disagreement is 0 (only one value used).
 * @throws WayfarerError for a level it does not know, or a value outside `valueDomain`.
 */
export function krippendorffAlpha(
  data: ReadonlyArray<ReadonlyArray<number | null>>,
  options: KrippendorffAlphaOptions,
): number | null {
  const level: string = options.level;
  if (!(ALPHA_LEVELS as readonly string[]).includes(level))
    throw new WayfarerError(
      `krippendorffAlpha: unknown level of measurement "${level}"; use one of ${ALPHA_LEVELS.join(", ")}`,
    );
  const units = data.reduce((max, row) => Math.max(max, row.length), 0);
  const observed = new Set<number>();
  for (const row of data) for (const v of row) if (v !== null) observed.add(v);
  const domain = options.valueDomain ? [...options.valueDomain] : [...observed].sort((a, b) => a - b);
  const index = new Map<number, number>();
  for (const [i, v] of domain.entries()) index.set(v, i);
  for (const v of observed) {
    if (!index.has(v))
      throw new WayfarerError(`krippendorffAlpha: value ${v} is outside the value domain [${domain.join(", ")}]`);
  }
  const V = domain.length;
  const o: number[][] = Array.from({ length: V }, () => new Array<number>(V).fill(0));
  for (let u = 0; u < units; u++) {
    const counts = new Array<number>(V).fill(0);
    let m = 0;
    for (const row of data) {
      const v = row[u];
      if (v === null || v === undefined) continue;
      counts[index.get(v)!]!++;
      m++;
    }
    if (m < 2) continue;
    for (let c = 0; c < V; c++) {
      const nc = counts[c]!;
      if (nc === 0) continue;
      for (let k = 0; k < V; k++) {
        const nk = counts[k]!;
        if (nk === 0) continue;
        o[c]![k]! += (c === k ? nc * (nc - 1) : nc * nk) / (m - 1);
      }
    }
  }
  const nv = o.map((row) => row.reduce((s, x) => s + x, 0));
  const n = nv.reduce((s, x) => s + x, 0);
  if (n === 0) return null;
  const delta = (c: number, k: number): number => {
    switch (options.level) {
      case "nominal":
        return c === k ? 0 : 1;
      case "interval":
        return (domain[c]! - domain[k]!) ** 2;
      case "ratio": {
        const sum = domain[c]! + domain[k]!;
        return sum === 0 ? 0 : ((domain[c]! - domain[k]!) / sum) ** 2;
      }
      case "ordinal": {
        const lo = Math.min(c, k);
        const hi = Math.max(c, k);
        let s = 0;
        for (let g = lo; g <= hi; g++) s += nv[g]!;
        return (s - (nv[lo]! + nv[hi]!) / 2) ** 2;
      }
      default:
        return options.level satisfies never;
    }
  };
  let observedD = 0;
  let expectedD = 0;
  for (let c = 0; c < V; c++) {
    for (let k = 0; k < V; k++) {
      const d = delta(c, k);
      observedD += o[c]![k]! * d;
      // Random coincidences e_ck = (n_c n_k − [c = k] n_c) / (n − 1); the diagonal has δ = 0.
      expectedD += ((nv[c]! * nv[k]! - (c === k ? nv[c]! : 0)) / (n - 1)) * d;
    }
  }
  if (expectedD === 0) return null;
  return 1 - observedD / expectedD;
}

/** Weighting of disagreements in {@link cohenKappa}. */
export type KappaWeights = "none" | "linear" | "quadratic";

/** Options of {@link cohenKappa}. */
export interface CohenKappaOptions {
  /** `none` = Cohen (1960); `linear`/`quadratic` = weighted kappa (Cohen 1968). Default `none`. */
  weights?: KappaWeights;
  /**
   * Ordered category list. Default: sorted distinct values given by either rater (as scikit-learn).
   * Weights use category *positions* (|i − j| or (i − j)²), so pass the full scale (e.g. [1,2,3,4,5])
   * when a category may be unused and you want distances on the scale itself.
   */
  categories?: readonly number[];
}

/**
 * Cohen's kappa between two raters: kappa = 1 − Σ w_ij O_ij / Σ w_ij E_ij, where O is the confusion
 * matrix, E_ij = row_i · col_j / N, and w_ij = [i ≠ j] (unweighted), |i − j| (linear) or (i − j)²
 * (quadratic) over category positions. Items where either rating is null are dropped (pairwise deletion).
 * Same definition as scikit-learn `cohen_kappa_score`. Returns null with no complete pair or when
 * expected disagreement is 0.
 */
export function cohenKappa(
  a: ReadonlyArray<number | null>,
  b: ReadonlyArray<number | null>,
  options: CohenKappaOptions = {},
): number | null {
  if (a.length !== b.length)
    throw new WayfarerError(
      `cohenKappa: the two raters have ${a.length} and ${b.length} items; pass aligned arrays (null for missing)`,
    );
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === null || x === undefined || y === null || y === undefined) continue;
    pairs.push([x, y]);
  }
  if (pairs.length === 0) return null;
  const cats = options.categories ? [...options.categories] : [...new Set(pairs.flat())].sort((p, q) => p - q);
  const pos = new Map<number, number>();
  for (const [i, c] of cats.entries()) pos.set(c, i);
  const K = cats.length;
  const O: number[][] = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  for (const [x, y] of pairs) {
    const i = pos.get(x);
    const j = pos.get(y);
    if (i === undefined || j === undefined)
      throw new WayfarerError(
        `cohenKappa: rating ${i === undefined ? x : y} is not one of the categories [${cats.join(", ")}]`,
      );
    O[i]![j]!++;
  }
  const rows = O.map((r) => r.reduce((s, v) => s + v, 0));
  const cols = cats.map((_, j) => O.reduce((s, r) => s + r[j]!, 0));
  const N = pairs.length;
  const weights = options.weights ?? "none";
  let num = 0;
  let den = 0;
  for (let i = 0; i < K; i++) {
    for (let j = 0; j < K; j++) {
      const w = weights === "none" ? (i === j ? 0 : 1) : weights === "linear" ? Math.abs(i - j) : (i - j) ** 2;
      num += w * O[i]![j]!;
      den += (w * rows[i]! * cols[j]!) / N;
    }
  }
  if (den === 0) return null;
  return 1 - num / den;
}

/**
 * Fleiss' kappa for items each rated by the same number n ≥ 2 of raters (raters need not be the same
 * people). `ratings[item]` lists the category each rater gave. With N items, n_ij = raters putting
 * item i in category j: P_i = (Σ_j n_ij² − n) / (n(n − 1)), p_j = Σ_i n_ij / (N n),
 * kappa = (mean P_i − Σ p_j²) / (1 − Σ p_j²). Source: J. Fleiss (1971); same as statsmodels
 * `fleiss_kappa(method="fleiss")`. Items with no ratings are ignored; a different number of ratings
 * across items is an error (use Krippendorff's alpha for missing data). Returns null when Σ p_j² = 1.
 */
export function fleissKappa(ratings: ReadonlyArray<ReadonlyArray<number>>): number | null {
  const items = ratings.filter((r) => r.length > 0);
  if (items.length === 0) return null;
  const n = items[0]!.length;
  if (n < 2) throw new WayfarerError("fleissKappa: each item needs at least 2 ratings");
  const bad = items.findIndex((r) => r.length !== n);
  if (bad >= 0)
    throw new WayfarerError(
      `fleissKappa: item ${bad} has ${items[bad]!.length} ratings but the first has ${n}; Fleiss' kappa needs the same number per item (use Krippendorff's alpha for unbalanced data)`,
    );
  const cats = [...new Set(items.flat())].sort((p, q) => p - q);
  const pos = new Map<number, number>();
  for (const [i, c] of cats.entries()) pos.set(c, i);
  const totals = new Array<number>(cats.length).fill(0);
  let sumP = 0;
  for (const r of items) {
    const counts = new Array<number>(cats.length).fill(0);
    for (const v of r) counts[pos.get(v)!]!++;
    let sq = 0;
    counts.forEach((c, j) => {
      sq += c * c;
      totals[j]! += c;
    });
    sumP += (sq - n) / (n * (n - 1));
  }
  const N = items.length;
  const pBar = sumP / N;
  const pe = totals.reduce((s, t) => s + (t / (N * n)) ** 2, 0);
  if (pe === 1) return null;
  return (pBar - pe) / (1 - pe);
}
