import { agreementByCriterion, type CriterionAgreement } from "../evaluation/human/summary.ts";
import { ratingsAsJudgments } from "../evaluation/human/tasks.ts";
import { escapeXml, trustChartSvg } from "../evaluation/meta/chart.ts";
import type { MetricScore } from "../evaluation/meta/judgments.ts";
import { META_LEVELS, type MetaEvaluation, metaEvaluate } from "../evaluation/meta/meta-evaluate.ts";
import {
  buildTrustTable,
  formatCell,
  renderTrustTableMarkdown,
  type TrustTable,
} from "../evaluation/meta/trust-table.ts";
import type { ScoreRecord } from "../store/records.ts";
import type { Store } from "../store/store.ts";

/** The human-evaluation part of the report: rater agreement and the evaluator-trust table. */
export interface HumanSection {
  ratings: number;
  raters: number;
  agreement: CriterionAgreement[];
  trust: TrustTable | null;
  /** The trust table as Markdown, without its notes (they are in `notes`, said once). */
  trustMarkdown: string;
  trustChartSvg: string;
  /**
   * Plain-language statements (too few ratings to conclude, items left out), each said once: a statement
   * that holds for several criteria, evaluators or levels names them in one line instead of repeating.
   */
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
  let trust: TrustTable | null = null;
  let meta: MetaEvaluation | null = null;
  if (metricScores.length > 0) {
    meta = metaEvaluate(judgments, metricScores, { seed, resamples: 1000 });
    trust = buildTrustTable(meta);
  }
  return {
    ratings: judgments.length,
    raters: new Set(judgments.map((j) => j.raterId)).size,
    agreement,
    trust,
    trustMarkdown: trust ? renderTrustTableMarkdown({ ...trust, notes: [] }) : "",
    trustChartSvg: trust ? trustChartSvg(trust) : "",
    notes: humanNotes(agreement, meta, trust),
  };
}

/** `a, b and c` */
const list = (xs: readonly string[]) =>
  xs.length <= 1 ? (xs[0] ?? "") : `${xs.slice(0, -1).join(", ")} and ${xs.at(-1)}`;

/** Groups (name, statement) pairs by statement, keeping first-seen order: one line per statement. */
function grouped(pairs: readonly [name: string, text: string][]): [names: string[], text: string][] {
  const by = new Map<string, string[]>();
  for (const [name, text] of pairs) {
    const names = by.get(text) ?? [];
    if (!names.includes(name)) names.push(name);
    by.set(text, names);
  }
  return [...by.entries()].map(([text, names]) => [names, text]);
}

/**
 * The section's notes, each said once. The sources say the same thing per criterion, per evaluator and
 * criterion, and per level (5 criteria x 3 evaluators x 3 levels = 45 lines on the quick start): here a
 * statement is one line that names what it holds for ("every evaluator and criterion" when it holds for all).
 */
export function humanNotes(
  agreement: readonly CriterionAgreement[],
  meta: MetaEvaluation | null,
  trust: TrustTable | null,
): string[] {
  const notes: string[] = [];
  if (trust && trust.rows.length > 0 && trust.rows.every((r) => r.verdict === "insufficient data"))
    notes.push("Too few human ratings to conclude which evaluator to trust; collect more ratings.");
  for (const [criteria, text] of grouped(
    agreement.filter((a) => !a.sufficient && a.note).map((a) => [a.criterion, a.note!]),
  ))
    notes.push(`Rater agreement (${list(criteria)}): ${text}.`);
  if (!meta) {
    notes.push("No automatic scores to compare with the human ratings.");
    return notes;
  }
  // meta.notes: `criterion "c": ...` per criterion, `e vs c: ...` per evaluator and criterion, others as they are
  const perCriterion: [string, string][] = [];
  const perPair: [string, string][] = [];
  for (const n of meta.notes) {
    const c = /^criterion "(.+?)": (.*)$/s.exec(n);
    const p = /^(.+?) vs (.+?): (.*)$/s.exec(n);
    if (c) perCriterion.push([c[1]!, c[2]!]);
    else if (p) perPair.push([p[2]!, `${p[1]}: ${p[3]}`]);
    else if (!notes.includes(n)) notes.push(n);
  }
  const criteria = [...new Set(meta.results.map((r) => r.criterion))];
  const forCriteria = (names: string[]) =>
    names.length === criteria.length && criteria.length > 1 ? "every criterion" : list(names);
  for (const [names, text] of grouped(perCriterion)) notes.push(`Human ratings (${forCriteria(names)}): ${text}.`);
  for (const [names, text] of grouped(perPair)) notes.push(`${text} (${forCriteria(names)}).`);
  for (const level of META_LEVELS) {
    const pairs: [string, string][] = meta.results.flatMap((r) => {
      const note = r.levels[level]?.note;
      return note ? [[`${r.evaluator}\u0000${r.criterion}`, note] as [string, string]] : [];
    });
    for (const [names, text] of grouped(pairs))
      notes.push(`${level[0]!.toUpperCase()}${level.slice(1)} level (${pairsText(names, meta, criteria)}): ${text}.`);
  }
  return notes;
}

/** "every evaluator and criterion", "judge-single (every criterion)", or "bleu vs accuracy, rougeL vs accuracy". */
function pairsText(keys: readonly string[], meta: MetaEvaluation, criteria: readonly string[]): string {
  if (keys.length === meta.results.length && keys.length > 1) return "every evaluator and criterion";
  const byEvaluator = new Map<string, string[]>();
  for (const k of keys) {
    const [evaluator, criterion] = k.split("\u0000") as [string, string];
    byEvaluator.set(evaluator, [...(byEvaluator.get(evaluator) ?? []), criterion]);
  }
  return list(
    [...byEvaluator].map(([evaluator, cs]) =>
      cs.length === criteria.length && criteria.length > 1
        ? `${evaluator} (every criterion)`
        : `${evaluator} vs ${list(cs)}`,
    ),
  );
}

const METHOD_LABEL = { pearson: "Pearson r", spearman: "Spearman ρ", kendall: "Kendall τ-b" } as const;

/**
 * The trust table as an HTML `<table>` (one row per evaluator and criterion, a column per level), with
 * the legend under it. Text is escaped; nothing scrolls or is cut off in print.
 */
export function trustTableHtml(table: TrustTable): string {
  const e = escapeXml;
  const pct = (v: number | null) => (v === null ? "n/a" : `${(v * 100).toFixed(0)}%`);
  const head = [
    "evaluator",
    "criterion",
    ...table.levels.map((l) => `${l} level, ${METHOD_LABEL[table.method]}`),
    "pairwise agreement (with ties / without)",
    "verdict",
  ];
  const rows = table.rows
    .map(
      (r) =>
        `<tr><td><b>${e(r.evaluator)}</b></td><td>${e(r.criterion)}</td>${table.levels
          .map((l) => `<td>${e(formatCell(r.cells[l]))}</td>`)
          .join("")}<td>${pct(r.agreeWithTies)} / ${pct(r.agreeWithoutTies)}</td><td>${e(r.verdict)}</td></tr>`,
    )
    .join("");
  return `<table class="trust"><thead><tr>${head.map((h) => `<th>${e(h)}</th>`).join("")}</tr></thead><tbody>${rows}</tbody></table>
<p class="legend">Cells: ${METHOD_LABEL[table.method]} [${Math.round(table.confidence * 100)}% bootstrap CI] n; * = too few to conclude. Verdict from the ${e(table.headline)}-level CI: strong, moderate or weak by the bound nearest 0 (≥ 0.5, ≥ 0.3, above 0), none when the CI includes 0.</p>`;
}
