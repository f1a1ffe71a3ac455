import { agreementByCriterion, type CriterionAgreement } from "../evaluation/human/summary.ts";
import { ratingsAsJudgments } from "../evaluation/human/tasks.ts";
import { trustChartSvg } from "../evaluation/meta/chart.ts";
import type { MetricScore } from "../evaluation/meta/judgments.ts";
import { metaEvaluate } from "../evaluation/meta/meta-evaluate.ts";
import { buildTrustTable, renderTrustTableMarkdown, type TrustTable } from "../evaluation/meta/trust-table.ts";
import type { ScoreRecord } from "../store/records.ts";
import type { Store } from "../store/store.ts";

/** The human-evaluation part of the report: rater agreement and the evaluator-trust table. */
export interface HumanSection {
  ratings: number;
  raters: number;
  agreement: CriterionAgreement[];
  trust: TrustTable | null;
  trustMarkdown: string;
  trustChartSvg: string;
  /** Plain-language statements, e.g. that there are too few ratings to conclude. */
  notes: string[];
}

/**
 * Builds the human section from the ratings stored for `experiment` and the automatic scores of
 * the same answers (item = golden question, system = variant). Returns null when nobody has rated
 * yet. The meta-evaluation flags every estimate made on too few items (see DEFAULT_SUFFICIENCY).
 */
export function buildHumanSection(
  store: Store,
  experiment: string,
  scores: readonly ScoreRecord[],
  seed = 1,
): HumanSection | null {
  const judgments = ratingsAsJudgments(store, experiment);
  if (judgments.length === 0) return null;
  const agreement = agreementByCriterion(judgments);
  const metricScores: MetricScore[] = scores
    .filter((s) => s.status === "scored" && s.value !== null)
    .map((s) => ({ inputId: s.itemId, systemId: s.variant, evaluator: s.evaluator, score: s.value! }));
  const notes: string[] = [];
  for (const a of agreement) if (!a.sufficient && a.note) notes.push(`${a.criterion}: ${a.note}`);
  let trust: TrustTable | null = null;
  if (metricScores.length > 0) {
    const meta = metaEvaluate(judgments, metricScores, { seed, resamples: 1000 });
    notes.push(...meta.notes);
    trust = buildTrustTable(meta);
  } else {
    notes.push("No automatic scores to compare with the human ratings.");
  }
  return {
    ratings: judgments.length,
    raters: new Set(judgments.map((j) => j.raterId)).size,
    agreement,
    trust,
    trustMarkdown: trust ? renderTrustTableMarkdown(trust) : "",
    trustChartSvg: trust ? trustChartSvg(trust) : "",
    notes,
  };
}
