/**
 * Answer length (reference-free): words (Python `str.split()`-style whitespace split, default) or
 * characters (Unicode code points). Length has no better direction; `higherIsBetter: false` only marks
 * it as "not a quality score" for reports (verbosity bias checks read it).
 */
import { z } from "zod";
import { type EvaluationInput, type EvaluationResult, type EvaluatorDescriptor, ZERO_COST } from "../types.ts";

export const descriptor = {
  id: "length",
  label: "Answer length (words or characters)",
  needs: [],
  range: [0, Number.POSITIVE_INFINITY],
  higherIsBetter: false,
} as const satisfies EvaluatorDescriptor;

export const optionsSchema = z.strictObject({
  /** "words" (default, whitespace-separated) or "chars" (code points). */
  unit: z.enum(["words", "chars"]).default("words"),
});
export type LengthOptions = z.output<typeof optionsSchema>;

/** Number of words or code points of `text`. */
export function textLength(text: string, unit: LengthOptions["unit"]): number {
  if (unit === "chars") return [...text].length;
  const t = text.trim();
  return t === "" ? 0 : t.split(/\s+/u).length;
}

/** Length of the answer; details carry both units. Always `scored`. */
export function score(input: EvaluationInput, options: LengthOptions): EvaluationResult {
  return {
    status: "scored",
    value: textLength(input.answer, options.unit),
    details: { words: textLength(input.answer, "words"), chars: textLength(input.answer, "chars") },
    signature: `length|unit:${options.unit}|split:unicode-whitespace`,
    cost: ZERO_COST,
  };
}
