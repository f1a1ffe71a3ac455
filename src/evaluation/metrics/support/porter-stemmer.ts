/**
 * Port of NLTK's `PorterStemmer` in its default mode `NLTK_EXTENSIONS` (nltk 3.9.2,
 * `nltk/stem/porter.py`). This is the stemmer both google `rouge-score` (0.1.2,
 * `tokenizers.DefaultTokenizer(use_stemmer=True)` -> `porter.PorterStemmer()`) and NLTK
 * `meteor_score` use. The npm `stemmer` package implements Martin Porter's reference version,
 * which differs (e.g. NLTK maps "dying" -> "die", "ies" words of length 4, "fulli", "logi"),
 * so it is not used.
 *
 * Python indexes strings by code point; to reproduce that for words with characters outside the
 * BMP, each such character is mapped to a distinct private-use BMP character before stemming and
 * mapped back afterwards (the algorithm only inspects ASCII letters and compares characters for
 * equality, so the mapping is exact).
 */
import { hasSurrogates, pyLen } from "./python-text.ts";

const IRREGULAR: ReadonlyMap<string, string> = new Map([
  ["sky", "sky"],
  ["skies", "sky"],
  ["dying", "die"],
  ["lying", "lie"],
  ["tying", "tie"],
  ["news", "news"],
  ["innings", "inning"],
  ["inning", "inning"],
  ["outings", "outing"],
  ["outing", "outing"],
  ["cannings", "canning"],
  ["canning", "canning"],
  ["howe", "howe"],
  ["proceed", "proceed"],
  ["exceed", "exceed"],
  ["succeed", "succeed"],
]);

function isVowelChar(c: string): boolean {
  return c === "a" || c === "e" || c === "i" || c === "o" || c === "u";
}

function isConsonant(word: string, i: number): boolean {
  // Iterative form of NLTK's recursive definition: "y" at index 0 is a consonant, a "y" after a
  // consonant is a vowel and a "y" after a vowel is a consonant.
  const ch = word[i]!;
  if (isVowelChar(ch)) return false;
  if (ch !== "y") return true;
  let k = i;
  while (k >= 0 && word[k] === "y") k--;
  // word[k+1..i] are all "y"; word[k] (if any) is not.
  let consonant = k < 0 ? true : isVowelChar(word[k]!);
  if ((i - (k + 1)) % 2 === 1) consonant = !consonant;
  return consonant;
}

function measure(stem: string): number {
  let m = 0;
  let prevVowel = false;
  for (let i = 0; i < stem.length; i++) {
    const c = isConsonant(stem, i);
    if (c && prevVowel) m++;
    prevVowel = !c;
  }
  return m;
}

function containsVowel(stem: string): boolean {
  for (let i = 0; i < stem.length; i++) if (!isConsonant(stem, i)) return true;
  return false;
}

function endsDoubleConsonant(word: string): boolean {
  const n = word.length;
  return n >= 2 && word[n - 1] === word[n - 2] && isConsonant(word, n - 1);
}

function endsCvc(word: string): boolean {
  const n = word.length;
  const last = word[n - 1];
  return (
    (n >= 3 &&
      isConsonant(word, n - 3) &&
      !isConsonant(word, n - 2) &&
      isConsonant(word, n - 1) &&
      last !== "w" &&
      last !== "x" &&
      last !== "y") ||
    (n === 2 && !isConsonant(word, 0) && isConsonant(word, 1))
  );
}

type Rule = readonly [suffix: string, replacement: string, condition: ((stem: string) => boolean) | null];

function applyRuleList(word: string, rules: readonly Rule[]): string {
  for (const [suffix, replacement, condition] of rules) {
    if (suffix === "*d" && endsDoubleConsonant(word)) {
      const stem = word.slice(0, -2);
      return condition === null || condition(stem) ? stem + replacement : word;
    }
    if (word.endsWith(suffix)) {
      const stem = suffix === "" ? word : word.slice(0, word.length - suffix.length);
      return condition === null || condition(stem) ? stem + replacement : word;
    }
  }
  return word;
}

const positive = (s: string): boolean => measure(s) > 0;
const gt1 = (s: string): boolean => measure(s) > 1;

function step1a(word: string): string {
  if (word.endsWith("ies") && word.length === 4) return `${word.slice(0, -3)}ie`;
  return applyRuleList(word, [
    ["sses", "ss", null],
    ["ies", "i", null],
    ["ss", "ss", null],
    ["s", "", null],
  ]);
}

function step1b(word: string): string {
  if (word.endsWith("ied")) {
    return word.length === 4 ? `${word.slice(0, -3)}ie` : `${word.slice(0, -3)}i`;
  }
  if (word.endsWith("eed")) {
    const stem = word.slice(0, -3);
    return measure(stem) > 0 ? `${stem}ee` : word;
  }
  let intermediate: string | null = null;
  for (const suffix of ["ed", "ing"]) {
    if (word.endsWith(suffix)) {
      const s = word.slice(0, word.length - suffix.length);
      if (containsVowel(s)) {
        intermediate = s;
        break;
      }
    }
  }
  if (intermediate === null) return word;
  const im = intermediate;
  const lastChar = im[im.length - 1] ?? "";
  return applyRuleList(im, [
    ["at", "ate", null],
    ["bl", "ble", null],
    ["iz", "ize", null],
    ["*d", lastChar, () => lastChar !== "l" && lastChar !== "s" && lastChar !== "z"],
    ["", "e", (stem) => measure(stem) === 1 && endsCvc(stem)],
  ]);
}

function step1c(word: string): string {
  return applyRuleList(word, [["y", "i", (stem) => stem.length > 1 && isConsonant(stem, stem.length - 1)]]);
}

function step2(word: string): string {
  if (word.endsWith("alli") && positive(word.slice(0, -4))) {
    return step2(`${word.slice(0, -4)}al`);
  }
  return applyRuleList(word, [
    ["ational", "ate", positive],
    ["tional", "tion", positive],
    ["enci", "ence", positive],
    ["anci", "ance", positive],
    ["izer", "ize", positive],
    ["bli", "ble", positive],
    ["alli", "al", positive],
    ["entli", "ent", positive],
    ["eli", "e", positive],
    ["ousli", "ous", positive],
    ["ization", "ize", positive],
    ["ation", "ate", positive],
    ["ator", "ate", positive],
    ["alism", "al", positive],
    ["iveness", "ive", positive],
    ["fulness", "ful", positive],
    ["ousness", "ous", positive],
    ["aliti", "al", positive],
    ["iviti", "ive", positive],
    ["biliti", "ble", positive],
    ["fulli", "ful", positive],
    ["logi", "log", () => positive(word.slice(0, -3))],
  ]);
}

function step3(word: string): string {
  return applyRuleList(word, [
    ["icate", "ic", positive],
    ["ative", "", positive],
    ["alize", "al", positive],
    ["iciti", "ic", positive],
    ["ical", "ic", positive],
    ["ful", "", positive],
    ["ness", "", positive],
  ]);
}

function step4(word: string): string {
  return applyRuleList(word, [
    ["al", "", gt1],
    ["ance", "", gt1],
    ["ence", "", gt1],
    ["er", "", gt1],
    ["ic", "", gt1],
    ["able", "", gt1],
    ["ible", "", gt1],
    ["ant", "", gt1],
    ["ement", "", gt1],
    ["ment", "", gt1],
    ["ent", "", gt1],
    ["ion", "", (stem) => measure(stem) > 1 && (stem.endsWith("s") || stem.endsWith("t"))],
    ["ou", "", gt1],
    ["ism", "", gt1],
    ["ate", "", gt1],
    ["iti", "", gt1],
    ["ous", "", gt1],
    ["ive", "", gt1],
    ["ize", "", gt1],
  ]);
}

function step5a(word: string): string {
  if (word.endsWith("e")) {
    const stem = word.slice(0, -1);
    const m = measure(stem);
    if (m > 1) return stem;
    if (m === 1 && !endsCvc(stem)) return stem;
  }
  return word;
}

function step5b(word: string): string {
  return applyRuleList(word, [["ll", "l", () => measure(word.slice(0, -1)) > 1]]);
}

function stemLower(lower: string, original: string, originalLength: number): string {
  // NLTK: stem = word.lower(); the pool lookup and the length check use the *original* word.
  if (IRREGULAR.has(original)) return IRREGULAR.get(lower) ?? lower;
  if (originalLength <= 2) return lower;
  let s = step1a(lower);
  s = step1b(s);
  s = step1c(s);
  s = step2(s);
  s = step3(s);
  s = step4(s);
  s = step5a(s);
  s = step5b(s);
  return s;
}

/**
 * `PorterStemmer().stem(word)` of NLTK 3.9.2 (mode NLTK_EXTENSIONS, `to_lowercase=True`).
 *
 * @param word any string (normally one token); lowercased first, as NLTK does.
 * @returns the stem; never throws.
 */
export function porterStem(word: string): string {
  let stem = stemCache.get(word);
  if (stem === undefined) {
    stem = computeStem(word);
    // Bounded memo (the stemmer is a pure function of the word).
    if (stemCache.size >= STEM_CACHE_LIMIT) stemCache.clear();
    stemCache.set(word, stem);
  }
  return stem;
}

const STEM_CACHE_LIMIT = 200_000;
const stemCache = new Map<string, string>();

function computeStem(word: string): string {
  const lower = word.toLowerCase();
  if (!hasSurrogates(lower)) return stemLower(lower, word, pyLen(word));
  // Map each astral code point to a private-use BMP char (one not present in the word) so that
  // indexing matches Python's, stem, and map back.
  const forward = new Map<string, string>();
  const back = new Map<string, string>();
  let next = 0xe000;
  let mapped = "";
  for (const ch of lower) {
    if (ch.length === 1) {
      mapped += ch;
      continue;
    }
    let sub = forward.get(ch);
    if (sub === undefined) {
      while (lower.includes(String.fromCharCode(next))) next++;
      sub = String.fromCharCode(next++);
      forward.set(ch, sub);
      back.set(sub, ch);
    }
    mapped += sub;
  }
  const out = stemLower(mapped, word, pyLen(word));
  let result = "";
  for (const ch of out) result += back.get(ch) ?? ch;
  return result;
}
