/**
 * Inter-rater agreement per criterion from a set of human judgments (Wayfarer's own ratings via
 * `ratingsAsJudgments`, or imported JSONL). An item is one (input, system) output.
 */
import type { HumanJudgment } from "../meta/judgments.ts";
import { cohenKappa, fleissKappa, krippendorffAlpha } from "./agreement.ts";

/** Minimum items rated by ≥ 2 raters before agreement numbers are worth reading. */
export const MIN_ITEMS_FOR_AGREEMENT = 20;

/** Agreement statistics of one criterion. */
export interface CriterionAgreement {
  criterion: string;
  items: number;
  /** Items with at least two ratings (only these enter the statistics). */
  itemsWithTwoRatings: number;
  raters: number;
  ratings: number;
  alphaOrdinal: number | null;
  alphaInterval: number | null;
  /** Quadratic-weighted Cohen's kappa; only when exactly two raters rated this criterion. */
  cohenQuadratic: number | null;
  /** Fleiss' kappa over the items having the most common number of ratings (`fleissItems` of them). */
  fleiss: number | null;
  fleissItems: number;
  /** False when fewer than {@link MIN_ITEMS_FOR_AGREEMENT} items have two ratings. */
  sufficient: boolean;
  note?: string;
}

/** Computes agreement per criterion. Raters are `raterId` (judgments without one are skipped). */
export function agreementByCriterion(judgments: readonly HumanJudgment[]): CriterionAgreement[] {
  const criteria = [...new Set(judgments.map((j) => j.criterion))].sort();
  return criteria.map((criterion) => {
    const js = judgments.filter((j) => j.criterion === criterion && j.raterId !== undefined);
    const raters = [...new Set(js.map((j) => j.raterId!))].sort();
    const items = [...new Set(js.map((j) => `${j.inputId}\u0000${j.systemId}`))].sort();
    const itemIndex = new Map(items.map((k, i) => [k, i]));
    const raterIndex = new Map(raters.map((r, i) => [r, i]));
    const matrix: (number | null)[][] = raters.map(() => new Array<number | null>(items.length).fill(null));
    for (const j of js)
      matrix[raterIndex.get(j.raterId!)!]![itemIndex.get(`${j.inputId}\u0000${j.systemId}`)!] = j.score;
    const perItem = items.map((_, u) =>
      matrix.map((row) => row[u]).filter((v): v is number => v !== null && v !== undefined),
    );
    const itemsWithTwo = perItem.filter((r) => r.length >= 2).length;
    const counts = new Map<number, number>();
    for (const r of perItem) if (r.length >= 2) counts.set(r.length, (counts.get(r.length) ?? 0) + 1);
    const modal = [...counts.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]?.[0];
    const fleissRows = modal === undefined ? [] : perItem.filter((r) => r.length === modal);
    const scale = [1, 2, 3, 4, 5];
    const inScale = js.every((j) => scale.includes(j.score));
    const sufficient = itemsWithTwo >= MIN_ITEMS_FOR_AGREEMENT;
    const result: CriterionAgreement = {
      criterion,
      items: items.length,
      itemsWithTwoRatings: itemsWithTwo,
      raters: raters.length,
      ratings: js.length,
      alphaOrdinal: itemsWithTwo ? krippendorffAlpha(matrix, { level: "ordinal" }) : null,
      alphaInterval: itemsWithTwo ? krippendorffAlpha(matrix, { level: "interval" }) : null,
      cohenQuadratic:
        raters.length === 2 && itemsWithTwo
          ? cohenKappa(matrix[0]!, matrix[1]!, { weights: "quadratic", ...(inScale ? { categories: scale } : {}) })
          : null,
      fleiss: fleissRows.length ? fleissKappa(fleissRows) : null,
      fleissItems: fleissRows.length,
      sufficient,
    };
    if (!sufficient)
      result.note = `too few items rated twice to conclude (n = ${itemsWithTwo}, need at least ${MIN_ITEMS_FOR_AGREEMENT})`;
    return result;
  });
}
