/**
 * The scheduling core of every path that calls models once per unit of work and keeps the results in the
 * store: `evaluateAll` (engine.ts), `comparePairsAll` (pairwise-engine.ts) and the datasets teacher
 * (datasets/teacher.ts). One implementation of:
 *
 * - Cache / resume: before computing a task, `lookup` may return a stored result; it is reused and nothing is
 *   called. A computed result is handed to `save` the moment it is known, so a killed run keeps what finished.
 * - Concurrency: at most `concurrency` tasks in flight (default 4), taken in list order.
 * - Rate limits: a thrown error with `isRetryable: true` (APICallError after the provider's own retries)
 *   pauses every worker (2 s, 4 s, ... capped at 60 s) and retries the task up to `maxRetries` more times;
 *   any other error, or one that is still failing, becomes `onError(task, error)` (saved like a result).
 * - Aborts: `signal` stops scheduling; finished results are kept; the promise rejects with the abort reason.
 */

import { reportSpend, type Spend } from "../models/spend.ts";

/** Scheduling options shared by every engine path (see the module doc). */
export interface WorkPoolOptions {
  /** Calls in flight at once, >= 1. Default 4. */
  concurrency?: number;
  /** Extra attempts after a thrown retryable error (`isRetryable: true`), >= 0. Default 2. */
  maxRetries?: number;
  /** Waits between those attempts; injected in tests. Default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** Stops scheduling new calls; the promise rejects with the abort reason. */
  signal?: AbortSignal;
  /** Called after each task finishes, cached ones included: (done, total). */
  onProgress?: (done: number, total: number) => void;
}

/** What to do per task: look up, compute, turn a failure into a result, persist. */
export interface CachedWork<T, R> {
  tasks: readonly T[];
  /** A stored result to reuse, or undefined to compute. Called once per task, just before it would be computed. */
  lookup(task: T): R | undefined;
  /** Computes one task; provider failures are thrown (retryable ones are retried, see the module doc). */
  compute(task: T, signal?: AbortSignal): Promise<R>;
  /** The result recorded for a task whose compute threw (not retryable, or retries used up). */
  onError(task: T, error: unknown): R;
  /** Persists a computed (or failed) result; not called for reused ones. Runs synchronously, e.g. one transaction. */
  save(task: T, result: R): void;
  /**
   * What a computed result cost (tokens, dollars); reported to the run's spend meter (src/models/spend.ts)
   * right after `save`, so a live view shows tokens as they are spent. Reused results are not reported.
   */
  costOf?(result: R): Partial<Spend> | null | undefined;
}

/** Results in task order, with which were reused. */
export interface CachedWorkOutcome<R> {
  results: R[];
  /** `cached[i]` is true when `results[i]` came from `lookup`. */
  cached: boolean[];
  /** Tasks computed in this run (not counting retries). */
  computed: number;
  /** Tasks reused from the store. */
  reused: number;
}

/** True for errors that say a retry may succeed (`APICallError.isRetryable`). */
export function isRetryable(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { isRetryable?: unknown }).isRetryable === true;
}

/** The default backoff sleep. */
const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Runs every task through lookup -> compute (with retries) -> save on a pool of `concurrency` workers.
 * @throws the abort reason when `signal` aborts (saved results stay saved), or whatever `lookup`/`save` throw.
 */
export async function runCachedWork<T, R>(
  work: CachedWork<T, R>,
  o: WorkPoolOptions = {},
): Promise<CachedWorkOutcome<R>> {
  const { tasks } = work;
  const concurrency = Math.max(1, Math.floor(o.concurrency ?? 4));
  const maxRetries = Math.max(0, o.maxRetries ?? 2);
  const sleep = o.sleep ?? defaultSleep;
  const results: R[] = new Array(tasks.length);
  const cached: boolean[] = new Array(tasks.length).fill(false);
  let done = 0;
  let computed = 0;
  let next = 0;
  /** Resolves when a rate-limit pause is over; every worker waits on it before a new call. */
  let pause: Promise<void> = Promise.resolve();

  const runOne = async (index: number): Promise<void> => {
    const task = tasks[index]!;
    const hit = work.lookup(task);
    if (hit !== undefined) {
      results[index] = hit;
      cached[index] = true;
      return;
    }
    let result: R;
    for (let attempt = 0; ; attempt++) {
      await pause;
      o.signal?.throwIfAborted();
      try {
        result = await work.compute(task, o.signal);
        break;
      } catch (error) {
        if (o.signal?.aborted) throw o.signal.reason;
        if (isRetryable(error) && attempt < maxRetries) {
          const wait = Math.min(60_000, 2000 * 2 ** attempt);
          pause = Promise.all([pause, sleep(wait)]).then(() => undefined);
          continue;
        }
        result = work.onError(task, error);
        break;
      }
    }
    computed++;
    work.save(task, result);
    if (work.costOf) reportSpend(work.costOf(result));
    results[index] = result;
  };

  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      o.signal?.throwIfAborted();
      const i = next++;
      await runOne(i);
      done++;
      o.onProgress?.(done, tasks.length);
    }
  };
  const workers = Array.from({ length: Math.min(concurrency, Math.max(1, tasks.length)) }, () => worker());
  const settled = await Promise.allSettled(workers);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed) throw failed.reason;
  return { results, cached, computed, reused: done - computed };
}
