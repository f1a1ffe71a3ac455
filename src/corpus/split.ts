/**
 * Train/validation/test assignment by thread, stratified by subreddit, seeded.
 *
 * Within each subreddit, threads are ordered by a keyed hash of (seed, thread fullname) — so the
 * assignment of a thread depends only on the seed, its id and its subreddit's size, not on input
 * order — and cut at the cumulative ratios (rounded). Every thread lands in exactly one split,
 * so no thread (or any of its comments) can leak between splits.
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

function rank(seed: number, name: string): string {
  return createHash("sha256").update(`${seed}\u0000${name}`).digest("hex");
}

/**
 * Returns thread fullname -> split. Per subreddit of n threads: the first round(n·train) threads in
 * hash order go to train, up to round(n·(train+validation)) to validation, the rest to test.
 * Small strata therefore fill train first (1 thread -> train).
 */
export function assignSplits(opts: AssignSplitsOptions): Map<string, SplitName> {
  const bySub = new Map<string, string[]>();
  for (const t of opts.threads) {
    const list = bySub.get(t.subreddit);
    if (list) list.push(t.name);
    else bySub.set(t.subreddit, [t.name]);
  }
  const out = new Map<string, SplitName>();
  for (const names of bySub.values()) {
    const ranked = names
      .map((n) => ({ n, r: rank(opts.seed, n) }))
      .sort((a, b) => (a.r < b.r ? -1 : a.r > b.r ? 1 : 0));
    const n = ranked.length;
    const cutTrain = Math.round(n * opts.ratios.train);
    const cutVal = Math.round(n * (opts.ratios.train + opts.ratios.validation));
    for (const [i, { n: name }] of ranked.entries())
      out.set(name, i < cutTrain ? "train" : i < cutVal ? "validation" : "test");
  }
  return out;
}
