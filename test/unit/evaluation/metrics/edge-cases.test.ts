/** Hand-checkable edge cases, each pinned to the Python references (test/fixtures/metrics/edge-cases.json). */
import { describe, expect, it } from "vitest";
import * as bleu from "../../../../src/evaluation/metrics/bleu.ts";
import * as chrf from "../../../../src/evaluation/metrics/chrf.ts";
import * as meteorMod from "../../../../src/evaluation/metrics/meteor.ts";
import * as rouge from "../../../../src/evaluation/metrics/rouge.ts";
import { porterStem } from "../../../../src/evaluation/metrics/support/porter-stemmer.ts";
import { tokenize13a } from "../../../../src/evaluation/metrics/support/tokenizer-13a.ts";
import { computeAll, mismatches } from "./compute-all.ts";
import { readFixture } from "./fixture-texts.ts";

const { WordNet, meteor } = meteorMod;
const wordnet = WordNet.fromWordnetDb();
const edge = readFixture<{
  cases: Array<{ name: string; hyp: string; refs: string[]; values: Record<string, number> }>;
}>("edge-cases.json");

describe("edge cases pinned to the references", () => {
  for (const c of edge.cases) {
    it(c.name, () => {
      expect(mismatches(computeAll(c.hyp, c.refs, wordnet), c.values, 1e-6)).toEqual([]);
    });
  }
});

describe("hand-checked values", () => {
  it("NLTK doc example: METEOR 0.6944", () => {
    const h = "It is a guide to action which ensures that the military always obeys the commands of the party";
    const r1 = "It is a guide to action that ensures that the military will forever heed Party commands";
    const s = meteor(h, [r1], { wordnet });
    // m=12 of 18 hyp / 16 ref, 6 chunks: Fmean = (2/3*3/4)/(0.9*2/3+0.1*3/4) = 20/27; penalty 0.5*(1/2)^3
    expect(s.matches).toBe(12);
    expect(s.chunks).toBe(6);
    expect(s.score).toBeCloseTo((20 / 27) * (1 - 0.0625), 12);
    expect(Math.round(s.score * 1e4) / 1e4).toBe(0.6944);
  });

  it("METEOR synonym stage compares against *stemmed* reference words (NLTK quirk); null skips it", () => {
    // "car" ~ "auto" (car.n.01); "auto" survives stemming, so it matches
    expect(meteor("the car", ["the auto"], { wordnet }).matches).toBe(2);
    expect(meteor("the car", ["the auto"], { wordnet: null }).matches).toBe(1);
    // "cheap" ~ "inexpensive", but the reference word has become "inexpens" by the synonym stage
    expect(meteor("cheap", ["inexpensive"], { wordnet }).matches).toBe(0);
  });

  it("zero 4-gram BLEU: effective order in sentence BLEU, exp smoothing otherwise", () => {
    // hyp "a b c d" vs ref "a b c e": p1=3/4, p2=2/3, p3=1/2, p4: 0 of 1 -> exp smoothing 1/(2*1)
    const eff = bleu.sentenceBleu("a b c d", ["a b c e"]);
    expect(eff.counts).toEqual([3, 2, 1, 0]);
    const expected = 100 * Math.exp((Math.log(0.75) + Math.log(2 / 3) + Math.log(0.5) + Math.log(0.5)) / 4);
    expect(eff.score).toBeCloseTo(expected, 9);
    const none = bleu.sentenceBleu("a b c d", ["a b c e"], { smooth: "none", effectiveOrder: false });
    expect(none.score).toBeLessThan(1e-6);
  });

  it("brevity penalty tie goes to the shorter reference", () => {
    const s = bleu.sentenceBleu("a b c d", ["a b c d e", "a b c"]);
    expect(s.refLen).toBe(3);
    expect(s.bp).toBe(1);
    // HF evaluate uses the shortest reference regardless of distance
    expect(bleu.hfBleu(["a b c d e f"], [["a b c d e f g", "a b"]]).referenceLength).toBe(2);
  });

  it("signatures look like sacrebleu's", () => {
    expect(bleu.sentenceBleu("a", ["a"]).signature).toBe("nrefs:1|case:mixed|eff:yes|tok:13a|smooth:exp|version:2.5.1");
    expect(bleu.corpusBleu(["a"], [["a"]], { smooth: "floor" }).signature).toBe(
      "nrefs:1|case:mixed|eff:no|tok:13a|smooth:floor[0.10]|version:2.5.1",
    );
    expect(chrf.sentenceChrf("a", ["a"]).signature).toBe("nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.5.1");
  });

  it("empty strings score 0 everywhere (reference behaviour)", () => {
    expect(bleu.sentenceBleu("", ["x y"]).score).toBe(0);
    expect(bleu.hfBleu([""], [["x y"]]).bleu).toBe(0);
    expect(chrf.sentenceChrf("", ["x y"]).score).toBe(0);
    expect(rouge.rougeScores("", ["x y"]).rougeL.fmeasure).toBe(0);
    expect(meteor("", ["x y"], { wordnet }).score).toBe(0);
  });

  it("ROUGE drops non-ASCII and stems only tokens longer than 3 chars", () => {
    expect(rouge.rougeTokenize("Café Zürich naïve 日本 ties", true)).toEqual(["caf", "z", "rich", "na", "ve", "tie"]);
    expect(rouge.rougeTokenize("ties", false)).toEqual(["ties"]);
    expect(rouge.rougeTokenize("dies bus", true)).toEqual(["die", "bus"]);
  });

  it("13a tokenizer and NLTK Porter stemmer spot checks", () => {
    expect(tokenize13a("It costs $1,200.50 (approx.).")).toEqual([
      "It",
      "costs",
      "$",
      "1,200.50",
      "(",
      "approx",
      ".",
      ")",
      ".",
    ]);
    expect(["dying", "generously", "ponies", "happy", "enjoy"].map(porterStem)).toEqual([
      "die",
      "gener",
      "poni",
      "happi",
      "enjoy",
    ]);
  });

  it("score() follows the EvaluationResult contract", () => {
    const input = { question: "q", answer: "Visit Kyoto in autumn", references: ["Kyoto in autumn is lovely"] };
    for (const r of [
      bleu.score(input),
      bleu.score(input, { mode: "hf-evaluate" }),
      chrf.score(input),
      rouge.score(input),
      meteorMod.score(input, { wordnet }),
    ]) {
      expect(r.status).toBe("scored");
      expect(r.cost.usd).toBeNull();
      expect(r.signature.length).toBeGreaterThan(5);
    }
    const none = rouge.score({ question: "q", answer: "a" });
    expect(none.status).toBe("not-applicable");
    expect(none.value).toBeNull();
  });
});
