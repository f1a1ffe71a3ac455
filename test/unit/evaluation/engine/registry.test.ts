/** Registry-level checks and the reference-free metrics (length, refusal). */
import { describe, expect, it } from "vitest";
import { sentenceBleu } from "../../../../src/evaluation/metrics/bleu.ts";
import { detectRefusal } from "../../../../src/evaluation/metrics/refusal.ts";
import { EVALUATOR_IDS, EVALUATORS, isEvaluatorId } from "../../../../src/evaluation/registry.ts";

describe("registry", () => {
  it("every id has an evaluator whose descriptor carries that id", () => {
    for (const id of EVALUATOR_IDS) expect(EVALUATORS[id].descriptor.id).toBe(id);
    expect(Object.keys(EVALUATORS).sort()).toEqual([...EVALUATOR_IDS].sort());
    expect(isEvaluatorId("rougeL")).toBe(true);
    expect(isEvaluatorId("not-rougeL")).toBe(false);
  });

  it("wraps the existing metrics with their options", async () => {
    const input = { question: "q", answer: "The cats are running fast", references: ["The cat runs fast"] };
    const stem = await EVALUATORS.rouge1.evaluate(input, {});
    const noStem = await EVALUATORS.rouge1.evaluate(input, {}, { options: { stemmer: false } });
    // stemmed: the, cat, are, run, fast vs the, cat, run, fast -> P 4/5 R 4/4; unstemmed: the, fast -> 2/5, 2/4
    expect(stem.value).toBeCloseTo((2 * 0.8 * 1) / 1.8, 12);
    expect(noStem.value).toBeCloseTo((2 * 0.4 * 0.5) / 0.9, 12);
    const b = await EVALUATORS.bleu.evaluate(input, {});
    expect(b.value).toBeCloseTo(sentenceBleu(input.answer, input.references).score, 12);
    const hf = await EVALUATORS["bleu-hf"].evaluate(input, {});
    expect(hf.value).toBe(0); // no 4-gram match, no smoothing
    const m = await EVALUATORS.meteor.evaluate(input, { wordnet: null });
    expect(m.status).toBe("scored");
    expect((await EVALUATORS.chrf.evaluate({ question: "q", answer: "x" }, {})).status).toBe("not-applicable");
  });

  it("config signatures change with options", () => {
    expect(EVALUATORS.rougeL.configSignature({}, { stemmer: true })).not.toBe(
      EVALUATORS.rougeL.configSignature({}, { stemmer: false }),
    );
    expect(EVALUATORS.bleu.configSignature({}, { smooth: "floor" })).toContain('"smooth":"floor"');
  });
});

describe("length", () => {
  it("words by default, chars on request", async () => {
    const r = await EVALUATORS.length.evaluate({ question: "q", answer: "  Café au  lait\nplease " }, {});
    expect(r).toMatchObject({ status: "scored", value: 4, details: { words: 4, chars: 23 } });
    expect(
      (await EVALUATORS.length.evaluate({ question: "q", answer: "naïve" }, {}, { options: { unit: "chars" } })).value,
    ).toBe(5);
    expect((await EVALUATORS.length.evaluate({ question: "q", answer: "" }, {})).value).toBe(0);
  });
});

describe("refusal / noncommittal", () => {
  it.each([
    ["I'm sorry, but I can't help with that request.", true, false],
    ["As an AI language model, I do not have personal travel experience.", true, false],
    ["I cannot provide booking advice.", true, false],
    ["I don't know.", false, true],
    ["I'm not sure, it depends.", false, true],
    ["", false, true],
    ["Take the RER B from CDG; it costs about 11 euros and takes 35 minutes.", false, false],
    [
      "Go in April for the blossoms. Book early, because hotels in Kyoto fill up fast in spring and prices double; the exact peak date varies, and honestly whether it is worth it depends on how much you mind crowds at the famous spots.",
      false,
      false,
    ],
  ] as const)("%j", (answer, refusal, noncommittal) => {
    expect(detectRefusal(answer)).toEqual({ refusal, noncommittal });
  });

  it("value 1 for either, 0 otherwise", async () => {
    expect((await EVALUATORS.refusal.evaluate({ question: "q", answer: "No idea." }, {})).value).toBe(1);
    expect((await EVALUATORS.refusal.evaluate({ question: "q", answer: "Take the metro." }, {})).value).toBe(0);
  });
});
