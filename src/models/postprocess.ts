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
