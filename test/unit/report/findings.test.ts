/**
 * Findings are sentences generated from the numbers: a leader only when the paired interval excludes
 * 0, "not enough data" below MIN_N or without humans, agreement strength from rho's interval.
 */
import { describe, expect, it } from "vitest";
import { computeMetaStats } from "../../../src/evaluation/stats/meta-stats.ts";
import { evaluatorFamily, generateFindings, MIN_N } from "../../../src/report/findings.ts";
import type { ScoreRecord } from "../../../src/store/records.ts";

function table(n: number, gap: number): ScoreRecord[] {
  const rows: ScoreRecord[] = [];
  for (let i = 0; i < n; i++) {
    const noise = ((i * 7) % 5) / 10;
    rows.push({
      variant: "base",
      itemId: `q${i}`,
      evaluator: "bleu",
      status: "scored",
      value: 0.2 + noise,
      reason: null,
      signature: "s",
    });
    rows.push({
      variant: "sft",
      itemId: `q${i}`,
      evaluator: "bleu",
      status: "scored",
      value: 0.2 + noise + gap,
      reason: null,
      signature: "s",
    });
    rows.push({
      variant: "base",
      itemId: `q${i}`,
      evaluator: "judge-single",
      status: "scored",
      value: 5 + (i % 3),
      reason: "ok",
      signature: "j",
    });
    rows.push({
      variant: "sft",
      itemId: `q${i}`,
      evaluator: "judge-single",
      status: "scored",
      value: 5 + ((i + 1) % 3),
      reason: "ok",
      signature: "j",
    });
  }
  return rows;
}

describe("generateFindings", () => {
  it("names a leader with its numbers only when the paired interval excludes 0", () => {
    const f = generateFindings(computeMetaStats(table(12, 0.1), ["base", "sft"]), null);
    const bleu = f.find((x) => x.topic === "ranking" && x.text.startsWith("bleu"))!.text;
    expect(bleu).toMatch(
      /^bleu: sft leads — sft 0\.\d{3} \(95% CI \[0\.\d{3}, 0\.\d{3}\], n=12\) vs runner-up base .*difference 0\.100 \(95% CI \[0\.100, 0\.100\], paired n=12/,
    );
    const judge = f.find((x) => x.text.startsWith("judge-single"))!.text;
    expect(judge).toMatch(/the data cannot separate .* includes 0/);
    expect(f.find((x) => x.topic === "family" && x.text.includes("reference-based"))!.text).toBe(
      "Under the reference-based evaluators, the clear leader was: sft (bleu).",
    );
    expect(f.find((x) => x.topic === "family" && x.text.includes("LLM judge"))!.text).toMatch(
      /no variant led .*not enough data/,
    );
    expect(f.find((x) => x.topic === "humans")!.text).toMatch(/^No human ratings yet: .*not enough data/);
    expect(f.find((x) => x.topic === "agreement")!.text).toMatch(
      /^bleu and judge-single: .*Spearman rho -?\d\.\d{3} .*n=24 answers\)\.$/,
    );
  });

  it("says not enough data below MIN_N paired questions", () => {
    const f = generateFindings(computeMetaStats(table(MIN_N - 1, 0.3), ["base", "sft"]), null);
    expect(f.find((x) => x.text.startsWith("bleu"))!.text).toMatch(
      new RegExp(
        `^bleu: not enough data to rank sft and base \\(${MIN_N - 1} paired questions, fewer than ${MIN_N}\\)`,
      ),
    );
    expect(generateFindings(null, null)).toEqual([
      { topic: "ranking", text: "No scores yet: not enough data for any finding." },
    ]);
  });

  it("reports human agreement rows and selections", () => {
    const f = generateFindings(
      computeMetaStats(table(6, 0.1), ["base", "sft"]),
      {
        ratings: 40,
        rows: [
          {
            evaluator: "bleu",
            criterion: "helpful",
            verdict: "none (CI includes 0)",
            value: 0.1,
            low: -0.2,
            high: 0.4,
            n: 20,
          },
        ],
      },
      [
        {
          selection: "best",
          variant: "sft",
          by: "bleu",
          candidates: [
            { variant: "base", value: 0.4, low: 0.3, high: 0.5, n: 6 },
            { variant: "sft", value: 0.5, low: 0.45, high: 0.6, n: 6 },
          ],
        },
      ],
    );
    expect(f.find((x) => x.topic === "humans")!.text).toBe(
      "bleu vs human helpful: none (CI includes 0) — 0.100 (95% CI [-0.200, 0.400], n=20).",
    );
    expect(f.find((x) => x.topic === "selection")!.text).toMatch(
      /^Selection best picked sft by bleu: .*the intervals overlap/,
    );
    expect(evaluatorFamily("ragas-faithfulness")).toBe("Ragas");
    expect(evaluatorFamily("judge-pairwise")).toBe("LLM judge");
  });
});
