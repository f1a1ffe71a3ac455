/**
 * The evaluation engine: runs every requested evaluator on every item, writes one `scores` row per
 * (item, evaluator), and summarises per (variant, evaluator).
 *
 * - Cache / resume: each row carries `cache_key = sha256(evaluator id, config signature, inputs)`.
 *   A rerun reuses rows with the same key (scored and not-applicable always; error rows are retried
 *   unless `retryErrors: false`), so a killed run resumes where it stopped and an unchanged rerun
 *   makes no calls. Changing an option, the judge model or the answer changes the key.
 * - Scheduling: work-pool.ts's `runCachedWork`, shared with pairwise judging and the datasets teacher.
 *   Concurrency: at most `concurrency` evaluator calls in flight (default 4).
 *   Rate limits: the OpenAI-compatible generator already retries 429/5xx with backoff (honouring
 *   Retry-After). If a call still fails with a retryable error (`isRetryable: true`) the engine waits
 *   and retries it up to `maxRetries` more times, with every worker paused during the wait, then
 *   records `status: "error"` (retried by the next run).
 * - Nulls: error and not-applicable rows are counted; means are over scored rows only.
 */
import { createHash } from "node:crypto";
import { ConfigError } from "../errors/config-error.ts";
import { type ScoreRow, scoreCache } from "../store/scores.ts";
import type { Store } from "../store/store.ts";
import { EVALUATORS, type EvaluatorContext, type EvaluatorId } from "./registry.ts";
import type { EvaluationCost, EvaluationInput, EvaluationResult } from "./types.ts";
import { runCachedWork, type WorkPoolOptions } from "./work-pool.ts";

/** One answer to evaluate. `(variant, itemId)` is unique within an experiment. */
export interface EvaluationItem {
  variant: string;
  itemId: string;
  input: EvaluationInput;
}

/** An evaluator to run, with its options (validated by the evaluator's schema before any work). */
export interface EvaluatorRequest {
  id: EvaluatorId;
  options?: Record<string, unknown>;
}

/**
 * What every engine run takes besides its work items: the store, the context and how to schedule calls
 * (concurrency, retries, sleep, signal, onProgress: see {@link WorkPoolOptions}).
 */
export interface EngineRunOptions extends WorkPoolOptions {
  store: Store;
  experiment: string;
  context: EvaluatorContext;
  /** Recompute rows that ended in `status: "error"` last time. Default true. */
  retryErrors?: boolean;
  /** Clock for `created_at`; injected in tests. */
  now?: () => Date;
}

/** Options of `evaluateAll`: every (item, evaluator) is one call. */
export interface EvaluateAllOptions extends EngineRunOptions {
  items: readonly EvaluationItem[];
  evaluators: readonly EvaluatorRequest[];
}

/** Per (variant, evaluator) counts, mean of scored values only, and spend. */
export interface EvaluationSummaryRow {
  variant: string;
  evaluator: EvaluatorId;
  /** Distinct result signatures seen (usually one). */
  signatures: string[];
  nScored: number;
  nError: number;
  nNotApplicable: number;
  /** Mean over scored rows; null when none scored (never a mean of nulls). */
  mean: number | null;
  promptTokens: number;
  completionTokens: number;
  /** Summed dollars of rows with a known price; null when no row had one. */
  usd: number | null;
  /** Rows reused from the store instead of computed. */
  nCached: number;
}

export interface EvaluationSummary {
  experiment: string;
  rows: EvaluationSummaryRow[];
  /** Evaluator calls made in this run (not counting retries). */
  computed: number;
  /** Rows reused from the store. */
  cached: number;
}

/** One finished (item, evaluator). */
interface Outcome {
  variant: string;
  evaluator: EvaluatorId;
  result: EvaluationResult;
  cached: boolean;
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** Hash of what an evaluator reads from one input (order-sensitive for references and contexts). */
export function inputHash(input: EvaluationInput): string {
  return sha256(JSON.stringify([input.question, input.answer, input.references ?? null, input.contexts ?? null]));
}

/** Cache key of one (evaluator, config signature, input). */
export function cacheKey(evaluator: string, configSignature: string, inputDigest: string): string {
  return sha256(`${evaluator}\u0000${configSignature}\u0000${inputDigest}`);
}

function rowToResult(r: ScoreRow): EvaluationResult {
  const cost: EvaluationCost = { promptTokens: r.prompt_tokens, completionTokens: r.completion_tokens, usd: r.usd };
  if (r.status === "scored") {
    return {
      status: "scored",
      value: r.value ?? Number.NaN,
      ...(r.reason !== null ? { reason: r.reason } : {}),
      ...(r.details_json !== null ? { details: JSON.parse(r.details_json) as Record<string, number> } : {}),
      signature: r.signature,
      cost,
    };
  }
  return { status: r.status, value: null, reason: r.reason ?? "", signature: r.signature, cost };
}

/**
 * Evaluates every item with every evaluator (see the module doc for caching, concurrency and
 * rate limits), writing one `scores` row per (item, evaluator) as soon as it is known.
 *
 * @throws ConfigError before any work when an evaluator's options or context are invalid, or an
 *   evaluator id is requested twice.
 * @throws RangeError when an (variant, itemId) pair is listed twice.
 * @throws the abort reason when `signal` aborts (rows finished so far stay in the store).
 * @returns summary per (variant, evaluator), in the order variants appear in `items` and evaluators in
 *   `evaluators`.
 */
export async function evaluateAll(opts: EvaluateAllOptions): Promise<EvaluationSummary> {
  const { store, experiment, items, context } = opts;
  const retryErrors = opts.retryErrors ?? true;
  const now = opts.now ?? (() => new Date());

  const ids = opts.evaluators.map((r) => r.id);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice !== undefined)
    throw new ConfigError(
      `evaluator "${twice}" is requested twice; run one evaluateAll per option set (summaries are per evaluator id)`,
    );
  const evaluators = opts.evaluators.map((req) => {
    const ev = EVALUATORS[req.id];
    ev.check(context, req.options);
    return { req, ev, configSignature: ev.configSignature(context, req.options) };
  });
  const seen = new Set<string>();
  for (const it of items) {
    const k = `${it.variant}\u0000${it.itemId}`;
    if (seen.has(k)) throw new RangeError(`evaluateAll: item ${it.itemId} of variant ${it.variant} is listed twice`);
    seen.add(k);
  }

  const scores = scoreCache(store, experiment);
  const write = (item: EvaluationItem, evaluator: string, key: string, digest: string, r: EvaluationResult) =>
    scores.write({
      variant: item.variant,
      itemId: item.itemId,
      evaluator,
      cacheKey: key,
      inputHash: digest,
      status: r.status,
      value: r.value,
      reason: r.reason ?? null,
      detailsJson: r.status === "scored" && r.details ? JSON.stringify(r.details) : null,
      signature: r.signature,
      promptTokens: r.cost.promptTokens,
      completionTokens: r.cost.completionTokens,
      usd: r.cost.usd,
      createdAt: now().toISOString(),
    });

  interface Task {
    item: EvaluationItem;
    digest: string;
    key: string;
    e: (typeof evaluators)[number];
  }
  const tasks: Task[] = [];
  for (const item of items) {
    const digest = inputHash(item.input);
    for (const e of evaluators) tasks.push({ item, digest, key: cacheKey(e.req.id, e.configSignature, digest), e });
  }
  const run = await runCachedWork<Task, EvaluationResult>(
    {
      tasks,
      lookup: (t) => {
        const row = scores.find(t.item.variant, t.item.itemId, t.e.req.id, t.key);
        return row && (row.status !== "error" || !retryErrors) ? rowToResult(row) : undefined;
      },
      compute: (t, signal) =>
        t.e.ev.evaluate(t.item.input, context, {
          ...(t.e.req.options ? { options: t.e.req.options } : {}),
          ...(signal ? { signal } : {}),
        }),
      onError: (t, error) => ({
        status: "error",
        value: null,
        reason: `evaluator failed: ${(error as Error)?.message ?? String(error)}`,
        signature: t.e.configSignature,
        cost: { promptTokens: 0, completionTokens: 0, usd: null },
      }),
      save: (t, r) => write(t.item, t.e.req.id, t.key, t.digest, r),
      costOf: (r) => r.cost,
    },
    opts,
  );
  const outcomes: Outcome[] = tasks.map((t, i) => ({
    variant: t.item.variant,
    evaluator: t.e.req.id,
    result: run.results[i]!,
    cached: run.cached[i]!,
  }));

  return { experiment, rows: summarise(outcomes, items, opts.evaluators), computed: run.computed, cached: run.reused };
}

function summarise(
  outcomes: readonly Outcome[],
  items: readonly EvaluationItem[],
  requests: readonly EvaluatorRequest[],
): EvaluationSummaryRow[] {
  const variants = [...new Set(items.map((i) => i.variant))];
  const rows = new Map<string, EvaluationSummaryRow & { sum: number; usdKnown: boolean }>();
  for (const v of variants) {
    for (const r of requests) {
      rows.set(`${v}\u0000${r.id}`, {
        variant: v,
        evaluator: r.id,
        signatures: [],
        nScored: 0,
        nError: 0,
        nNotApplicable: 0,
        mean: null,
        promptTokens: 0,
        completionTokens: 0,
        usd: null,
        nCached: 0,
        sum: 0,
        usdKnown: false,
      });
    }
  }
  for (const o of outcomes) {
    const row = rows.get(`${o.variant}\u0000${o.evaluator}`)!;
    const r = o.result;
    if (!row.signatures.includes(r.signature)) row.signatures.push(r.signature);
    if (r.status === "scored") {
      row.nScored++;
      row.sum += r.value;
    } else if (r.status === "error") row.nError++;
    else row.nNotApplicable++;
    row.promptTokens += r.cost.promptTokens;
    row.completionTokens += r.cost.completionTokens;
    if (r.cost.usd !== null) {
      row.usd = (row.usd ?? 0) + r.cost.usd;
      row.usdKnown = true;
    }
    if (o.cached) row.nCached++;
  }
  return [...rows.values()].map(({ sum, usdKnown: _u, ...row }) => ({
    ...row,
    mean: row.nScored > 0 ? sum / row.nScored : null,
  }));
}
