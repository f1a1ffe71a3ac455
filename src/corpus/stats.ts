/** Counters for the corpus card: per-filter in/out, per-subreddit counts, histograms. */

/** One filter's effect. `in` = items that reached the filter, `out` = items it let through. */
export interface FilterStat {
  id: string;
  unit: "thread" | "comment";
  description: string;
  /** False when the filter is switched off in the settings (then `in` = `out` = 0). */
  enabled: boolean;
  in: number;
  out: number;
}

/** Counts items in and out of named filters, in the order the filters were first declared. */
export class FilterCounter {
  private readonly stats = new Map<string, FilterStat>();

  /** Declares a filter (so it shows in the card even when nothing reached it); `enabled: false` shows it as off. */
  declare(id: string, unit: FilterStat["unit"], description: string, opts: { enabled?: boolean } = {}): void {
    if (!this.stats.has(id))
      this.stats.set(id, { id, unit, description, enabled: opts.enabled ?? true, in: 0, out: 0 });
  }

  /** Records that one item reached filter `id` and whether it passed; returns `pass`. */
  pass(id: string, pass: boolean): boolean {
    const s = this.stats.get(id);
    if (!s) throw new Error(`filter ${id} not declared`);
    s.in++;
    if (pass) s.out++;
    return pass;
  }

  list(): FilterStat[] {
    return [...this.stats.values()].map((s) => ({ ...s }));
  }
}

/** A histogram over fixed, increasing upper bounds (the last bucket is open-ended). */
export interface Histogram {
  /** Bucket labels, e.g. "0-49", "50-99", ..., "6400+". */
  labels: string[];
  counts: number[];
}

/** Builds histograms with lower bounds `bounds` (first must be the minimum possible value). */
export class HistogramCounter {
  private readonly counts: number[];
  constructor(private readonly bounds: readonly number[]) {
    this.counts = bounds.map(() => 0);
  }
  add(value: number): void {
    let i = this.bounds.length - 1;
    while (i > 0 && value < this.bounds[i]!) i--;
    this.counts[i]!++;
  }
  toJSON(): Histogram {
    const labels = this.bounds.map((b, i) => {
      const next = this.bounds[i + 1];
      if (i === 0 && b === Number.NEGATIVE_INFINITY) return `<${next}`;
      return next === undefined ? `${b}+` : next - 1 === b ? `${b}` : `${b}-${next - 1}`;
    });
    return { labels, counts: [...this.counts] };
  }
}

/** Character-length buckets used in the card. */
export const LENGTH_BOUNDS = [0, 50, 100, 200, 400, 800, 1600, 3200, 6400] as const;
/** Score buckets used in the card. */
export const SCORE_BOUNDS = [Number.NEGATIVE_INFINITY, 0, 1, 10, 100, 1000, 10000] as const;
