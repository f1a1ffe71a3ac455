import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../../../src/cli/main.ts";
import { trustChartSvg } from "../../../../src/evaluation/meta/chart.ts";
import {
  parseHumanJudgments,
  parseMetricScores,
  readHumanJudgments,
  readMetricScores,
} from "../../../../src/evaluation/meta/judgments.ts";
import { metaEvaluate } from "../../../../src/evaluation/meta/meta-evaluate.ts";
import { pairwiseAgreement } from "../../../../src/evaluation/meta/pairwise.ts";
import { buildTrustTable, renderTrustTableMarkdown } from "../../../../src/evaluation/meta/trust-table.ts";

// Fixture: scripts/fixtures/agreement.py (scipy on the same JSONL files).
const dir = new URL("../../../fixtures/meta/", import.meta.url).pathname;
const expected = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8")) as {
  criterion: string;
  expected: Record<string, Record<"item" | "input" | "system", Record<string, number>>>;
};
const human = readHumanJudgments(join(dir, "human.jsonl")).records;
const scores = readMetricScores(join(dir, "scores.jsonl")).records;

describe("metaEvaluate against scipy", () => {
  const meta = metaEvaluate(human, scores, { criteria: ["helpfulness"], resamples: 200, seed: 5 });
  for (const [evaluator, levels] of Object.entries(expected.expected)) {
    for (const level of ["item", "input", "system"] as const) {
      it(`${evaluator} ${level}`, () => {
        const r = meta.results.find((x) => x.evaluator === evaluator)!.levels[level]!;
        const want = levels[level];
        expect(r.n).toBe(want.n);
        if (level === "input") expect(r.skipped).toBe(want.skipped);
        for (const m of ["pearson", "spearman", "kendall"] as const) {
          expect(Math.abs(r.correlations[m].value! - want[m]!)).toBeLessThan(1e-9);
          expect(r.correlations[m].low!).toBeLessThanOrEqual(r.correlations[m].high!);
        }
      });
    }
  }
  it("is reproducible per seed and CIs depend on the seed", () => {
    const a = metaEvaluate(human, scores, { criteria: ["helpfulness"], resamples: 100, seed: 9 });
    const b = metaEvaluate(human, scores, { criteria: ["helpfulness"], resamples: 100, seed: 9 });
    const c = metaEvaluate(human, scores, { criteria: ["helpfulness"], resamples: 100, seed: 10 });
    expect(a).toEqual(b);
    expect(a.results[0]!.levels.item!.correlations.kendall.low).not.toBe(
      c.results[0]!.levels.item!.correlations.kendall.low,
    );
  });
  it("summarises the human data and notes unmatched items", () => {
    expect(meta.human[0]).toMatchObject({ criterion: "helpfulness", items: 120, raters: 3 });
    expect(meta.notes.join("\n")).toMatch(/1 human-rated item\(s\) have no bleu score/);
  });
  it("pairwise agreement with and without ties", () => {
    expect(
      pairwiseAgreement([
        { human: "a", evaluator: "a" },
        { human: "a", evaluator: "b" },
        { human: "tie", evaluator: "tie" },
        { human: "b", evaluator: "tie" },
      ]),
    ).toEqual({ pairs: 4, agreeWithTies: 0.5, pairsWithoutTies: 2, agreeWithoutTies: 0.5 });
    const r = meta.results.find((x) => x.evaluator === "judge-single")!;
    expect(r.pairwise.pairs).toBe(20 * 15);
    expect(r.pairwise.agreeWithoutTies!).toBeGreaterThan(r.pairwise.agreeWithTies!);
  });
});

describe("too little data", () => {
  it("marks levels insufficient and says so", () => {
    const few = human.filter(
      (h) => ["q00", "q01", "q02"].includes(h.inputId) && ["sys0", "sys1", "sys2"].includes(h.systemId),
    );
    const meta = metaEvaluate(few, scores, { criteria: ["helpfulness"], evaluators: ["judge-single"], resamples: 50 });
    const r = meta.results[0]!;
    expect(r.levels.item!.sufficient).toBe(false);
    expect(r.levels.item!.note).toBe("too few items to conclude (n = 9, need at least 30)");
    expect(r.levels.system!.sufficient).toBe(false);
    const table = buildTrustTable(meta);
    expect(table.rows[0]!.verdict).toBe("insufficient data");
    expect(table.notes[0]).toMatch(/Too few human ratings to conclude/);
    expect(renderTrustTableMarkdown(table)).toMatch(/n=9\*/);
  });
  it("rejects duplicate evaluator scores and unknown criteria", () => {
    const dup = [...scores, scores[0]!];
    expect(() => metaEvaluate(human, dup, { resamples: 0 })).toThrow(/more than one score/);
    expect(() => metaEvaluate(human, scores, { criteria: ["nope"], resamples: 0 })).toThrow(
      /no human judgments for criterion "nope"/,
    );
  });
});

describe("trust table and chart", () => {
  const meta = metaEvaluate(human, scores, { criteria: ["helpfulness"], resamples: 200, seed: 2 });
  it("ranks the judge above bleu at system level", () => {
    const t = buildTrustTable(meta, { method: "spearman" });
    expect(t.headline).toBe("system");
    expect(t.rows.map((r) => r.evaluator)).toEqual(["judge-single", "bleu"]);
    expect(t.rows[0]!.cells.system!.value).toBeCloseTo(expected.expected["judge-single"]!.system.spearman!, 12);
  });
  it("escapes names in the SVG", () => {
    const evil = metaEvaluate(
      human,
      scores.map((s) => ({ ...s, evaluator: s.evaluator === "bleu" ? "<script>x</script>" : s.evaluator })),
      { criteria: ["helpfulness"], resamples: 20 },
    );
    const svg = trustChartSvg(buildTrustTable(evil));
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).not.toContain("<script>");
    expect(svg).toContain("&lt;script&gt;");
    expect((svg.match(/<circle/g) ?? []).length).toBe(2);
  });
});

describe("JSONL import", () => {
  it("names file, line and field on a bad line", () => {
    const text =
      '{"input_id":"q1","system_id":"a","criterion":"h","score":3}\n\n{"input_id":"q1","system_id":"a","criterion":"h","score":"x"}\n';
    expect(() => parseHumanJudgments("h.jsonl", text)).toThrow(/^h\.jsonl:3 field "score": .*"x"/);
    expect(() => parseMetricScores("s.jsonl", "{nope\n")).toThrow(/^s\.jsonl:1: not valid JSON/);
    expect(() => parseMetricScores("s.jsonl", '{"input_id":"q","system_id":"a","score":1}\n')).toThrow(
      /s\.jsonl:1 field "evaluator"/,
    );
  });
  it("counts skipped lines and null scores; numbers become ids", () => {
    const text =
      '{"input_id":1,"system_id":"a","evaluator":"e","score":0.5}\n{"input_id":2,"system_id":"a","evaluator":"e","score":null}\nbad\n';
    const r = parseMetricScores("s.jsonl", text, { skipInvalid: true });
    expect(r.records).toEqual([{ inputId: "1", systemId: "a", evaluator: "e", score: 0.5 }]);
    expect(r.skipped).toEqual({ "score is null": 1, invalid: 1 });
    expect(r.problems[0]).toMatch(/^s\.jsonl:3: not valid JSON/);
  });
});

describe("wayfarer meta", () => {
  const capture = () => {
    let out = "";
    let err = "";
    return {
      ctx: { cwd: dir, env: {}, out: (s: string) => (out += s), err: (s: string) => (err += s), interactive: false },
      get: () => ({ out, err }),
    };
  };
  it("--json prints the levels asked for", async () => {
    const c = capture();
    const code = await main(
      [
        "meta",
        "--human",
        "human.jsonl",
        "--scores",
        "scores.jsonl",
        "--level",
        "system",
        "--criterion",
        "helpfulness",
        "--resamples",
        "50",
        "--json",
      ],
      c.ctx,
    );
    expect(code).toBe(0);
    const json = JSON.parse(c.get().out);
    const judge = json.meta.results.find((r: { evaluator: string }) => r.evaluator === "judge-single");
    expect(Object.keys(judge.levels)).toEqual(["system"]);
    expect(judge.levels.system.correlations.kendall.value).toBeCloseTo(
      expected.expected["judge-single"]!.system.kendall!,
      9,
    );
  });
  it("fails with file:line on a bad file and on an unknown level", async () => {
    const tmp = mkdtempSync(join(tmpdir(), "wf-meta-"));
    writeFileSync(join(tmp, "h.jsonl"), '{"input_id":"q","system_id":"a","criterion":"h","score":"high"}\n');
    const c = capture();
    expect(await main(["meta", "--human", join(tmp, "h.jsonl"), "--scores", join(dir, "scores.jsonl")], c.ctx)).toBe(1);
    expect(c.get().err).toMatch(/h\.jsonl:1 field "score"/);
    const d = capture();
    expect(await main(["meta", "--human", "human.jsonl", "--scores", "scores.jsonl", "--level", "corpus"], d.ctx)).toBe(
      1,
    );
    expect(d.get().err).toMatch(/unknown level/);
  });
  it("prints tables in text mode", async () => {
    const c = capture();
    expect(
      await main(
        [
          "meta",
          "--human",
          "human.jsonl",
          "--scores",
          "scores.jsonl",
          "--criterion",
          "helpfulness",
          "--resamples",
          "20",
        ],
        c.ctx,
      ),
    ).toBe(0);
    expect(c.get().out).toMatch(/\| judge-single \| helpfulness \| 0\.55/);
  });
});
