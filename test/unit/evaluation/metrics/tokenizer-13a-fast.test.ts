import { describe, expect, it } from "vitest";
import { pyRstrip } from "../../../../src/evaluation/metrics/support/python-text.ts";
import { tokenize13a, tokenize13aRegex } from "../../../../src/evaluation/metrics/support/tokenizer-13a.ts";

// Differential test: the gap-based tokenize13a must equal the regex formulation (sacrebleu's
// substitutions applied literally) on adversarial strings dense in `.`, `,`, `-`, digits, entities,
// Python-only whitespace and surrogates.
const PIECES = [
  "a",
  "b",
  "1",
  "9",
  "0",
  ".",
  ",",
  "-",
  "'",
  " ",
  "\n",
  "\t",
  "(",
  ")",
  "&",
  "&amp;",
  "&lt;",
  "&quot;",
  "<skipped>",
  "$",
  "/",
  "\u00a0",
  "\u2003",
  "\u0085",
  "\x1c",
  "😀",
  "\ud800",
  "\udc00",
  "é",
  "\u3000",
  "_",
  "~",
  "{",
  "@",
  ":",
  "-\n",
  "\r",
  "\v",
];
const DENSE = ["a", "1", ".", ",", "-", " ", "(", "\n", "&amp;"];

function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
}

describe("tokenize13a (fast) vs the regex specification", () => {
  for (const [label, alphabet] of [
    ["mixed", PIECES],
    ["dense punctuation", DENSE],
  ] as const) {
    it(`agrees on 20,000 random ${label} strings`, () => {
      const rnd = lcg(7);
      for (let t = 0; t < 20_000; t++) {
        const len = Math.floor(rnd() * 24);
        let s = "";
        for (let i = 0; i < len; i++) s += alphabet[Math.floor(rnd() * alphabet.length)];
        expect(tokenize13a(s), JSON.stringify(s)).toEqual(tokenize13aRegex(s));
      }
    });
  }

  it("pyRstrip strips exactly Python whitespace", () => {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: Python's whitespace set includes \x1c-\x1f
    const ws = /[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/;
    for (const s of ["a \u3000", "a\ufeff", "x\x1c\x1f", " ", "", "a\u200b", "b\u0085\n"])
      expect(pyRstrip(s)).toBe(s.replace(ws, ""));
  });
});
