/**
 * The `13a` tokenizer of sacrebleu 2.5.1 (`tokenizers/tokenizer_13a.py` + `tokenizer_re.py`),
 * equivalent to mteval-v13a.pl. HF `evaluate`'s bleu ships a copy of the same tokenizer that
 * returns the token list instead of the joined string; the tokens are identical.
 */
import { pySplit } from "./python-text.ts";

// Python regexes of TokenizerRegexp, applied in order. `u` makes classes match code points as Python does.
const PUNCT = /([{-~[-` -&(-+:-@/])/gu;
const PERIOD_COMMA_AFTER_NON_DIGIT = /([^0-9])([.,])/gu;
const PERIOD_COMMA_BEFORE_NON_DIGIT = /([.,])([^0-9])/gu;
const DASH_AFTER_DIGIT = /([0-9])(-)/gu;

/**
 * Tokenizes one segment the way sacrebleu's `Tokenizer13a` does.
 *
 * @param line raw text (may contain newlines; `-\n` joins words, `\n` becomes a space).
 * @returns the tokens (sacrebleu returns them joined by single spaces; BLEU splits them again).
 */
export function tokenize13a(line: string): string[] {
  let s = line.replaceAll("<skipped>", "");
  s = s.replaceAll("-\n", "");
  s = s.replaceAll("\n", " ");
  if (s.includes("&")) {
    s = s.replaceAll("&quot;", '"');
    s = s.replaceAll("&amp;", "&");
    s = s.replaceAll("&lt;", "<");
    s = s.replaceAll("&gt;", ">");
  }
  s = ` ${s} `;
  s = s.replace(PUNCT, " $1 ");
  s = s.replace(PERIOD_COMMA_AFTER_NON_DIGIT, "$1 $2 ");
  s = s.replace(PERIOD_COMMA_BEFORE_NON_DIGIT, " $1 $2");
  s = s.replace(DASH_AFTER_DIGIT, "$1 $2 ");
  return pySplit(s);
}
