/**
 * The evaluator contract (ARCHITECTURE.md "Evaluators"). Every evaluator maps one input to one
 * result; an evaluator that could not measure returns `status: "error"` with `value: null`, and
 * that is counted, never averaged as a score.
 */

/** What one evaluation call sees. Strings are plain text (already post-processed answers). */
export interface EvaluationInput {
  question: string;
  answer: string;
  /** Golden/reference answer(s); reference-based evaluators need at least one. */
  references?: string[];
  /** Retrieved passages the model actually used, in rank order; absent = no retrieval. */
  contexts?: string[];
}

/** Token use and money spent by one evaluator call (LLM-based evaluators); zeros otherwise. */
export interface EvaluationCost {
  promptTokens: number;
  completionTokens: number;
  /** US dollars, when the provider's price is known; null when unknown. */
  usd: number | null;
}

export const ZERO_COST: EvaluationCost = Object.freeze({ promptTokens: 0, completionTokens: 0, usd: null });

/**
 * Result of one evaluation. `signature` pins what produced the value (implementation, version,
 * tokenizer, smoothing, model), e.g. `bleu|nrefs:1|case:mixed|eff:yes|tok:13a|smooth:exp|version:2.5.1`.
 * `details` holds sub-scores (precision/recall/F1, per-order precisions) for the report.
 */
export type EvaluationResult =
  | {
      status: "scored";
      value: number;
      reason?: string;
      details?: Record<string, number>;
      signature: string;
      cost: EvaluationCost;
    }
  | {
      status: "error" | "not-applicable";
      value: null;
      /** Why it could not be measured; for judges, includes the raw unparseable output. */
      reason: string;
      signature: string;
      cost: EvaluationCost;
    };

/** Static facts about an evaluator, kept next to its implementation. */
export interface EvaluatorDescriptor {
  id: string;
  label: string;
  /** Inputs it reads besides question/answer. */
  needs: ReadonlyArray<"references" | "contexts" | "llm" | "encoder">;
  /** Value range, e.g. [0, 1] or [1, 10] or [0, 100]. */
  range: readonly [number, number];
  higherIsBetter: boolean;
}
