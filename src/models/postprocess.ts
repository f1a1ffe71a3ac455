/**
 * Answer post-processing. Each rule removes only what it means to remove: no character inside a
 * kept sentence is ever changed (the seed study's `(.+)\1 -> \1` regex collapsed every doubled
 * letter — "recommend" -> "recomend"; nothing here rewrites text).
 */

const SENTENCE_END = /[.!?…](?:["'”’)\]]*)(?=\s|$)/g;

/**
 * Drops an unfinished last sentence of an answer that was cut by the token limit: returns the text
 * up to the last sentence end (`.`, `!`, `?`, `…`, optionally followed by closing quotes/brackets)
 * when that keeps at least `minKeep` (default 0.3) of the characters; otherwise the text unchanged
 * (trailing whitespace trimmed). Text that already ends a sentence is returned as is.
 */
export function trimUnfinishedSentence(text: string, minKeep = 0.3): string {
  const trimmed = text.trimEnd();
  let lastEnd = -1;
  for (const m of trimmed.matchAll(SENTENCE_END)) lastEnd = m.index + m[0].length;
  if (lastEnd === trimmed.length || lastEnd <= 0) return trimmed;
  return lastEnd >= trimmed.length * minKeep ? trimmed.slice(0, lastEnd) : trimmed;
}

/**
 * RAFT answer extraction. RAFT models write their reasoning (quoting documents between `##begin_quote##` and
 * `##end_quote##`) and end with `<ANSWER>: final answer` (gorilla RAFT's format). `keep: "answer"` returns
 * the text after the last `<ANSWER>:` marker, trimmed; `keep: "reasoning"` returns the whole text (trimmed).
 * Without a marker (or with nothing after it) the text is returned trimmed and `extracted` is false.
 */
export function extractRaftAnswer(
  text: string,
  keep: "answer" | "reasoning" = "answer",
): { text: string; extracted: boolean } {
  const marker = "<ANSWER>:";
  const at = text.lastIndexOf(marker);
  const after = at === -1 ? "" : text.slice(at + marker.length).trim();
  if (keep === "reasoning" || after.length === 0) return { text: text.trim(), extracted: false };
  return { text: after, extracted: true };
}

/**
 * Drops every sentence that repeats an earlier one of the same text (compared after collapsing runs of
 * whitespace; case and punctuation count). Small models loop: "Visit the market. Visit the market. Visit the
 * market." -> "Visit the market." Sentences end at `.`, `!`, `?`, `…` followed by whitespace or the end; the
 * whitespace after a dropped sentence goes with it, so the kept text is the input with whole sentences cut out.
 * Returns the text and how many sentences were dropped.
 */
export function dropRepeatedSentences(text: string): { text: string; dropped: number } {
  const seen = new Set<string>();
  let out = "";
  let dropped = 0;
  let start = 0;
  const ends = [...text.matchAll(SENTENCE_END)].map((m) => m.index + m[0].length);
  if (ends.at(-1) !== text.length) ends.push(text.length);
  for (const end of ends) {
    let next = end;
    while (next < text.length && /\s/.test(text[next]!)) next++;
    const sentence = text.slice(start, end);
    const key = sentence.trim().replace(/\s+/g, " ");
    if (key.length > 0 && seen.has(key)) dropped++;
    else {
      if (key.length > 0) seen.add(key);
      out += text.slice(start, next);
    }
    start = next;
  }
  return { text: out.trimEnd(), dropped };
}

/** The named post-processing rules of `generate.postprocess` (see src/config/postprocess.ts). */
export const POSTPROCESS_RULES = ["raft-answer", "trim-unfinished-sentence", "drop-repeated-sentences"] as const;
export type PostprocessRuleName = (typeof POSTPROCESS_RULES)[number];

/** One configured rule with its options. */
export type PostprocessRule =
  | { rule: "raft-answer"; keep: "answer" | "reasoning" }
  | { rule: "trim-unfinished-sentence"; minKeep: number; onlyWhenCut: boolean }
  | { rule: "drop-repeated-sentences" };

/** What the rules did to one answer: the final text and, per rule, whether it changed the text. */
export interface PostprocessOutcome {
  text: string;
  /** Rule names that changed the text, in the order they ran. */
  applied: PostprocessRuleName[];
}

/**
 * Applies `rules` in order to a raw answer. `finishReason` is the generator's ("length" = cut by maxTokens).
 * No rule rewrites characters: each returns the input with a prefix, a suffix or whole sentences removed (and
 * surrounding whitespace trimmed).
 */
export function applyPostprocess(
  raw: string,
  finishReason: string,
  rules: readonly PostprocessRule[],
): PostprocessOutcome {
  let text = raw.trim();
  const applied: PostprocessRuleName[] = [];
  for (const r of rules) {
    let next: string;
    switch (r.rule) {
      case "raft-answer":
        next = extractRaftAnswer(text, r.keep).text;
        break;
      case "trim-unfinished-sentence":
        next = !r.onlyWhenCut || finishReason === "length" ? trimUnfinishedSentence(text, r.minKeep) : text;
        break;
      case "drop-repeated-sentences":
        next = dropRepeatedSentences(text).text;
        break;
      default:
        next = r satisfies never;
    }
    if (next !== text) applied.push(r.rule);
    text = next;
  }
  return { text, applied };
}
