/**
 * Train/validation/test assignment by thread, stratified by subreddit, seeded.
 *
 * Within each subreddit, threads are ordered by a keyed hash of (seed, thread fullname) — so the
 * assignment of a thread depends only on the seed, its id and the size of the group it is cut in,
 * not on input order — and cut at the cumulative ratios (rounded). Every thread lands in exactly one
 * split, so no thread (or any of its comments) can leak between splits.
 *
 * Tiny strata: a subreddit with fewer threads than 1 / (smallest non-zero ratio) cannot give every
 * split a thread (4 threads at test 0.1 round to 0 test threads), so stratifying it would silently
 * empty a split that was asked for. Such subreddits are pooled and cut together, unstratified, and a
 * warning says which and how many. A split that still gets no thread (too few threads overall) is
 * warned about too.
 */
import { createHash } from "node:crypto";

export const SPLIT_NAMES = ["train", "validation", "test"] as const;
export type SplitName = (typeof SPLIT_NAMES)[number];

/** Shares of threads per split; must add up to 1. */
export interface SplitRatios {
  train: number;
  validation: number;
  test: number;
}

/** Options of {@link assignSplits}. */
export interface AssignSplitsOptions {
  /** Threads to assign: fullname (`t3_...`) and subreddit (the stratum). Names must be unique. */
  threads: readonly { name: string; subreddit: string }[];
  ratios: SplitRatios;
  seed: number;
}

/** What {@link planSplits} decided: the assignment and what the user should know about it. */
export interface SplitPlan {
  /** Thread fullname -> split. */
  assignment: Map<string, SplitName>;
  /** Subreddits too small to stratify, split together unstratified (sorted by name). */
  pooled: string[];
  /** Plain-language warnings (pooled strata, a requested split left empty); empty when none. */
  warnings: string[];
}

function rank(seed: number, name: string): string {
  return createHash("sha256").update(`${seed}\u0000${name}`).digest("hex");
}

/** Cuts `names` in hash order at the cumulative rounded ratios into `out`. */
function cut(names: readonly string[], opts: AssignSplitsOptions, out: Map<string, SplitName>): void {
  const ranked = names.map((n) => ({ n, r: rank(opts.seed, n) })).sort((a, b) => (a.r < b.r ? -1 : a.r > b.r ? 1 : 0));
  const n = ranked.length;
  const cutTrain = Math.round(n * opts.ratios.train);
  const cutVal = Math.round(n * (opts.ratios.train + opts.ratios.validation));
  for (const [i, { n: name }] of ranked.entries())
    out.set(name, i < cutTrain ? "train" : i < cutVal ? "validation" : "test");
}

/**
 * Returns the split plan. Per subreddit of n threads (n ≥ 1 / smallest non-zero ratio): the first
 * round(n·train) threads in hash order go to train, up to round(n·(train+validation)) to validation,
 * the rest to test. Smaller subreddits are pooled and cut the same way as one group (see the module
 * comment); a pool of one thread goes to train.
 */
export function planSplits(opts: AssignSplitsOptions): SplitPlan {
  const bySub = new Map<string, string[]>();
  for (const t of opts.threads) {
    const list = bySub.get(t.subreddit);
    if (list) list.push(t.name);
    else bySub.set(t.subreddit, [t.name]);
  }
  const nonZero = SPLIT_NAMES.map((s) => opts.ratios[s]).filter((r) => r > 0);
  // Smallest stratum in which every requested split expects at least one thread (n·ratio ≥ 1).
  const minStratum = Math.ceil(1 / Math.min(...nonZero) - 1e-9);
  const out = new Map<string, SplitName>();
  const pooled: string[] = [];
  const pool: string[] = [];
  for (const [sub, names] of bySub) {
    if (names.length >= minStratum) cut(names, opts, out);
    else {
      pooled.push(sub);
      pool.push(...names);
    }
  }
  if (pool.length > 0) cut(pool, opts, out);
  pooled.sort();
  const warnings: string[] = [];
  if (pooled.length > 0) {
    const shown = pooled.slice(0, 10).join(", ") + (pooled.length > 10 ? `, … (${pooled.length - 10} more)` : "");
    warnings.push(
      `${pooled.length} subreddit(s) have fewer than ${minStratum} threads, too few to stratify at these ratios (a split of ${Math.min(...nonZero)} would round to 0 threads): their ${pool.length} threads were split together, unstratified (${shown})`,
    );
  }
  const got = Object.fromEntries(SPLIT_NAMES.map((s) => [s, 0])) as Record<SplitName, number>;
  for (const s of out.values()) got[s]++;
  for (const s of SPLIT_NAMES)
    if (opts.ratios[s] > 0 && got[s] === 0 && opts.threads.length > 0)
      warnings.push(
        `split "${s}" got 0 of ${opts.threads.length} threads although ${opts.ratios[s]} was asked for: too few threads`,
      );
  return { assignment: out, pooled, warnings };
}

/** Thread fullname -> split; {@link planSplits} without its warnings. */
export function assignSplits(opts: AssignSplitsOptions): Map<string, SplitName> {
  return planSplits(opts).assignment;
}
