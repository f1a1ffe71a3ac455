/**
 * The `13a` tokenizer of sacrebleu 2.5.1 (`tokenizers/tokenizer_13a.py` + `tokenizer_re.py`),
 * equivalent to mteval-v13a.pl. HF `evaluate`'s bleu ships a copy of the same tokenizer that
 * returns the token list instead of the joined string; the tokens are identical.
 *
 * sacrebleu applies four regex substitutions in order, then splits on whitespace:
 *   1. `([\{-\~\[-\` -\&\(-\+\:-\@\/])` -> ` \1 `   (punctuation except `'`, `,`, `-`, `.`)
 *   2. `([^0-9])([\.,])`                  -> `\1 \2 `
 *   3. `([\.,])([^0-9])`                  -> ` \1 \2`
 *   4. `([0-9])(-)`                       -> `\1 \2 `
 * `tokenize13a` reproduces these substitutions without building the intermediate strings (see its
 * doc comment); `tokenize13aRegex` is the regex formulation, kept as the executable specification.
 */
import { isPyWhitespace, pySplit } from "./python-text.ts";

// Python regexes of TokenizerRegexp, applied in order. `u` makes classes match code points as Python does.
const PUNCT = /([{-~[-` -&(-+:-@/])/gu;
const PERIOD_COMMA_AFTER_NON_DIGIT = /([^0-9])([.,])/gu;
const PERIOD_COMMA_BEFORE_NON_DIGIT = /([.,])([^0-9])/gu;
const DASH_AFTER_DIGIT = /([0-9])(-)/gu;

/** sacrebleu's pre-regex clean-up (`<skipped>`, `-\n` joins, `\n` -> space, four HTML entities). */
function preprocess(line: string): string {
  let s = line.includes("<skipped>") ? line.replaceAll("<skipped>", "") : line;
  if (s.includes("\n")) {
    s = s.replaceAll("-\n", "");
    s = s.replaceAll("\n", " ");
  }
  if (s.includes("&")) {
    s = s.replaceAll("&quot;", '"');
    s = s.replaceAll("&amp;", "&");
    s = s.replaceAll("&lt;", "<");
    s = s.replaceAll("&gt;", ">");
  }
  return s;
}

/** Regex formulation of `tokenize13a` (the specification; slower). */
export function tokenize13aRegex(line: string): string[] {
  let s = ` ${preprocess(line)} `;
  s = s.replace(PUNCT, " $1 ");
  s = s.replace(PERIOD_COMMA_AFTER_NON_DIGIT, "$1 $2 ");
  s = s.replace(PERIOD_COMMA_BEFORE_NON_DIGIT, " $1 $2");
  s = s.replace(DASH_AFTER_DIGIT, "$1 $2 ");
  return pySplit(s);
}

function isPunct(c: number): boolean {
  // [{-~] | [[-`] | [ -&] | [(-+] | [:-@] | /
  return (
    (c >= 0x7b && c <= 0x7e) ||
    (c >= 0x5b && c <= 0x60) ||
    (c >= 0x20 && c <= 0x26) ||
    (c >= 0x28 && c <= 0x2b) ||
    (c >= 0x3a && c <= 0x40) ||
    c === 0x2f
  );
}
const PUNCT_BIT = 1;
const SPECIAL_BIT = 2;
const WS_BIT = 4;
/** Per ASCII code: PUNCT_BIT (step 1 class), SPECIAL_BIT (`.`, `,`, `-`), WS_BIT (Python whitespace). */
const ASCII_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  ASCII_CLASS[c] =
    (isPunct(c) ? PUNCT_BIT : 0) |
    (c === 46 || c === 44 || c === 45 ? SPECIAL_BIT : 0) |
    (isPyWhitespace(c) ? WS_BIT : 0);
}
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isPeriodComma = (c: number): boolean => c === 46 || c === 44;

// Reusable scratch buffers, indexed by *padded* position p (p = 0 and p = n + 1 are the two
// padding spaces, p = i + 1 is s[i]): gap[p] = 1 when the substitutions put at least one space
// between positions p - 1 and p.
let gap = new Uint8Array(1 << 14);
let special = new Int32Array(1 << 12);
let pending = new Int32Array(1 << 12);

/**
 * Tokenizes one segment the way sacrebleu's `Tokenizer13a` does.
 *
 * Implementation: the substitutions only ever insert spaces, so the result is determined by where
 * they insert them. Only a gap (one or more inserted spaces; how many never changes a later match)
 * matters, so we keep one flag per position instead of building the four intermediate strings.
 * Step 1 marks both sides of every punctuation character; steps 2-4 can only match around `.`, `,`
 * and `-`, so they visit just those positions, in order, reproducing the regex engine's
 * left-to-right, non-overlapping scan (a character consumed as the second group of one match cannot
 * start or end the next one; an inserted space is never consumed that way) and reading the gaps as
 * they were before the step (the step's own insertions are applied afterwards). Scanning code units
 * instead of code points gives the same result: no class can match half of a surrogate pair except
 * `[^0-9]`, for which both views insert the same spaces. The tokens are the maximal runs of
 * non-whitespace input characters without a gap inside, i.e. plain substrings of the input.
 * `tokenize13aRegex` is the regex formulation, kept as the executable specification (the unit tests
 * compare the two on adversarial inputs).
 *
 * @param line raw text (may contain newlines; `-\n` joins words, `\n` becomes a space).
 * @returns the tokens (sacrebleu returns them joined by single spaces; BLEU splits them again).
 */
export function tokenize13a(line: string): string[] {
  const tokens: string[] = [];
  forEachToken13a(line, (s, _codes, start, end) => {
    tokens.push(s.slice(start - 1, end - 1));
  });
  return tokens;
}

let codeBuf = new Uint16Array(1 << 14);

/**
 * `tokenize13a` without materialising the tokens: calls `onToken(text, codes, start, end)` for each
 * token, in order, where the token's code units are `codes[start..end)` (a scratch buffer, valid
 * during the call only) and the token is `text.slice(start - 1, end - 1)` (`text` = the
 * pre-processed line).
 */
export function forEachToken13a(
  line: string,
  onToken: (text: string, codes: Uint16Array, start: number, end: number) => void,
): void {
  const s = preprocess(line);
  const n = s.length;
  if (gap.length < n + 3) gap = new Uint8Array(2 * (n + 3));
  if (codeBuf.length < n + 2) codeBuf = new Uint16Array(2 * (n + 2));
  const g = gap;
  // Padded code units: cb[0] and cb[n + 1] are the padding spaces.
  const cb = codeBuf;
  cb[0] = 32;
  cb[n + 1] = 32;
  const at = (p: number): number => cb[p]!;
  // Step 1 (single-character pattern, every occurrence independent) + collect `.`, `,`, `-`.
  // Branch-free gap marking: g[i + 2] is first written here (by character i), g[i + 1] may
  // already hold character i - 1's mark.
  g[0] = 0;
  g[1] = 0;
  let ns = 0;
  if (special.length < n) {
    special = new Int32Array(n);
    pending = new Int32Array(n);
  }
  const sp0 = special;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    cb[i + 1] = c;
    const k = c < 128 ? ASCII_CLASS[c]! : 0;
    const punct = k & PUNCT_BIT;
    g[i + 1] = g[i + 1]! | punct;
    g[i + 2] = punct;
    if ((k & SPECIAL_BIT) !== 0) sp0[ns++] = i + 1;
  }
  g[n + 2] = 0;
  if (ns > 0) {
    const sp = special;
    const pd = pending;
    // Step 2: ([^0-9])([.,]) -> "\1 \2 ". Y = the [.,] at p; X = the inserted space before it, else
    // s[p-1] (must be a non-digit not consumed as the Y of the match ending at p - 1).
    let np = 0;
    let lastY = -2;
    for (let k = 0; k < ns; k++) {
      const p = sp[k]!;
      if (!isPeriodComma(at(p))) continue;
      const match = g[p] === 1 || (!isDigit(at(p - 1)) && lastY !== p - 1);
      if (match) {
        lastY = p;
        pd[np++] = p;
      }
    }
    for (let k = 0; k < np; k++) {
      g[pd[k]!] = 1;
      g[pd[k]! + 1] = 1;
    }
    // Step 3: ([.,])([^0-9]) -> " \1 \2". X = the [.,] at p, unless consumed as the Y of a match
    // whose X was s[p-1] (no gap between); Y = the inserted space after it, else s[p+1] (non-digit).
    np = 0;
    let lastX = -2;
    for (let k = 0; k < ns; k++) {
      const p = sp[k]!;
      if (!isPeriodComma(at(p))) continue;
      if (g[p] === 0 && lastX === p - 1) continue;
      if (g[p + 1] === 1 || !isDigit(at(p + 1))) {
        lastX = p;
        pd[np++] = p;
      }
    }
    for (let k = 0; k < np; k++) {
      g[pd[k]!] = 1;
      g[pd[k]! + 1] = 1;
    }
    // Step 4: ([0-9])(-) -> "\1 \2 ". X must be the digit s[p-1] right before the `-` (no gap).
    for (let k = 0; k < ns; k++) {
      const p = sp[k]!;
      if (at(p) === 45 && g[p] === 0 && isDigit(at(p - 1))) {
        g[p] = 1;
        g[p + 1] = 1;
      }
    }
  }
  // str.split() on the virtual string.
  // Token offsets are into `s`; `cb` holds the same code units at offset + 1.
  let start = -1;
  for (let i = 0; i < n; i++) {
    const c = cb[i + 1]!;
    if (c < 128 ? (ASCII_CLASS[c]! & WS_BIT) !== 0 : isPyWhitespace(c)) {
      if (start >= 0) {
        onToken(s, cb, start + 1, i + 1);
        start = -1;
      }
    } else if (start < 0) start = i;
    else if (g[i + 1] === 1) {
      onToken(s, cb, start + 1, i + 1);
      start = i;
    }
  }
  if (start >= 0) onToken(s, cb, start + 1, n + 1);
}
