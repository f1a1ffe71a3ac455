/**
 * Meta-evaluation: how well does each automatic evaluator agree with the human raters?
 *
 * Human scores are first averaged per (input, system, criterion) over raters ("human mean"). Each
 * evaluator is then correlated with the human mean of each criterion at three levels:
 * - item: all (input, system) outputs pooled; bootstrap resamples items.
 * - input: per input, correlation across the systems that answered it, then averaged over inputs
 *   (the "summary-level" protocol of SummEval / G-Eval). Inputs where either side is constant (or
 *   with fewer than 2 systems) are skipped and counted. Bootstrap resamples inputs.
 * - system: one mean per system over the outputs both sides scored, correlated across systems;
 *   bootstrap resamples inputs (Deutsch et al. 2021) and recomputes the system means.
 * Each level reports Pearson, Spearman and Kendall tau-b with percentile bootstrap 95% CIs, and
 * whether there is enough data to conclude anything ({@link DEFAULT_SUFFICIENCY}).
 * Pairwise agreement compares, for every input and pair of systems, the human preference (sign
 * of the difference of human means) with the evaluator's; reported with and without ties.
 */
import { WayfarerError } from "../../errors/wayfarer-error.ts";
import { bootstrapCiMany, bootstrapCountsMany, createRng, type Estimate, type Rng } from "./bootstrap.ts";
import { CORRELATION_METHODS, type CorrelationMethod, correlate } from "./correlation.ts";
import type { HumanJudgment, MetricScore } from "./judgments.ts";
import { type PairwiseAgreement, type Preference, pairwiseAgreement, preferenceFromScores } from "./pairwise.ts";
import { PairedResampler } from "./resample-correlation.ts";

export type MetaLevel = "item" | "input" | "system";
export const META_LEVELS: readonly MetaLevel[] = ["item", "input", "system"] as const;

/**
 * Smallest sample at which a level's correlations are worth reading. Below it the result is still
 * computed but marked `sufficient: false` and the report says there is too little data to conclude.
 * Rationale: with 30 items the 95% CI of a Spearman rho around 0.5 spans about ±0.3, which is
 * already wide; below that an evaluator ranking is mostly noise. With fewer than 10 inputs an
 * input-level average rests on too few questions; with fewer than 5 systems Kendall's tau can
 * only take a handful of values and a single swap moves it by 0.2 or more.
 */
export interface SufficiencyThresholds {
  /** Minimum (input, system) items scored by both sides. Default 30. */
  items: number;
  /** Minimum inputs that enter the input-level average (non-constant, ≥ 2 systems). Default 10. */
  inputs: number;
  /** Minimum systems at system level. Default 5. */
  systems: number;
}

export const DEFAULT_SUFFICIENCY: SufficiencyThresholds = Object.freeze({ items: 30, inputs: 10, systems: 5 });

/** Options of {@link metaEvaluate}. */
export interface MetaEvaluateOptions {
  /** Levels to compute. Default all three. */
  levels?: readonly MetaLevel[];
  /** Human criteria to compare against. Default: every criterion in the human data. */
  criteria?: readonly string[];
  /** Evaluators to include. Default: every evaluator in the scores. */
  evaluators?: readonly string[];
  /** Bootstrap resamples per estimate. Default 1000; 0 disables the CIs. */
  resamples?: number;
  /** Confidence level of the intervals. Default 0.95. */
  confidence?: number;
  /** Seed of the bootstrap PRNG; the same seed gives the same intervals. Default 1. */
  seed?: number;
  /** See {@link SufficiencyThresholds}. */
  thresholds?: SufficiencyThresholds;
}

/** Correlations at one level for one (evaluator, criterion). */
export interface LevelResult {
  level: MetaLevel;
  /** Units the correlation was computed over: items, inputs averaged, or systems. */
  n: number;
  /** Input level only: inputs skipped because a side was constant or had < 2 systems. */
  skipped: number;
  correlations: Record<CorrelationMethod, Estimate>;
  /** False when `n` is below the threshold; `note` says so in words. */
  sufficient: boolean;
  note?: string;
}

/** Everything measured for one evaluator against one human criterion. */
export interface EvaluatorAgreement {
  evaluator: string;
  criterion: string;
  levels: Partial<Record<MetaLevel, LevelResult>>;
  pairwise: PairwiseAgreement;
}

/** Summary of the human data for one criterion. */
export interface HumanSummary {
  criterion: string;
  items: number;
  ratings: number;
  raters: number;
  /** Items rated by at least two raters (needed for inter-rater agreement). */
  itemsWithTwoRatings: number;
}

/** The full meta-evaluation. */
export interface MetaEvaluation {
  human: HumanSummary[];
  results: EvaluatorAgreement[];
  thresholds: SufficiencyThresholds;
  confidence: number;
  resamples: number;
  seed: number;
  /** Plain-language warnings (too little data, unmatched items). */
  notes: string[];
}

type Resolved = Required<Omit<MetaEvaluateOptions, "levels" | "criteria" | "evaluators">>;

interface Pair {
  inputId: string;
  systemId: string;
  human: number;
  metric: number;
}

const key = (input: string, system: string) => `${input}\u0000${system}`;

/** Averages human scores per (input, system) for each criterion. */
export function humanMeans(
  judgments: readonly HumanJudgment[],
): Map<string, Map<string, { inputId: string; systemId: string; mean: number; count: number }>> {
  const out = new Map<
    string,
    Map<string, { inputId: string; systemId: string; sum: number; count: number; mean: number }>
  >();
  for (const j of judgments) {
    let m = out.get(j.criterion);
    if (!m) {
      m = new Map();
      out.set(j.criterion, m);
    }
    const k = key(j.inputId, j.systemId);
    const cell = m.get(k) ?? { inputId: j.inputId, systemId: j.systemId, sum: 0, count: 0, mean: 0 };
    cell.sum += j.score;
    cell.count++;
    cell.mean = cell.sum / cell.count;
    m.set(k, cell);
  }
  return out;
}

function estimateAll<T>(
  units: readonly T[],
  all: (sample: readonly T[]) => Record<CorrelationMethod, number | null>,
  resamples: number,
  confidence: number,
  rng: Rng,
): Record<CorrelationMethod, Estimate> {
  if (resamples > 0) return bootstrapCiMany(units, CORRELATION_METHODS, all, { rng, resamples, confidence });
  const full = all(units);
  return Object.fromEntries(
    CORRELATION_METHODS.map((m) => [m, { value: full[m], low: null, high: null, resamplesUsed: 0 }]),
  ) as Record<CorrelationMethod, Estimate>;
}

const NONE: Record<CorrelationMethod, number | null> = Object.freeze({ pearson: null, spearman: null, kendall: null });

function itemLevel(pairs: readonly Pair[], o: Resolved, rng: Rng): LevelResult {
  const x = pairs.map((p) => p.metric);
  const y = pairs.map((p) => p.human);
  const full = Object.fromEntries(CORRELATION_METHODS.map((m) => [m, correlate(m, x, y)])) as Record<
    CorrelationMethod,
    number | null
  >;
  let correlations: Record<CorrelationMethod, Estimate>;
  if (o.resamples > 0) {
    const resampler = new PairedResampler(x, y);
    correlations = bootstrapCountsMany(pairs.length, CORRELATION_METHODS, full, (c) => resampler.correlations(c), {
      rng,
      resamples: o.resamples,
      confidence: o.confidence,
    });
  } else {
    correlations = Object.fromEntries(
      CORRELATION_METHODS.map((m) => [m, { value: full[m], low: null, high: null, resamplesUsed: 0 }]),
    ) as Record<CorrelationMethod, Estimate>;
  }
  return finish({ level: "item", n: pairs.length, skipped: 0, correlations }, o.thresholds.items, "items");
}

function inputLevel(pairs: readonly Pair[], o: Resolved, rng: Rng): LevelResult {
  const byInput = groupBy(pairs, (p) => p.inputId);
  const perInput: Array<Record<CorrelationMethod, number>> = [];
  let skipped = 0;
  for (const group of byInput.values()) {
    const h = group.map((p) => p.human);
    const m = group.map((p) => p.metric);
    if (group.length < 2 || h.every((v) => v === h[0]) || m.every((v) => v === m[0])) {
      skipped++;
      continue;
    }
    perInput.push({
      pearson: correlate("pearson", m, h)!,
      spearman: correlate("spearman", m, h)!,
      kendall: correlate("kendall", m, h)!,
    });
  }
  const correlations = estimateAll(
    perInput,
    (s) => {
      if (s.length === 0) return NONE;
      const sum = { pearson: 0, spearman: 0, kendall: 0 };
      for (const r of s) for (const m of CORRELATION_METHODS) sum[m] += r[m];
      return { pearson: sum.pearson / s.length, spearman: sum.spearman / s.length, kendall: sum.kendall / s.length };
    },
    o.resamples,
    o.confidence,
    rng,
  );
  return finish(
    { level: "input", n: perInput.length, skipped, correlations },
    o.thresholds.inputs,
    "inputs (with ≥ 2 systems and no constant side)",
  );
}

function systemLevel(pairs: readonly Pair[], o: Resolved, rng: Rng): LevelResult {
  const inputs = [...groupBy(pairs, (p) => p.inputId).values()];
  const stat = (sample: ReadonlyArray<readonly Pair[]>): Record<CorrelationMethod, number | null> => {
    const sums = new Map<string, { h: number; m: number; n: number }>();
    for (const group of sample)
      for (const p of group) {
        const s = sums.get(p.systemId) ?? { h: 0, m: 0, n: 0 };
        s.h += p.human;
        s.m += p.metric;
        s.n++;
        sums.set(p.systemId, s);
      }
    const cells = [...sums.values()];
    if (cells.length < 2) return NONE;
    const h = cells.map((c) => c.h / c.n);
    const m = cells.map((c) => c.m / c.n);
    if (h.every((v) => v === h[0]) || m.every((v) => v === m[0])) return NONE;
    return {
      pearson: correlate("pearson", m, h),
      spearman: correlate("spearman", m, h),
      kendall: correlate("kendall", m, h),
    };
  };
  const systems = new Set(pairs.map((p) => p.systemId)).size;
  const correlations = estimateAll(inputs, stat, o.resamples, o.confidence, rng);
  return finish({ level: "system", n: systems, skipped: 0, correlations }, o.thresholds.systems, "systems");
}

function finish(r: Omit<LevelResult, "sufficient">, min: number, what: string): LevelResult {
  const sufficient = r.n >= min;
  return sufficient
    ? { ...r, sufficient }
    : { ...r, sufficient, note: `too few ${what} to conclude (n = ${r.n}, need at least ${min})` };
}

function groupBy<T>(items: readonly T[], f: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const t of items) {
    const k = f(t);
    const g = m.get(k);
    if (g) g.push(t);
    else m.set(k, [t]);
  }
  return m;
}

/** Pairwise agreement of the evaluator with the humans over all system pairs within each input. */
function pairwiseFromPairs(pairs: readonly Pair[]): PairwiseAgreement {
  const prefs: Array<{ human: Preference; evaluator: Preference }> = [];
  for (const group of groupBy(pairs, (p) => p.inputId).values()) {
    for (let i = 0; i < group.length; i++)
      for (let j = i + 1; j < group.length; j++) {
        const a = group[i]!;
        const b = group[j]!;
        prefs.push({
          human: preferenceFromScores(a.human, b.human),
          evaluator: preferenceFromScores(a.metric, b.metric),
        });
      }
  }
  return pairwiseAgreement(prefs);
}

/**
 * Runs the meta-evaluation of every evaluator against every human criterion. Throws when an
 * evaluator has two scores for the same (input, system), since which one to use is ambiguous.
 */
export function metaEvaluate(
  judgments: readonly HumanJudgment[],
  scores: readonly MetricScore[],
  options: MetaEvaluateOptions = {},
): MetaEvaluation {
  const o = {
    resamples: options.resamples ?? 1000,
    confidence: options.confidence ?? 0.95,
    seed: options.seed ?? 1,
    thresholds: options.thresholds ?? DEFAULT_SUFFICIENCY,
  };
  const levels = options.levels ?? META_LEVELS;
  const means = humanMeans(judgments);
  const criteria = options.criteria ?? [...means.keys()].sort();
  const notes: string[] = [];
  for (const c of criteria)
    if (!means.has(c))
      throw new WayfarerError(
        `no human judgments for criterion "${c}" (the data has: ${[...means.keys()].join(", ") || "none"})`,
      );

  const byEvaluator = new Map<string, Map<string, MetricScore>>();
  for (const s of scores) {
    let m = byEvaluator.get(s.evaluator);
    if (!m) {
      m = new Map();
      byEvaluator.set(s.evaluator, m);
    }
    const k = key(s.inputId, s.systemId);
    if (m.has(k))
      throw new WayfarerError(
        `evaluator "${s.evaluator}" has more than one score for input "${s.inputId}", system "${s.systemId}"; keep one per item`,
      );
    m.set(k, s);
  }
  const evaluators = options.evaluators ?? [...byEvaluator.keys()].sort();
  for (const e of evaluators)
    if (!byEvaluator.has(e))
      throw new WayfarerError(
        `no scores for evaluator "${e}" (the data has: ${[...byEvaluator.keys()].join(", ") || "none"})`,
      );

  const human: HumanSummary[] = criteria.map((criterion) => {
    const cells = [...means.get(criterion)!.values()];
    const raters = new Set(judgments.filter((j) => j.criterion === criterion).map((j) => j.raterId ?? ""));
    return {
      criterion,
      items: cells.length,
      ratings: cells.reduce((s, c) => s + c.count, 0),
      raters: raters.size,
      itemsWithTwoRatings: cells.filter((c) => c.count >= 2).length,
    };
  });
  for (const h of human) {
    if (h.items < o.thresholds.items)
      notes.push(
        `criterion "${h.criterion}": only ${h.items} human-rated items (need at least ${o.thresholds.items}); too few ratings to conclude which evaluator to trust`,
      );
  }

  const rng = createRng(o.seed);
  const results: EvaluatorAgreement[] = [];
  for (const evaluator of evaluators) {
    const ev = byEvaluator.get(evaluator)!;
    for (const criterion of criteria) {
      const pairs: Pair[] = [];
      let unmatched = 0;
      for (const [k, cell] of means.get(criterion)!) {
        const s = ev.get(k);
        if (s === undefined) {
          unmatched++;
          continue;
        }
        pairs.push({ inputId: cell.inputId, systemId: cell.systemId, human: cell.mean, metric: s.score });
      }
      if (unmatched > 0)
        notes.push(
          `${evaluator} vs ${criterion}: ${unmatched} human-rated item(s) have no ${evaluator} score and were left out`,
        );
      const res: EvaluatorAgreement = { evaluator, criterion, levels: {}, pairwise: pairwiseFromPairs(pairs) };
      for (const level of levels) {
        res.levels[level] =
          level === "item"
            ? itemLevel(pairs, o, rng)
            : level === "input"
              ? inputLevel(pairs, o, rng)
              : systemLevel(pairs, o, rng);
      }
      results.push(res);
    }
  }
  return {
    human,
    results,
    thresholds: o.thresholds,
    confidence: o.confidence,
    resamples: o.resamples,
    seed: o.seed,
    notes,
  };
}
