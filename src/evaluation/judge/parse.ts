/**
 * Parsing judge replies. Every parser returns `null` when the reply does not contain a well-formed
 * verdict; callers turn that into `status: "error"` with the raw reply kept (never a minimum score).
 */

/** Result of parsing a 1..10 rating. `via` says which rule matched (for the result's `reason`). */
export interface ParsedRating {
  rating: number;
  via: "json" | "double-brackets" | "rating-label";
  explanation?: string;
}

/**
 * The reply as a JSON object, only when the WHOLE reply is one (optionally in a ``` fence): a JSON
 * object quoted inside a free-text reply (e.g. copied from the answer) is never taken as the verdict.
 */
function tryJson(text: string): Record<string, unknown> | null {
  const t = text
    .trim()
    .replace(/^```(?:json)?\s*/i, "")
    .replace(/\s*```$/, "");
  if (!t.startsWith("{") || !t.endsWith("}")) return null;
  try {
    const v = JSON.parse(t) as unknown;
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function lastMatch(text: string, re: RegExp): RegExpExecArray | null {
  let last: RegExpExecArray | null = null;
  for (const m of text.matchAll(re)) last = m as RegExpExecArray;
  return last;
}

/**
 * Parses an MT-Bench style rating in `[min, max]` (default 1..10) from a judge reply, in order:
 * 1. the whole reply is a JSON object with a numeric `rating` (structured output:
 *    `{"explanation": ..., "rating": n}`);
 * 2. the LAST `[[n]]` (FastChat's `one_score_pattern` `\[\[(\d+\.?\d*)\]\]`; we take the last match
 *    because the verdict comes after the explanation, which may quote text);
 * 3. the last `Rating: n` / `Rating: [n]` / `rating of n`.
 * @returns null when nothing matches or the number is outside `[min, max]` or not finite.
 */
export function parseRating(text: string, range: readonly [number, number] = [1, 10]): ParsedRating | null {
  const [min, max] = range;
  const ok = (n: number) => Number.isFinite(n) && n >= min && n <= max;
  const json = tryJson(text);
  if (json && (typeof json.rating === "number" || typeof json.rating === "string")) {
    const n = Number(json.rating);
    if (ok(n)) {
      return {
        rating: n,
        via: "json",
        ...(typeof json.explanation === "string" ? { explanation: json.explanation } : {}),
      };
    }
    return null;
  }
  const dbl = lastMatch(text, /\[\[\s*(\d+(?:\.\d+)?)\s*\]\]/g);
  if (dbl) {
    const n = Number(dbl[1]);
    return ok(n) ? { rating: n, via: "double-brackets" } : null;
  }
  const label = lastMatch(text, /\brating(?:\s*:\s*|\s+of\s+|\s+is\s+)\[?\s*(\d+(?:\.\d+)?)\s*\]?(?:\s*\/\s*10)?/gi);
  if (label) {
    const n = Number(label[1]);
    return ok(n) ? { rating: n, via: "rating-label" } : null;
  }
  return null;
}

/** MT-Bench pairwise verdict: A better, B better, or C = tie. */
export type PairVerdict = "A" | "B" | "C";

/**
 * Parses `[[A]]`, `[[B]]` or `[[C]]` (FastChat pair-v2; `[[C]]` = tie) — the LAST such marker, in any
 * case (`[[b]]` is B) — or a JSON object with `verdict` "A" | "B" | "C" (or "tie"), in any case.
 * @returns null when no marker is found. With several markers the last wins (the verdict is printed last).
 */
export function parsePairVerdict(text: string): PairVerdict | null {
  const json = tryJson(text);
  if (json && typeof json.verdict === "string") {
    const v = json.verdict.trim().toUpperCase();
    if (v === "A" || v === "B" || v === "C") return v;
    if (v === "TIE") return "C";
    return null;
  }
  const m = lastMatch(text, /\[\[\s*([ABC])\s*\]\]/gi);
  return m ? (m[1]!.toUpperCase() as PairVerdict) : null;
}

/** Y/N verdict of a LangChain-style criteria judge; `reasoning` is the text before the verdict. */
export interface ParsedYesNo {
  verdict: "Y" | "N";
  value: 0 | 1;
  reasoning: string;
}

/** Options of {@link parseYesNo}. */
export interface ParseYesNoOptions {
  /**
   * The judge was asked for JSON `{reasoning, verdict}` (structured mode): only an explicit `verdict` field
   * counts, never a letter in the text. Default false (text mode: LangChain's rules).
   */
  structured?: boolean;
}

/** "Y" / "N" from a JSON verdict field ("Y", "N", "yes", "no", any case); null for anything else. */
function yesNoField(v: unknown): "Y" | "N" | null {
  if (typeof v !== "string") return null;
  const t = v.trim().toUpperCase();
  return t === "Y" || t === "YES" ? "Y" : t === "N" || t === "NO" ? "N" : null;
}

/**
 * Reads a criteria judge's Y/N verdict.
 * - A reply that is a JSON object (optionally fenced) must carry an explicit `verdict` field ("Y"/"N",
 *   "yes"/"no", any case): a JSON reply without one is unparseable, even when its text ends with a Y or N
 *   (`{"reasoning": "... Y"}` is NOT a pass).
 * - `structured: true` (we asked for JSON): nothing but that field counts; a non-JSON reply is unparseable.
 * - A reply that starts like JSON (`{`, optionally fenced) but does not parse is read the same way: only a
 *   `"verdict": "..."` in it counts.
 * - Otherwise LangChain `CriteriaResultOutputParser` rules: a `Y`/`N` alone on the last line (preferred),
 *   else alone on the first line, else as the last word (followed only by spaces and . ! *);
 *   case-insensitive.
 * @returns null when no verdict is found.
 */
export function parseYesNo(text: string, options: ParseYesNoOptions = {}): ParsedYesNo | null {
  const json = tryJson(text);
  if (json) {
    const v = yesNoField(json.verdict);
    if (v === null) return null;
    return {
      verdict: v,
      value: v === "Y" ? 1 : 0,
      reasoning: typeof json.reasoning === "string" ? json.reasoning : "",
    };
  }
  if (options.structured) return null;
  // JSON that does not parse (e.g. a raw newline in a string) is still a JSON reply: only a verdict field counts
  const body = text
    .trim()
    .replace(/^```(?:json)?\s*/i, "")
    .replace(/\s*```$/, "");
  if (body.startsWith("{")) {
    const field = lastMatch(body, /"verdict"\s*:\s*"([^"\\]*)"/g);
    const v = field ? yesNoField(field[1]) : null;
    return v === null ? null : { verdict: v, value: v === "Y" ? 1 : 0, reasoning: "" };
  }
  const t = text.trim();
  const last = /(?:^|\n)\s*\**\s*([YN])\s*\**\s*\.?\s*$/i.exec(t);
  const first = /^\s*([YN])\s*(?:\n|$)/i.exec(t);
  // the last word, followed by nothing but spaces and sentence punctuation (not a quote or a brace)
  const end = /\b([YN])\b[\s.!*]*$/i.exec(t);
  const m = last ?? first ?? end;
  if (!m) return null;
  const v = m[1]!.toUpperCase() as "Y" | "N";
  const reasoning = m === first ? t.slice(m[0].length).trim() : t.slice(0, m.index).trim();
  return { verdict: v, value: v === "Y" ? 1 : 0, reasoning };
}
