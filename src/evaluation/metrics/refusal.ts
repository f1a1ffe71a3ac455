/**
 * Refusal / noncommittal detection (reference-free), by patterns: value 1 when the answer refuses
 * ("I can't help with that", "As an AI language model ...") or is noncommittal in Ragas' sense
 * ("evasive, vague or ambiguous": "I don't know", "I'm not sure", "it depends" with nothing else), else 0.
 * `details.refusal` / `details.noncommittal` say which. English only; the pattern list version is in
 * the signature. Lower is better (the share of refusals per variant is the mean).
 *
 * A pattern counts as noncommittal only when it opens the answer or the answer is short (< 25 words),
 * so a helpful answer that says "it depends on the season: ..." halfway through is not flagged.
 */
import { z } from "zod";
import { type EvaluationInput, type EvaluationResult, type EvaluatorDescriptor, ZERO_COST } from "../types.ts";

export const PATTERNS_VERSION = "1";

const REFUSAL: readonly RegExp[] = [
  /\b(?:i|we)\s*(?:am|'m)\s+(?:sorry|afraid)\b[^.!?\n]{0,40}\b(?:can(?:no|')t|cannot|unable|not able|won't)\b/i,
  /\b(?:i|we)\s+(?:can(?:no|')?t|cannot|won't|will not|am unable to|'m unable to|am not able to)\s+(?:help|assist|provide|answer|comply|do that|give)\b/i,
  /\bas an ai(?: language model| assistant| model)?\b/i,
  /\b(?:i|we)\s*(?:must|have to)\s+(?:decline|refuse)\b/i,
  /\bi(?:'m| am) not (?:allowed|permitted|able) to\b/i,
];

const NONCOMMITTAL: readonly RegExp[] = [
  /\bi\s*(?:do not|don't|dont)\s+know\b/i,
  /\bi(?:'m| am)\s+not\s+(?:sure|certain)\b/i,
  /\b(?:i|we)\s*(?:do not|don't)\s+have\s+(?:enough\s+)?(?:information|details|data|context)\b/i,
  /\bit\s+(?:really\s+)?depends\b/i,
  /\bhard to say\b/i,
  /\bno (?:idea|clue)\b/i,
  /\bcannot be determined\b/i,
];

export const descriptor = {
  id: "refusal",
  label: "Refusal or noncommittal answer (1 = yes)",
  needs: [],
  range: [0, 1],
  higherIsBetter: false,
} as const satisfies EvaluatorDescriptor;

export const optionsSchema = z.strictObject({});

/** Classifies one answer (see module doc). */
export function detectRefusal(answer: string): { refusal: boolean; noncommittal: boolean } {
  const t = answer.trim();
  const words = t === "" ? 0 : t.split(/\s+/u).length;
  const head = t.slice(0, 120);
  const refusal = REFUSAL.some((r) => r.test(words < 60 ? t : head));
  const noncommittal = t === "" || NONCOMMITTAL.some((r) => r.test(words < 25 ? t : head));
  return { refusal, noncommittal };
}

/** 1 when the answer refuses or is noncommittal (an empty answer is noncommittal), else 0. */
export function score(input: EvaluationInput): EvaluationResult {
  const d = detectRefusal(input.answer);
  return {
    status: "scored",
    value: d.refusal || d.noncommittal ? 1 : 0,
    details: { refusal: d.refusal ? 1 : 0, noncommittal: d.noncommittal ? 1 : 0 },
    signature: `refusal|patterns:en-v${PATTERNS_VERSION}`,
    cost: ZERO_COST,
  };
}
