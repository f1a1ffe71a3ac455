/**
 * Pairwise judging as an engine path (the counterpart of `evaluateAll` for MT-Bench pairwise comparisons,
 * `judge/pairwise.ts`): every (item, variant A, variant B) is judged in both orders; the verdict is a win
 * only when both orders agree, otherwise a tie.
 *
 * - Stored: one `pair_verdicts` row per comparison with both raw replies, each order's verdict (game 2
 *   mapped back to the original labelling), the final verdict, tokens and dollars.
 * - Nulls: a reply without a verdict marker makes the comparison `unparseable` (verdict null); it is
 *   kept (a judge that answered, at temperature 0, answers the same again), counted and reported on its
 *   own (`nUnparseable`), and left out of the win rates, whose denominator is the comparisons WITH a
 *   verdict (`nVerdicts`). A provider failure (HTTP after retries) is `error`, counted the same way
 *   (`nError`), and is retried by the next run (unless `retryErrors: false`).
 * - Rates: the plain win rate wins / nVerdicts and MT-Bench's adjusted win rate (wins + ties / 2) / nVerdicts
 *   (FastChat `show_result.py`, "win_rate_adjusted"), side by side.
 * - Cache / resume: `cache_key = sha256("judge-pairwise", config signature, hash of question, both
 *   answers and the reference when the prompt shows it)`; a rerun reuses stored rows, a killed run
 *   resumes where it stopped. Changing the judge, an option or an answer changes the key.
 * - Concurrency, rate-limit pauses and aborts as in `engine.ts`.
 */
import { createHash } from "node:crypto";
import type { z } from "zod";
import { ConfigError } from "../errors/config-error.ts";
import { type PairVerdictRow, pairVerdictCache } from "../store/pair-verdicts.ts";
import { cacheKey, type EngineRunOptions } from "./engine.ts";
import {
  comparePair,
  optionsSchema,
  type PairInput,
  type PairResult,
  type PairwiseOptions,
  pairwiseSignature,
  referenceUsed,
} from "./judge/pairwise.ts";
import type { PairVerdict } from "./judge/parse.ts";
import type { EvaluationCost } from "./types.ts";
import { runCachedWork } from "./work-pool.ts";

export const PAIRWISE_EVALUATOR = "judge-pairwise" as const;

/** One comparison: the same item answered by two variants (A is shown first in game 1). */
export interface PairItem {
  itemId: string;
  variantA: string;
  variantB: string;
  input: PairInput;
}

/**
 * Options of {@link comparePairsAll}: the engine's (see {@link EngineRunOptions}; `context` needs `judge`, and
 * one unit of work is one comparison, i.e. two judge calls one after the other).
 */
export interface ComparePairsOptions extends EngineRunOptions {
  items: readonly PairItem[];
  /** Options of `comparePair` (maxTokens, reference "auto" | "never"). */
  options?: PairwiseOptions;
}

export type PairStatus = "scored" | "unparseable" | "error";

/** One judged comparison (also a line of `evaluate/pairwise.jsonl`). */
export interface PairVerdictRecord {
  itemId: string;
  variantA: string;
  variantB: string;
  evaluator: typeof PAIRWISE_EVALUATOR;
  status: PairStatus;
  /** Final verdict: "A"/"B" only when both orders agree; null when unparseable or errored (counted). */
  verdict: "A" | "B" | "tie" | null;
  /** Each order's verdict in the original labelling (game 2 mapped back); null where it did not parse. */
  games: [PairVerdict | null, PairVerdict | null];
  /** Both orders gave the same verdict; null when either did not parse. */
  consistent: boolean | null;
  /** Raw judge replies: game 1 (A first), game 2 (B first); null after a provider error. */
  raw: [string | null, string | null];
  reason: string | null;
  signature: string;
  cost: EvaluationCost;
  /** Reused from the store in this run. */
  cached: boolean;
}

/**
 * Win / tie / loss counts of one ordered variant pair. Comparisons without a verdict (unparseable, error) are
 * counted in `n` and reported on their own, never in a rate: every rate's denominator is `nVerdicts`.
 */
export interface PairSummaryRow {
  variantA: string;
  variantB: string;
  /** Comparisons (items), nulls included. */
  n: number;
  /** Comparisons with a verdict: winsA + winsB + ties (the rates' denominator). */
  nVerdicts: number;
  winsA: number;
  winsB: number;
  ties: number;
  /** Verdicts that did not parse (counted and reported, left out of the rates). */
  nUnparseable: number;
  /** Provider failures (counted and reported, left out of the rates). */
  nError: number;
  /** winsA / nVerdicts, in [0, 1] (null when no comparison has a verdict). */
  winRateA: number | null;
  /** winsB / nVerdicts. */
  winRateB: number | null;
  /** ties / nVerdicts. */
  tieRate: number | null;
  /** MT-Bench adjusted win rate of A, a tie counting half: (winsA + ties / 2) / nVerdicts. */
  winRateAdjustedA: number | null;
  /** (winsB + ties / 2) / nVerdicts. */
  winRateAdjustedB: number | null;
  /** Comparisons whose two orders both parsed. */
  nBothParsed: number;
  /** Of those, how many gave the same verdict in both orders. */
  nConsistent: number;
  /** Position consistency: nConsistent / nBothParsed (null when nothing parsed). */
  consistencyRate: number | null;
  promptTokens: number;
  completionTokens: number;
  /** Summed dollars of comparisons with a known price; null when none had one. */
  usd: number | null;
  nCached: number;
  signatures: string[];
}

export interface ComparePairsResult {
  experiment: string;
  /** In the order of `items`. */
  records: PairVerdictRecord[];
  /** Per ordered (A, B) pair, in order of first appearance. */
  rows: PairSummaryRow[];
  /** Comparisons judged in this run. */
  computed: number;
  /** Comparisons reused from the store. */
  cached: number;
}

type VerdictRow = PairVerdictRow;

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** Hash of what a comparison shows the judge (the reference only when the prompt includes it). */
export function pairInputHash(input: PairInput, options: z.output<typeof optionsSchema>): string {
  return sha256(JSON.stringify([input.question, input.answerA, input.answerB, referenceUsed(input, options) ?? null]));
}

function fromResult(item: PairItem, r: PairResult): Omit<PairVerdictRecord, "cached"> {
  const base = { itemId: item.itemId, variantA: item.variantA, variantB: item.variantB, evaluator: PAIRWISE_EVALUATOR };
  if (r.status === "scored") {
    return {
      ...base,
      status: "scored",
      verdict: r.winner,
      games: r.games,
      consistent: r.consistent,
      raw: r.raw,
      reason: null,
      signature: r.signature,
      cost: r.cost,
    };
  }
  return {
    ...base,
    status: "unparseable",
    verdict: null,
    games: r.games,
    consistent: null,
    raw: r.raw,
    reason: r.reason,
    signature: r.signature,
    cost: r.cost,
  };
}

function fromRow(item: PairItem, row: VerdictRow): PairVerdictRecord {
  return {
    itemId: item.itemId,
    variantA: item.variantA,
    variantB: item.variantB,
    evaluator: PAIRWISE_EVALUATOR,
    status: row.status,
    verdict: row.verdict,
    games: [row.game1, row.game2],
    consistent: row.consistent === null ? null : row.consistent === 1,
    raw: [row.raw1, row.raw2],
    reason: row.reason,
    signature: row.signature,
    cost: { promptTokens: row.prompt_tokens, completionTokens: row.completion_tokens, usd: row.usd },
    cached: true,
  };
}

/**
 * Judges every comparison in both orders (see the module doc), writing one `pair_verdicts` row each as soon
 * as it is known.
 * @throws ConfigError before any work when the context has no judge or the options are invalid.
 * @throws RangeError when a comparison is listed twice or compares a variant with itself.
 * @throws the abort reason when `signal` aborts (finished comparisons stay in the store).
 */
export async function comparePairsAll(opts: ComparePairsOptions): Promise<ComparePairsResult> {
  const { store, experiment, items, context } = opts;
  if (!context.judge)
    throw new ConfigError("pairwise judging needs a judge model (evaluate.pairwise.judge or evaluate.judge.model)");
  const parsed = optionsSchema.safeParse(opts.options ?? {});
  if (!parsed.success)
    throw new ConfigError(
      `pairwise options: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  const options = parsed.data;
  const retryErrors = opts.retryErrors ?? true;
  const now = opts.now ?? (() => new Date());
  const configSignature = pairwiseSignature(options, context);

  const seen = new Set<string>();
  for (const it of items) {
    if (it.variantA === it.variantB)
      throw new RangeError(`comparePairsAll: item ${it.itemId} compares ${it.variantA} with itself`);
    const k = `${it.itemId}\u0000${it.variantA}\u0000${it.variantB}`;
    if (seen.has(k))
      throw new RangeError(`comparePairsAll: item ${it.itemId} of ${it.variantA} vs ${it.variantB} is listed twice`);
    seen.add(k);
  }

  const verdicts = pairVerdictCache(store, experiment);
  const write = (key: string, digest: string, r: Omit<PairVerdictRecord, "cached">) =>
    verdicts.write({
      itemId: r.itemId,
      variantA: r.variantA,
      variantB: r.variantB,
      evaluator: PAIRWISE_EVALUATOR,
      cacheKey: key,
      inputHash: digest,
      signature: r.signature,
      status: r.status,
      verdict: r.verdict,
      games: r.games,
      consistent: r.consistent,
      raw: r.raw,
      reason: r.reason,
      promptTokens: r.cost.promptTokens,
      completionTokens: r.cost.completionTokens,
      usd: r.cost.usd,
      createdAt: now().toISOString(),
    });

  interface Task {
    item: PairItem;
    digest: string;
    key: string;
  }
  const tasks: Task[] = items.map((item) => {
    const digest = pairInputHash(item.input, options);
    return { item, digest, key: cacheKey(PAIRWISE_EVALUATOR, configSignature, digest) };
  });
  const run = await runCachedWork<Task, PairVerdictRecord>(
    {
      tasks,
      lookup: ({ item, key }) => {
        const row = verdicts.find(item.itemId, item.variantA, item.variantB, PAIRWISE_EVALUATOR, key);
        return row && (row.status !== "error" || !retryErrors) ? fromRow(item, row) : undefined;
      },
      compute: async ({ item }, signal) => ({
        ...fromResult(item, await comparePair(item.input, context, options, signal)),
        cached: false,
      }),
      onError: ({ item }, error) => ({
        itemId: item.itemId,
        variantA: item.variantA,
        variantB: item.variantB,
        evaluator: PAIRWISE_EVALUATOR,
        status: "error",
        verdict: null,
        games: [null, null],
        consistent: null,
        raw: [null, null],
        reason: `evaluator failed: ${(error as Error)?.message ?? String(error)}`,
        signature: configSignature,
        cost: { promptTokens: 0, completionTokens: 0, usd: null },
        cached: false,
      }),
      save: (t, r) => write(t.key, t.digest, r),
      costOf: (r) => r.cost,
    },
    opts,
  );
  const records = run.results;
  return { experiment, records, rows: summarisePairVerdicts(records), computed: run.computed, cached: run.reused };
}

/** Win/tie/loss table per ordered (A, B) variant pair; see {@link PairSummaryRow} for the rates. */
export function summarisePairVerdicts(
  records: readonly Pick<
    PairVerdictRecord,
    "variantA" | "variantB" | "status" | "verdict" | "consistent" | "signature" | "cost" | "cached"
  >[],
): PairSummaryRow[] {
  const rows = new Map<string, PairSummaryRow>();
  for (const r of records) {
    const k = `${r.variantA}\u0000${r.variantB}`;
    let row = rows.get(k);
    if (!row) {
      row = {
        variantA: r.variantA,
        variantB: r.variantB,
        n: 0,
        nVerdicts: 0,
        winsA: 0,
        winsB: 0,
        ties: 0,
        nUnparseable: 0,
        nError: 0,
        winRateA: null,
        winRateB: null,
        tieRate: null,
        winRateAdjustedA: null,
        winRateAdjustedB: null,
        nBothParsed: 0,
        nConsistent: 0,
        consistencyRate: null,
        promptTokens: 0,
        completionTokens: 0,
        usd: null,
        nCached: 0,
        signatures: [],
      };
      rows.set(k, row);
    }
    row.n++;
    if (r.status === "scored") {
      if (r.verdict === "A") row.winsA++;
      else if (r.verdict === "B") row.winsB++;
      else row.ties++;
    } else if (r.status === "unparseable") row.nUnparseable++;
    else row.nError++;
    if (r.consistent !== null) {
      row.nBothParsed++;
      if (r.consistent) row.nConsistent++;
    }
    row.promptTokens += r.cost.promptTokens;
    row.completionTokens += r.cost.completionTokens;
    if (r.cost.usd !== null) row.usd = (row.usd ?? 0) + r.cost.usd;
    if (r.cached) row.nCached++;
    if (!row.signatures.includes(r.signature)) row.signatures.push(r.signature);
  }
  for (const row of rows.values()) {
    const v = row.winsA + row.winsB + row.ties;
    row.nVerdicts = v;
    row.winRateA = v > 0 ? row.winsA / v : null;
    row.winRateB = v > 0 ? row.winsB / v : null;
    row.tieRate = v > 0 ? row.ties / v : null;
    row.winRateAdjustedA = v > 0 ? (row.winsA + row.ties / 2) / v : null;
    row.winRateAdjustedB = v > 0 ? (row.winsB + row.ties / 2) / v : null;
    row.consistencyRate = row.nBothParsed > 0 ? row.nConsistent / row.nBothParsed : null;
  }
  return [...rows.values()];
}
