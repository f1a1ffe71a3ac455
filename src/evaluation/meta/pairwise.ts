/**
 * Pairwise agreement between a pairwise evaluator (or a scalar one read pairwise) and the humans,
 * as in MT-Bench (Zheng et al. 2023, "Judging LLM-as-a-judge", Table 2):
 * - with ties: share of pairs where both give the same verdict among A, B and tie;
 * - without ties: share of pairs with the same verdict among pairs where neither side says tie.
 */

/** Which of two outputs is preferred. */
export type Preference = "a" | "b" | "tie";

/** Agreement counts and rates; a rate is null when its denominator is 0. */
export interface PairwiseAgreement {
  pairs: number;
  agreeWithTies: number | null;
  /** Pairs where neither side says tie. */
  pairsWithoutTies: number;
  agreeWithoutTies: number | null;
}

/** Preference implied by two scores (higher is better); equal scores are a tie. */
export function preferenceFromScores(a: number, b: number): Preference {
  return a > b ? "a" : a < b ? "b" : "tie";
}

/** Computes agreement with and without ties over verdict pairs. */
export function pairwiseAgreement(
  verdicts: ReadonlyArray<{ human: Preference; evaluator: Preference }>,
): PairwiseAgreement {
  let same = 0;
  let noTie = 0;
  let sameNoTie = 0;
  for (const v of verdicts) {
    if (v.human === v.evaluator) same++;
    if (v.human !== "tie" && v.evaluator !== "tie") {
      noTie++;
      if (v.human === v.evaluator) sameNoTie++;
    }
  }
  return {
    pairs: verdicts.length,
    agreeWithTies: verdicts.length ? same / verdicts.length : null,
    pairsWithoutTies: noTie,
    agreeWithoutTies: noTie ? sameNoTie / noTie : null,
  };
}
