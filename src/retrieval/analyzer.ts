/**
 * The lexical analyzer of the BM25 index, applied to documents and queries alike: Unicode-aware
 * lowercase word split (letters and digits; apostrophes inside words dropped, "don't" -> "dont"),
 * English stopwords removed (the Lucene/Elasticsearch `_english_` list), Porter stemming (`stemmer`,
 * the same stemmer ROUGE uses). Changing anything here changes `ANALYZER_ID`, which is part of the index
 * hash, so persisted indexes are rebuilt.
 */
import { stemmer } from "stemmer";

/** Names the analysis; part of every index hash. */
export const ANALYZER_ID = "words-lower:lucene-english-stop:porter:v1";

/** Lucene's EnglishAnalyzer.ENGLISH_STOP_WORDS_SET. */
const STOPWORDS = new Set(
  "a an and are as at be but by for if in into is it no not of on or such that the their then there these they this to was will with".split(
    " ",
  ),
);

/** Tokens of `text` for BM25 (see the module doc); order kept, repeats kept (they are term frequencies). */
export function analyze(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}'’]*/gu) ?? []) {
    const w = raw.replace(/['’]/g, "");
    if (w.length === 0 || STOPWORDS.has(w)) continue;
    out.push(w.length > 2 ? stemmer(w) : w);
  }
  return out;
}
