/**
 * Issue 14, case 9 (second half): ROUGE on non-Latin text. rouge-score's tokenizer keeps only [a-z0-9], so a
 * Japanese or Greek answer scores 0 whatever it says; such rows are flagged (reason + details.noTokens), and
 * the `tokenizer: "unicode"` option scores them. The default stays rouge-score's (value 0, same signature).
 */
import { describe, expect, it } from "vitest";
import {
  noTokensReason,
  ROUGE_NO_TOKENS,
  rougeScores,
  rougeTokenize,
  unicodeTokenize,
} from "../../../../src/evaluation/metrics/rouge.ts";
import { EVALUATORS } from "../../../../src/evaluation/registry.ts";

const JA = { question: "東京から京都へ?", answer: "新幹線で京都へ行く", references: ["京都へは新幹線で行く"] };
const EL = { question: "Πώς πάω;", answer: "Πάρτε το μετρό", references: ["Πάρτε το λεωφορείο"] };

describe("ROUGE on non-Latin text", () => {
  it("the default tokenizer leaves no tokens: value 0 as rouge-score, and the row says why", async () => {
    expect(rougeTokenize(JA.answer, true)).toEqual([]);
    for (const input of [JA, EL]) {
      const r = await EVALUATORS.rougeL.evaluate(input, {});
      expect(r).toMatchObject({ status: "scored", value: 0, details: { noTokens: 1 } });
      expect(r.reason).toBe(
        `${ROUGE_NO_TOKENS} the answer and the reference are not empty but have no ASCII letters or digits (non-Latin text?): ROUGE is 0 by construction; option tokenizer: "unicode" keeps letters of every script`,
      );
      expect(r.signature).toBe(
        "rouge|rougeL|nrefs:1|stem:porter-nltk|tok:ascii-alnum(non-ascii dropped)|lsum-split:newline|version:0.1.2",
      );
    }
  });

  it("Latin text, and empty text, are not flagged", async () => {
    const r = await EVALUATORS.rouge1.evaluate(
      { question: "q", answer: "Take the metro", references: ["Take a bus"] },
      {},
    );
    expect(r.reason).toBeUndefined();
    expect(r.status === "scored" && r.details?.noTokens).toBeFalsy();
    expect(noTokensReason("", [""])).toBeUndefined();
    expect(noTokensReason("Café", ["東京"])).toBe(
      `${ROUGE_NO_TOKENS} the reference is not empty but has no ASCII letters or digits (non-Latin text?): ROUGE is 0 by construction; option tokenizer: "unicode" keeps letters of every script`,
    );
  });

  it('tokenizer "unicode": letters of every script, one token per character of unspaced scripts', async () => {
    expect(unicodeTokenize(JA.answer, true)).toEqual(["新", "幹", "線", "で", "京", "都", "へ", "行", "く"]);
    expect(unicodeTokenize("Πάρτε το ΜΕΤΡΟ, running!", true)).toEqual(["πάρτε", "το", "μετρο", "run"]);
    // 9 answer characters, all in the 10-character reference: P = 9/9, R = 9/10
    const s = rougeScores(JA.answer, JA.references, { tokenizer: "unicode" });
    expect(s.rouge1).toEqual({ precision: 1, recall: 0.9, fmeasure: (2 * 0.9) / 1.9 });
    const r = await EVALUATORS.rouge1.evaluate(JA, {}, { options: { tokenizer: "unicode" } });
    expect(r).toMatchObject({ status: "scored", value: (2 * 0.9) / 1.9 });
    expect(r.reason).toBeUndefined();
    expect(r.signature).toContain("tok:unicode-nfkc-letters-digits(unspaced scripts per char;not rouge-score)");
    // Greek: 2 of 3 words shared
    const g = await EVALUATORS.rouge1.evaluate(EL, {}, { options: { tokenizer: "unicode" } });
    expect(g.value).toBeCloseTo(2 / 3, 12);
  });
});
