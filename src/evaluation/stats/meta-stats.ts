/**
 * Numbers the report states with uncertainty, computed from score rows: per variant x evaluator the
 * mean with a bootstrap 95% interval, paired comparisons of every two variants per evaluator (mean
 * difference with interval, Wilcoxon signed-rank p), and the agreement of every two evaluators
 * (Spearman rho over the answers both scored, with a bootstrap interval).
 */
import type { ScoreRecord } from "../../store/records.ts";
import { bootstrapCi, createRng, type Estimate } from "../meta/bootstrap.ts";
import { spearman } from "../meta/correlation.ts";
import { type MeanCi, meanWithCi, type PairedComparison, pairedCompare, STATS_DEFAULTS } from "./variant-stats.ts";

/** `meta/meta.json`. */
export interface MetaStats {
  method: {
    interval: string;
    resamples: number;
    seed: number;
    pairedTest: string;
    correlation: string;
  };
  variants: string[];
  evaluators: string[];
  /** cells[variant][evaluator]: mean of the scored values with its interval; n = scored answers. */
  cells: Record<string, Record<string, MeanCi & { nUnscored: number }>>;
  /** Every unordered variant pair (A listed first in the experiment) per evaluator. */
  paired: ({ evaluator: string; a: string; b: string } & PairedComparison)[];
  /** Every unordered evaluator pair: Spearman rho over (variant, question) units both scored. */
  agreement: { a: string; b: string; n: number; rho: Estimate }[];
}

/** Computes {@link MetaStats} from score rows (pure; exported for tests). */
export function computeMetaStats(rows: readonly ScoreRecord[], variants: readonly string[]): MetaStats {
  const evaluators = [...new Set(rows.map((r) => r.evaluator))];
  const value = new Map<string, number>();
  const cells: MetaStats["cells"] = {};
  for (const v of variants) {
    cells[v] = {};
    for (const e of evaluators) {
      const mine = rows.filter((r) => r.variant === v && r.evaluator === e);
      const scored = mine.filter((r) => r.status === "scored" && r.value !== null);
      for (const r of scored) value.set(`${v}\0${r.itemId}\0${e}`, r.value!);
      cells[v]![e] = { ...meanWithCi(scored.map((r) => r.value!)), nUnscored: mine.length - scored.length };
    }
  }
  const items = [...new Set(rows.map((r) => r.itemId))];
  const paired: MetaStats["paired"] = [];
  for (const e of evaluators)
    for (let i = 0; i < variants.length; i++)
      for (let j = i + 1; j < variants.length; j++) {
        const a = variants[i]!;
        const b = variants[j]!;
        const xs: number[] = [];
        const ys: number[] = [];
        for (const it of items) {
          const x = value.get(`${a}\0${it}\0${e}`);
          const y = value.get(`${b}\0${it}\0${e}`);
          if (x !== undefined && y !== undefined) {
            xs.push(x);
            ys.push(y);
          }
        }
        paired.push({ evaluator: e, a, b, ...pairedCompare(xs, ys) });
      }
  const agreement: MetaStats["agreement"] = [];
  for (let i = 0; i < evaluators.length; i++)
    for (let j = i + 1; j < evaluators.length; j++) {
      const a = evaluators[i]!;
      const b = evaluators[j]!;
      const units: [number, number][] = [];
      for (const v of variants)
        for (const it of items) {
          const x = value.get(`${v}\0${it}\0${a}`);
          const y = value.get(`${v}\0${it}\0${b}`);
          if (x !== undefined && y !== undefined) units.push([x, y]);
        }
      const rho = (u: readonly [number, number][]) =>
        spearman(
          u.map((p) => p[0]),
          u.map((p) => p[1]),
        );
      const est =
        units.length >= 3
          ? bootstrapCi(units, rho, { resamples: STATS_DEFAULTS.resamples, rng: createRng(STATS_DEFAULTS.seed) })
          : { value: null, low: null, high: null, resamplesUsed: 0 };
      agreement.push({ a, b, n: units.length, rho: est });
    }
  return {
    method: {
      interval: "percentile bootstrap 95%, resampling questions (Efron & Tibshirani 1993)",
      resamples: STATS_DEFAULTS.resamples,
      seed: STATS_DEFAULTS.seed,
      pairedTest:
        "Wilcoxon signed-rank, two-sided, zero differences dropped (@stdlib/stats-wilcoxon; scipy.stats.wilcoxon zero_method='wilcox')",
      correlation: "Spearman rho over answers both evaluators scored, bootstrap interval over those answers",
    },
    variants: [...variants],
    evaluators,
    cells,
    paired,
    agreement,
  };
}
