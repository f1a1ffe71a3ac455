/**
 * Issue 14, case 9 (second half): ROUGE on non-Latin text. rouge-score's tokenizer keeps only [a-z0-9], so a
 * Japanese or Greek answer scores 0 whatever it says; such rows are flagged (reason + details.noTokens), and
 * the `tokenizer: "unicode"` option scores them. The default stays rouge-score's (value 0, same signature).
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadExperiment } from "../../../../src/config/load.ts";
import {
  noTokensReason,
  ROUGE_NO_TOKENS,
  rougeScores,
  rougeTokenize,
  unicodeTokenize,
} from "../../../../src/evaluation/metrics/rouge.ts";
import { EVALUATORS } from "../../../../src/evaluation/registry.ts";
import { SILENT_PROGRESS } from "../../../../src/experiment/progress.ts";
import { runExperiment } from "../../../../src/experiment/runner.ts";
import type { StageManifest } from "../../../../src/experiment/stage.ts";
import { answersJsonl, writeStage } from "../../experiment/stage-fixtures.ts";

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

  it("the evaluate stage keeps the reason in scores.jsonl and counts flagged rows in its notes (for the report)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wf-rouge-stage-"));
    mkdirSync(join(dir, "data"));
    writeFileSync(join(dir, "golden.csv"), "question,answer\nq,a\n");
    writeFileSync(
      join(dir, "e.yaml"),
      `name: ja
workspace: ws
import: { inputs: [{ path: data }] }
datasets: { golden: { file: golden.csv } }
models: { m: { provider: llama, path: smollm2-135m-instruct-q4_1 } }
generate: { variants: [{ name: base, model: m }, { name: tuned, model: m }, { name: short, model: m }] }
evaluate: { evaluators: [rougeL] }
`,
    );
    const exp = await loadExperiment(join(dir, "e.yaml"));
    // tuned answers q1 and q2 in Japanese; the golden answers stay "gold q1" ...
    const answers = answersJsonl()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { variant: string; itemId: string; answer: string })
      .map((a) =>
        a.variant === "tuned" && (a.itemId === "q1" || a.itemId === "q2") ? { ...a, answer: JA.answer } : a,
      );
    writeStage(exp.runDir, "generate", { "answers.jsonl": `${answers.map((a) => JSON.stringify(a)).join("\n")}\n` });
    writeStage(exp.runDir, "datasets");
    writeStage(exp.runDir, "train");
    await runExperiment({ exp, progress: SILENT_PROGRESS, only: ["evaluate"], env: process.env });
    const rows = readFileSync(join(exp.runDir, "evaluate", "scores.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { variant: string; itemId: string; value: number; reason: string | null });
    expect(
      rows.filter((r) => r.reason?.startsWith(ROUGE_NO_TOKENS)).map((r) => `${r.variant}/${r.itemId}/${r.value}`),
    ).toEqual(["tuned/q1/0", "tuned/q2/0"]);
    const manifest = JSON.parse(readFileSync(join(exp.runDir, "evaluate", "manifest.json"), "utf8")) as StageManifest;
    expect(manifest.notes).toContain(
      'tuned rougeL: 2 row(s) score 0 because the tokenizer left no tokens (non-Latin text?); option tokenizer: "unicode" scores them',
    );
  });
});
