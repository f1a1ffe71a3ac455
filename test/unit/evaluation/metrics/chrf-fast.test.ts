/**
 * The key-free chrF character statistics (dense character ids, trie of the shorter text walked by
 * the longer one, direct bigram table only for small alphabets) against a straight port of
 * sacrebleu 2.5.1 `extract_all_char_ngrams` / `_get_match_statistics` with string-keyed maps,
 * and against values computed by sacrebleu 2.5.1 itself.
 */
import { describe, expect, it } from "vitest";
import { createRng } from "../../../../src/evaluation/meta/bootstrap.ts";
import { type ChrfOptions, corpusChrf, sentenceChrf } from "../../../../src/evaluation/metrics/chrf.ts";
import { pySplit } from "../../../../src/evaluation/metrics/support/python-text.ts";

// ---- Straight port of sacrebleu 2.5.1 (sacrebleu/metrics/chrf.py, helpers.py) ----

function counter(items: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of items) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

function charNgrams(line: string, maxOrder: number, includeWhitespace: boolean): Map<string, number>[] {
  const s = includeWhitespace ? line : pySplit(line).join("");
  const cps = Array.from(s); // Python indexes code points
  const out: Map<string, number>[] = [];
  for (let n = 1; n <= maxOrder; n++) {
    const grams: string[] = [];
    for (let i = 0; i + n <= cps.length; i++) grams.push(cps.slice(i, i + n).join(""));
    out.push(counter(grams));
  }
  return out;
}

const PUNCTS = new Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~");

function wordNgrams(line: string, maxOrder: number): Map<string, number>[] {
  const words: string[] = [];
  for (const w of pySplit(line)) {
    const cs = Array.from(w);
    if (cs.length === 1) words.push(w);
    else if (PUNCTS.has(cs[cs.length - 1]!)) words.push(cs.slice(0, -1).join(""), cs[cs.length - 1]!);
    else if (PUNCTS.has(cs[0]!)) words.push(cs[0]!, cs.slice(1).join(""));
    else words.push(w);
  }
  const out: Map<string, number>[] = [];
  for (let n = 1; n <= maxOrder; n++) {
    const grams: string[] = [];
    for (let i = 0; i + n <= words.length; i++) grams.push(words.slice(i, i + n).join(" "));
    out.push(counter(grams));
  }
  return out;
}

function matchStatistics(hyp: Map<string, number>, ref: Map<string, number>): number[] {
  let match = 0;
  let hypCount = 0;
  for (const [ng, c] of hyp) {
    hypCount += c;
    const rc = ref.get(ng);
    if (rc !== undefined) match += Math.min(c, rc);
  }
  let refCount = 0;
  for (const c of ref.values()) refCount += c;
  return [ref.size > 0 ? hypCount : 0, refCount, match];
}

function fScore(stats: number[], charOrder: number, wordOrder: number): number {
  const eps = 1e-16;
  const factor = 4;
  let effective = 0;
  let avgPrec = 0;
  let avgRec = 0;
  for (let i = 0; i < charOrder + wordOrder; i++) {
    const [h, r, m] = [stats[3 * i]!, stats[3 * i + 1]!, stats[3 * i + 2]!];
    const prec = h > 0 ? m / h : eps;
    const rec = r > 0 ? m / r : eps;
    if (h > 0 && r > 0) {
      avgPrec += prec;
      avgRec += rec;
      effective++;
    }
  }
  if (effective === 0) return 0;
  avgPrec /= effective;
  avgRec /= effective;
  if (!(avgPrec + avgRec)) return 0;
  let s = (1 + factor) * avgPrec * avgRec;
  s /= factor * avgPrec + avgRec;
  return 100 * s;
}

function referenceStats(
  hyp: string,
  refs: string[],
  o: Required<Pick<ChrfOptions, "charOrder" | "wordOrder">> & ChrfOptions,
): number[] {
  const prep = (s: string): string => (o.lowercase ? s.toLowerCase() : s);
  const hypC = charNgrams(prep(hyp), o.charOrder, o.whitespace ?? false);
  const hypW = wordNgrams(prep(hyp), o.wordOrder);
  let best: number[] = [];
  let bestF = -1;
  for (const ref of refs) {
    const refC = charNgrams(prep(ref), o.charOrder, o.whitespace ?? false);
    const refW = wordNgrams(prep(ref), o.wordOrder);
    const stats = [
      ...hypC.flatMap((h, i) => matchStatistics(h, refC[i]!)),
      ...hypW.flatMap((h, i) => matchStatistics(h, refW[i]!)),
    ];
    const f = fScore(stats, o.charOrder, o.wordOrder);
    if (f > bestF) {
      bestF = f;
      best = stats;
    }
  }
  return best;
}

// ---- Random texts ----

/** Deterministic PRNG (mulberry32, the one the bootstrap uses). */
const rng = createRng;

const ASCII = "abcdeABCDE .,!?'";
const ASTRAL = ["😀", "🍁", "𝔘", "𠀀", "a", "b", " ", "é", "\u0301"];
// Python-only whitespace (\x1c-\x1f, \x85, U+3000, U+2028), and U+FEFF, which is JS \s but not Python whitespace.
const SPACES = ["a", "b", "c", " ", "\t", "\x1c", "\x1f", "\x85", "\u3000", "\u2028", "\ufeff", "\u00a0", "\u200b"];

function randomText(r: () => number, len: number, pick: (r: () => number) => string): string {
  let s = "";
  for (let i = 0; i < len; i++) s += pick(r);
  return s;
}

const alphabets: Record<string, (r: () => number) => string> = {
  ascii: (r) => ASCII[Math.floor(r() * ASCII.length)]!,
  tiny: (r) => "ab "[Math.floor(r() * 3)]!,
  astral: (r) => ASTRAL[Math.floor(r() * ASTRAL.length)]!,
  spaces: (r) => SPACES[Math.floor(r() * SPACES.length)]!,
  // > 255 distinct characters: the bigram table does not fit, depth 2 goes through the hash table.
  cjk: (r) => String.fromCodePoint(0x4e00 + Math.floor(r() * 700)),
  // Astral and BMP mixed, > 255 distinct.
  wide: (r) =>
    r() < 0.5
      ? String.fromCodePoint(0x1f300 + Math.floor(r() * 300))
      : String.fromCodePoint(0x3400 + Math.floor(r() * 40)),
};

describe("chrF character statistics equal a straight sacrebleu port", () => {
  const configs: ChrfOptions[] = [
    {},
    { wordOrder: 2 },
    { charOrder: 1 },
    { charOrder: 2 },
    { charOrder: 3, wordOrder: 1 },
    { charOrder: 9 },
    { lowercase: true },
    { whitespace: true },
    { whitespace: true, lowercase: true, wordOrder: 2 },
  ];
  for (const [name, pick] of Object.entries(alphabets)) {
    it(`random ${name} texts, several option sets, 1-4 references of mixed lengths`, () => {
      const r = rng(name.length * 7919 + 17);
      for (let t = 0; t < 120; t++) {
        const hyp = randomText(r, Math.floor(r() * 60), pick);
        const nrefs = 1 + Math.floor(r() * 4);
        // References both shorter and longer than the hypothesis (the trie holds the shorter text,
        // and is re-used across references when it holds the hypothesis).
        const refs = Array.from({ length: nrefs }, () => randomText(r, Math.floor(r() * 90), pick));
        const o = configs[t % configs.length]!;
        const full = { charOrder: o.charOrder ?? 6, wordOrder: o.wordOrder ?? 0, ...o };
        const ours = sentenceChrf(hyp, refs, o);
        const expected = referenceStats(hyp, refs, full);
        expect(ours.stats, JSON.stringify({ hyp, refs, o })).toEqual(expected);
        expect(ours.score).toBe(fScore(expected, full.charOrder, full.wordOrder));
      }
    });
  }

  it("repetitive texts (long runs, counts far above 1)", () => {
    const r = rng(99);
    for (let t = 0; t < 60; t++) {
      const unit = randomText(r, 1 + Math.floor(r() * 4), alphabets.tiny!);
      const hyp = unit.repeat(Math.floor(r() * 200));
      const refs = [unit.repeat(Math.floor(r() * 300)) + randomText(r, 20, alphabets.tiny!), "ab".repeat(50)];
      expect(sentenceChrf(hyp, refs).stats).toEqual(referenceStats(hyp, refs, { charOrder: 6, wordOrder: 0 }));
    }
  });

  it("long texts with many distinct characters (table growth, no bigram table)", () => {
    const r = rng(5);
    for (let t = 0; t < 6; t++) {
      const pick = t % 2 ? alphabets.cjk! : alphabets.wide!;
      const hyp = randomText(r, 3000 + Math.floor(r() * 3000), pick);
      const refs = [randomText(r, 1000 + Math.floor(r() * 6000), pick), hyp.slice(100, 2500)];
      expect(sentenceChrf(hyp, refs).stats).toEqual(referenceStats(hyp, refs, { charOrder: 6, wordOrder: 0 }));
    }
  });

  it("long texts over a small alphabet (many children per trie node, crowded hash table)", () => {
    const r = rng(11);
    const pick = (q: () => number): string => "abcdefgh"[Math.floor(q() * 8)]!;
    for (let t = 0; t < 6; t++) {
      const hyp = randomText(r, 4000 + Math.floor(r() * 4000), pick);
      const refs = [randomText(r, 2000 + Math.floor(r() * 8000), pick)];
      expect(sentenceChrf(hyp, refs).stats).toEqual(referenceStats(hyp, refs, { charOrder: 6, wordOrder: 0 }));
    }
  });

  it("corpus chrF sums the same statistics", () => {
    const r = rng(3);
    const hyps = Array.from({ length: 40 }, () => randomText(r, 40, alphabets.astral!));
    const refs = hyps.map(() => [randomText(r, 50, alphabets.astral!), randomText(r, 10, alphabets.astral!)]);
    const sum = new Array<number>(18).fill(0);
    hyps.forEach((h, i) => {
      referenceStats(h, refs[i]!, { charOrder: 6, wordOrder: 0 }).forEach((v, k) => {
        sum[k]! += v;
      });
    });
    const ours = corpusChrf(hyps, refs);
    expect(ours.stats).toEqual(sum);
    expect(ours.score).toBe(fScore(sum, 6, 0));
  });
});

describe("chrF values computed by sacrebleu 2.5.1 (CHRF(word_order=...).sentence_score)", () => {
  const cjk = (n: number, step: number): string =>
    Array.from({ length: n }, (_, i) => String.fromCodePoint(0x4e00 + ((i * step) % 600))).join("");
  const cases: Array<[string, string, string[], number, number]> = [
    [
      "emoji and astral characters (one code point each)",
      "Kyoto 😀😀 in autumn 🍁 is 𝔘𝔫𝔦 lovely 😀",
      ["Kyoto in autumn 🍁🍁 is lovely 😀 😀", "autumn 😀 in 𝔘𝔫𝔦 Kyoto"],
      61.80116523928443,
      58.96954502624082,
    ],
    [
      "Python-only whitespace removed, U+FEFF kept",
      "a\x1cb\x85c\u3000d\ufeffe\u2028f",
      ["ab\x1fcd\ufeff e f", "a b c d e f"],
      100.0,
      77.99919484702093,
    ],
    ["600 distinct CJK characters", cjk(400, 37), [cjk(300, 41)], 10.3125, 8.839285714285714],
    ["repeats", "aaaaaaaaaabababab ab", ["aaaa abab abababab aaaaa"], 76.24037649780017, 57.18028237335013],
  ];
  for (const [name, hyp, refs, chrf, chrfpp] of cases) {
    it(name, () => {
      expect(sentenceChrf(hyp, refs).score).toBe(chrf);
      expect(sentenceChrf(hyp, refs, { wordOrder: 2 }).score).toBe(chrfpp);
    });
  }
});
