/**
 * Seeded randomness and percentile bootstrap confidence intervals. No module state: the caller
 * creates a generator with {@link createRng} and passes it in, so results repeat exactly per seed.
 */

/** A source of uniform numbers in [0, 1). */
export type Rng = () => number;

/**
 * mulberry32: a small, fast 32-bit PRNG (Tommy Ettinger, public domain). Good enough for resampling
 * and shuffling; not for cryptography. The same seed gives the same sequence on every platform.
 */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform integer in [0, n). */
export function randomInt(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}

/** Returns a shuffled copy (Fisher–Yates). */
export function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(rng, i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * The q-quantile (0 ≤ q ≤ 1) of `values` with linear interpolation between order statistics
 * (Hyndman & Fan type 7, numpy's default `np.percentile(..., method="linear")`). Null when empty.
 */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** A point estimate with its percentile bootstrap interval. */
export interface Estimate {
  /** The statistic on the full data; null when undefined there. */
  value: number | null;
  /** Lower / upper bound of the interval; null when too few resamples gave a defined statistic. */
  low: number | null;
  high: number | null;
  /** Resamples on which the statistic was defined (a resample can be degenerate, e.g. constant). */
  resamplesUsed: number;
}

/** Options of {@link bootstrapCi}. */
export interface BootstrapOptions {
  /** Number of resamples. Default 1000. More gives steadier bounds; cost grows linearly. */
  resamples?: number;
  /** Confidence level in (0, 1). Default 0.95 (the 2.5th and 97.5th percentiles). */
  confidence?: number;
  /** The random source; pass `createRng(seed)` for reproducible intervals. */
  rng: Rng;
}

/**
 * Percentile bootstrap (Efron & Tibshirani 1993, ch. 13): draws `resamples` samples of the `units`
 * (items, or inputs for input/system-level statistics) with replacement, evaluates `statistic` on
 * each, and returns the (1−c)/2 and (1+c)/2 quantiles of the defined values. Resamples where the
 * statistic is null are skipped and counted; if fewer than half are defined the bounds are null.
 */
export function bootstrapCi<T>(
  units: readonly T[],
  statistic: (sample: readonly T[]) => number | null,
  options: BootstrapOptions,
): Estimate {
  const value = statistic(units);
  const resamples = options.resamples ?? 1000;
  const confidence = options.confidence ?? 0.95;
  const stats: number[] = [];
  if (units.length > 0) {
    const sample = new Array<T>(units.length);
    for (let b = 0; b < resamples; b++) {
      for (let i = 0; i < units.length; i++) sample[i] = units[randomInt(options.rng, units.length)]!;
      const s = statistic(sample);
      if (s !== null && Number.isFinite(s)) stats.push(s);
    }
  }
  if (stats.length < resamples / 2 || stats.length === 0)
    return { value, low: null, high: null, resamplesUsed: stats.length };
  return {
    value,
    low: quantile(stats, (1 - confidence) / 2),
    high: quantile(stats, (1 + confidence) / 2),
    resamplesUsed: stats.length,
  };
}

/**
 * Like {@link bootstrapCi} for several statistics at once: every resample is drawn once and all
 * statistics are evaluated on it (cheaper, and the intervals come from the same resamples).
 * `statistic` returns one value (or null) per key.
 */
export function bootstrapCiMany<T, K extends string>(
  units: readonly T[],
  keys: readonly K[],
  statistic: (sample: readonly T[]) => Record<K, number | null>,
  options: BootstrapOptions,
): Record<K, Estimate> {
  const sample = new Array<T>(units.length);
  return percentileEstimates(keys, statistic(units), units.length, options, () => {
    for (let i = 0; i < units.length; i++) sample[i] = units[randomInt(options.rng, units.length)]!;
    return statistic(sample);
  });
}

/**
 * Percentile bootstrap where a resample is passed as multiplicities (`counts[i]` = times unit i was
 * drawn) rather than a copied array: for statistics that can use precomputed orderings
 * (see `PairedResampler`). `full` holds the statistics on the original data. Same interval rule as
 * {@link bootstrapCi}.
 */
export function bootstrapCountsMany<K extends string>(
  n: number,
  keys: readonly K[],
  full: Record<K, number | null>,
  statistic: (counts: Int32Array) => Record<K, number | null>,
  options: BootstrapOptions,
): Record<K, Estimate> {
  const counts = new Int32Array(n);
  return percentileEstimates(keys, full, n, options, () => {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[randomInt(options.rng, n)]!++;
    return statistic(counts);
  });
}

/**
 * The shared percentile rule of {@link bootstrapCiMany} and {@link bootstrapCountsMany}: `resample()` draws one
 * resample of the `n` units and returns its statistics; it is called `options.resamples` times (none when n = 0).
 * Non-finite and null values are dropped; an interval is given only when at least half the resamples gave a value.
 */
function percentileEstimates<K extends string>(
  keys: readonly K[],
  full: Record<K, number | null>,
  n: number,
  options: BootstrapOptions,
  resample: () => Record<K, number | null>,
): Record<K, Estimate> {
  const resamples = options.resamples ?? 1000;
  const confidence = options.confidence ?? 0.95;
  const stats = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  if (n > 0) {
    for (let b = 0; b < resamples; b++) {
      const s = resample();
      for (const k of keys) {
        const v = s[k];
        if (v !== null && Number.isFinite(v)) stats[k].push(v);
      }
    }
  }
  const out = {} as Record<K, Estimate>;
  for (const k of keys) {
    const xs = stats[k];
    const ok = xs.length > 0 && xs.length >= resamples / 2;
    out[k] = {
      value: full[k],
      low: ok ? quantile(xs, (1 - confidence) / 2) : null,
      high: ok ? quantile(xs, (1 + confidence) / 2) : null,
      resamplesUsed: xs.length,
    };
  }
  return out;
}
