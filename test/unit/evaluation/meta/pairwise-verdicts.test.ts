/**
 * Meta-evaluation of pairwise verdicts against human pairwise choices (MT-Bench agreement with and without
 * ties), the JSONL import with file:line:field errors, and `wayfarer meta --human-pairwise`.
 * Expected values are worked out by hand in the comments.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../../../src/cli/main.ts";
import { parseMetricScores } from "../../../../src/evaluation/meta/judgments.ts";
import {
  pairwiseMetaEvaluate,
  parseHumanPairwise,
  parsePairwiseVerdicts,
  renderPairwiseMetaMarkdown,
} from "../../../../src/evaluation/meta/pairwise-verdicts.ts";

const jsonl = (rows: unknown[]) => `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`;

// Humans: q3 is given in the other orientation (dpo first): "A" there means dpo is better.
const HUMAN = jsonl([
  { input_id: "q1", model_a: "base", model_b: "dpo", verdict: "A", rater_id: "r1" },
  { input_id: "q1", model_a: "base", model_b: "dpo", verdict: "a", rater_id: "r2" },
  { input_id: "q2", model_a: "base", model_b: "dpo", verdict: "B", rater_id: "r1" },
  { input_id: "q2", model_a: "base", model_b: "dpo", verdict: "tie", rater_id: "r2" },
  { input_id: "q3", model_a: "dpo", model_b: "base", verdict: "A", rater_id: "r1" },
  { input_id: "q4", model_a: "base", model_b: "dpo", verdict: "TIE", rater_id: "r1" },
  { input_id: "q5", model_a: "base", model_b: "dpo", verdict: null, rater_id: "r1" },
]);
const VERDICTS = jsonl([
  // judge: q1 given reversed, "B" = base better = agrees with both A votes
  { input_id: "q1", model_a: "dpo", model_b: "base", verdict: "B", evaluator: "judge" },
  { input_id: "q2", model_a: "base", model_b: "dpo", verdict: "B", evaluator: "judge" },
  { input_id: "q3", model_a: "base", model_b: "dpo", verdict: "B", evaluator: "judge" },
  { input_id: "q4", model_a: "base", model_b: "dpo", verdict: "A", evaluator: "judge" },
  { input_id: "q9", model_a: "base", model_b: "dpo", verdict: "A", evaluator: "judge" },
  // judge2 only judged q1 and q2
  { input_id: "q1", model_a: "base", model_b: "dpo", verdict: "tie", evaluator: "judge2" },
  { input_id: "q2", model_a: "base", model_b: "dpo", verdict: "B", evaluator: "judge2" },
  { input_id: "q3", model_a: "base", model_b: "dpo", verdict: null, evaluator: "judge2" },
]);
const SCORES = jsonl([
  { input_id: "q1", system_id: "base", evaluator: "bleu", score: 0.5 },
  { input_id: "q1", system_id: "dpo", evaluator: "bleu", score: 0.3 },
  { input_id: "q2", system_id: "base", evaluator: "bleu", score: 0.2 },
  { input_id: "q2", system_id: "dpo", evaluator: "bleu", score: 0.4 },
  { input_id: "q3", system_id: "base", evaluator: "bleu", score: 0.1 },
  { input_id: "q3", system_id: "dpo", evaluator: "bleu", score: 0.1 },
  { input_id: "q4", system_id: "base", evaluator: "bleu", score: 0.9 },
]);

describe("pairwise meta-evaluation (MT-Bench agreement)", () => {
  const human = parseHumanPairwise("h.jsonl", HUMAN);
  const verdicts = parsePairwiseVerdicts("v.jsonl", VERDICTS);
  const scores = parseMetricScores("s.jsonl", SCORES);

  it("reads the files; null verdicts are skipped and counted", () => {
    expect(human.records).toHaveLength(6);
    expect(human.skipped).toEqual({ "verdict is null": 1 });
    expect(human.records[4]).toEqual({
      inputId: "q3",
      modelA: "dpo",
      modelB: "base",
      verdict: "a",
      raterId: "r1",
      line: 5,
    });
    expect(verdicts.records).toHaveLength(7);
    expect(verdicts.skipped).toEqual({ "verdict is null": 1 });
  });

  it("agreement with and without ties, per human vote, orientation-independent", () => {
    const m = pairwiseMetaEvaluate(human.records, verdicts.records, scores.records);
    expect(m).toMatchObject({ humanVotes: 6, humanPairs: 4, raters: 2 });
    // human vs human: q1 (A, A) agree; q2 (B, tie) disagree -> 1/2 with ties; without ties only q1 -> 1/1
    expect(m.humanHuman).toEqual({ pairs: 2, agreeWithTies: 0.5, pairsWithoutTies: 1, agreeWithoutTies: 1 });
    const by = Object.fromEntries(m.results.map((r) => [r.evaluator, r]));
    // judge: q1 2/2, q2 1/2 (r2 said tie), q3 1/1, q4 0/1 (human tie) -> 4/6; without ties: q1 x2, q2 r1, q3 -> 4/4
    expect(by.judge!.agreement.pairs).toBe(6);
    expect(by.judge!.agreement.agreeWithTies).toBeCloseTo(4 / 6, 12);
    expect(by.judge!.agreement).toMatchObject({ pairsWithoutTies: 4, agreeWithoutTies: 1 });
    expect(by.judge).toMatchObject({ source: "verdicts", humanVotesUnmatched: 0, verdictsWithoutHuman: 1 });
    // judge2: q1 tie vs A, A -> 0/2; q2 B vs B, tie -> 1/2; q3 and q4 not judged (2 votes unmatched)
    expect(by.judge2!.agreement).toEqual({ pairs: 4, agreeWithTies: 0.25, pairsWithoutTies: 1, agreeWithoutTies: 1 });
    expect(by.judge2!.humanVotesUnmatched).toBe(2);
    // bleu read pairwise: q1 base higher (a) 2/2; q2 dpo higher (b) 1/2; q3 equal = tie vs human B 0/1; q4 no dpo score
    expect(by.bleu!.source).toBe("scores");
    expect(by.bleu!.agreement).toEqual({ pairs: 5, agreeWithTies: 0.6, pairsWithoutTies: 3, agreeWithoutTies: 1 });
    expect(by.bleu!.humanVotesUnmatched).toBe(1);
    expect(m.notes.join("\n")).toMatch(/judge2: 2 of 6 human vote\(s\) have no verdict/);
    const md = renderPairwiseMetaMarkdown(m);
    expect(md).toContain("| human vs human | votes | 2 | 0.500 (1/2) | 1.000 (1/1) | – |");
    expect(md).toContain("| judge | verdicts | 6 | 0.667 (4/6) | 1.000 (4/4) | 0 |");
    expect(md).toContain("| bleu | scores | 5 | 0.600 (3/5) | 1.000 (3/3) | 1 |");
  });

  it("reads Wayfarer's own evaluate/pairwise.jsonl as evaluator verdicts", () => {
    const own = jsonl([
      {
        itemId: "q1",
        variantA: "dpo",
        variantB: "base",
        evaluator: "judge-pairwise",
        status: "scored",
        verdict: "B",
        games: ["B", "B"],
      },
      {
        itemId: "q2",
        variantA: "dpo",
        variantB: "base",
        evaluator: "judge-pairwise",
        status: "unparseable",
        verdict: null,
      },
    ]);
    const r = parsePairwiseVerdicts("pairwise.jsonl", own);
    expect(r.records).toEqual([
      { inputId: "q1", modelA: "dpo", modelB: "base", verdict: "b", evaluator: "judge-pairwise", line: 1 },
    ]);
    expect(r.skipped).toEqual({ "verdict is null": 1 });
  });

  it("bad lines name file:line and the field", () => {
    const line2 = (row: unknown) =>
      `${JSON.stringify({ input_id: "q1", model_a: "a", model_b: "b", verdict: "A", evaluator: "e" })}\n${JSON.stringify(row)}\n`;
    expect(() =>
      parsePairwiseVerdicts(
        "v.jsonl",
        line2({ input_id: "q2", model_a: "a", model_b: "b", verdict: "X", evaluator: "e" }),
      ),
    ).toThrow(/^v\.jsonl:2 field "verdict": expected "A", "B" or "tie"/);
    expect(() =>
      parsePairwiseVerdicts("v.jsonl", line2({ input_id: "q2", model_a: "a", verdict: "A", evaluator: "e" })),
    ).toThrow(/^v\.jsonl:2 field "model_b"/);
    expect(() =>
      parsePairwiseVerdicts(
        "v.jsonl",
        line2({ input_id: "q2", model_a: "a", model_b: "a", verdict: "A", evaluator: "e" }),
      ),
    ).toThrow(/^v\.jsonl:2 field "model_b": the same model as model_a/);
    expect(() =>
      parsePairwiseVerdicts("v.jsonl", line2({ input_id: "q2", model_a: "a", model_b: "b", verdict: "A" })),
    ).toThrow(/^v\.jsonl:2 field "evaluator"/);
    expect(() =>
      parsePairwiseVerdicts(
        "v.jsonl",
        line2({ input_id: "q1", model_a: "b", model_b: "a", verdict: "B", evaluator: "e" }),
      ),
    ).toThrow(
      /^v\.jsonl:2 field "input_id": the verdict of evaluator "e" on input "q1" for b vs a is given twice \(first at line 1\)/,
    );
    expect(() =>
      parseHumanPairwise(
        "h.jsonl",
        '{"input_id":"q1","model_a":"a","model_b":"b","verdict":"A","rater_id":"r"}\n{oops\n',
      ),
    ).toThrow(/^h\.jsonl:2: not valid JSON/);
    // without a rater id every line is its own vote; with skipInvalid, bad lines are counted
    const h = parseHumanPairwise(
      "h.jsonl",
      jsonl([
        { input_id: 1, model_a: "a", model_b: "b", verdict: "A" },
        { input_id: 1, model_a: "a", model_b: "b", verdict: "B" },
        { input_id: 1, model_a: "a", model_b: "b", verdict: "B", rater_id: "r" },
        { input_id: 1, model_a: "b", model_b: "a", verdict: "B", rater_id: "r" },
        { input_id: 2, model_a: "a", model_b: "b", verdict: "maybe" },
      ]),
      { skipInvalid: true },
    );
    expect(h.records.map((r) => r.line)).toEqual([1, 2, 3]);
    expect(h.skipped).toEqual({ duplicate: 1, invalid: 1 });
    expect(h.problems).toHaveLength(2);
  });

  it("a missing field says missing; a numeric id too large for a double is refused, not rounded into another", () => {
    expect(() =>
      parseHumanPairwise("h.jsonl", '{"input_id":"q1","model_a":"a","verdict":"A","rater_id":"r"}\n'),
    ).toThrow(/^h\.jsonl:1 field "model_b": missing$/);
    // 12345678901234567890 and ...891 both parse to 12345678901234567000: they would merge (or be "duplicates")
    const huge = '{"input_id":12345678901234567890,"model_a":"a","model_b":"b","verdict":"A","rater_id":"r"}\n';
    expect(() => parseHumanPairwise("h.jsonl", huge)).toThrow(
      /^h\.jsonl:1 field "input_id": a number too large to read exactly .*write the id as a string/,
    );
    expect(() => parsePairwiseVerdicts("v.jsonl", huge.replace('"rater_id":"r"', '"evaluator":"e"'))).toThrow(
      /field "input_id": a number too large/,
    );
    // safe integers and decimals are still fine
    const ok = parseHumanPairwise(
      "h.jsonl",
      '{"input_id":9007199254740991,"model_a":1.5,"model_b":"b","verdict":"A","rater_id":7}\n',
    );
    expect(ok.records[0]).toMatchObject({ inputId: "9007199254740991", modelA: "1.5", raterId: "7" });
  });
});

describe("wayfarer meta --human-pairwise", () => {
  const dir = mkdtempSync(join(tmpdir(), "wf-meta-pairwise-"));
  writeFileSync(join(dir, "hp.jsonl"), HUMAN);
  writeFileSync(join(dir, "pv.jsonl"), VERDICTS);
  writeFileSync(join(dir, "s.jsonl"), SCORES);
  const capture = () => {
    let out = "";
    let err = "";
    return {
      ctx: { cwd: dir, env: {}, out: (s: string) => (out += s), err: (s: string) => (err += s), interactive: false },
      get: () => ({ out, err }),
    };
  };

  it("--json: agreement of pairwise verdicts and of scalar scores read pairwise, no scalar meta without --human", async () => {
    const c = capture();
    expect(
      await main(
        ["meta", "--human-pairwise", "hp.jsonl", "--pairwise-scores", "pv.jsonl", "--scores", "s.jsonl", "--json"],
        c.ctx,
      ),
    ).toBe(0);
    const json = JSON.parse(c.get().out);
    expect(json.meta).toBeNull();
    expect(json.skipped).toEqual({
      scores: {},
      humanPairwise: { "verdict is null": 1 },
      pairwiseScores: { "verdict is null": 1 },
    });
    const judge = json.pairwise.results.find((r: { evaluator: string }) => r.evaluator === "judge");
    expect(judge.agreement.pairsWithoutTies).toBe(4);
    expect(judge.agreement.agreeWithTies).toBeCloseTo(4 / 6, 12);
    expect(json.pairwise.results.map((r: { evaluator: string }) => r.evaluator)).toEqual(["judge", "judge2", "bleu"]);
  });

  it("text mode prints the table; bad files and missing partners are clear errors", async () => {
    const c = capture();
    expect(await main(["meta", "--human-pairwise", "hp.jsonl", "--pairwise-scores", "pv.jsonl"], c.ctx)).toBe(0);
    expect(c.get().out).toContain("| judge2 | verdicts | 4 | 0.250 (1/4) | 1.000 (1/1) | 2 |");
    expect(c.get().err).toContain("pv.jsonl: skipped 1 line(s) (verdict is null)");
    writeFileSync(
      join(dir, "bad.jsonl"),
      `${VERDICTS}{"input_id":"q7","model_a":"base","model_b":"dpo","verdict":"better","evaluator":"judge"}\n`,
    );
    const d = capture();
    expect(await main(["meta", "--human-pairwise", "hp.jsonl", "--pairwise-scores", "bad.jsonl"], d.ctx)).toBe(1);
    expect(d.get().err).toMatch(/bad\.jsonl:9 field "verdict": expected "A", "B" or "tie"/);
    const e = capture();
    expect(await main(["meta", "--pairwise-scores", "pv.jsonl"], e.ctx)).toBe(1);
    expect(e.get().err).toMatch(/--human/);
    const f = capture();
    expect(await main(["meta", "--human-pairwise", "hp.jsonl"], f.ctx)).toBe(1);
    expect(f.get().err).toMatch(/--human-pairwise needs --pairwise-scores/);
    // a file whose every line was skipped says why, not just "none found"
    writeFileSync(join(dir, "null.jsonl"), '{"input_id":"q1","model_a":"a","model_b":"b","verdict":null}\n');
    const g = capture();
    expect(await main(["meta", "--human-pairwise", "null.jsonl", "--pairwise-scores", "pv.jsonl"], g.ctx)).toBe(1);
    expect(g.get().err).toMatch(/null\.jsonl: no human pairwise choices found \(skipped 1 line\(s\) verdict is null\)/);
    const h = capture();
    expect(
      await main(["meta", "--human-pairwise", "hp.jsonl", "--pairwise-scores", "s.jsonl", "--skip-invalid"], h.ctx),
    ).toBe(1);
    expect(h.get().err).toMatch(
      /s\.jsonl: no pairwise verdicts found \(skipped \d+ line\(s\) invalid; first: .*s\.jsonl:1 field "model_a": missing\)/,
    );
  });
});

describe("fields that are not read", () => {
  it("are counted per field (a misspelt rater_id is reported, not silently read as no rater)", () => {
    const h = parseHumanPairwise(
      "h.jsonl",
      jsonl([
        { input_id: "q1", model_a: "a", model_b: "b", verdict: "A", rater: "r1" },
        { input_id: "q2", model_a: "a", model_b: "b", verdict: "B", rater: "r1", note: "x" },
        { input_id: "q3", model_a: "a", model_b: "b", verdict: "tie", rater_id: "r1" },
      ]),
    );
    expect(h.unread).toEqual({ rater: 2, note: 1 });
    const own = parsePairwiseVerdicts(
      "pairwise.jsonl",
      jsonl([{ itemId: "q1", variantA: "a", variantB: "b", evaluator: "j", verdict: "A", games: ["A", "A"] }]),
    );
    expect(own.unread).toEqual({});
    const s = parseMetricScores(
      "s.jsonl",
      jsonl([{ input_id: "q1", system_id: "a", evaluator: "bleu", score: 1, sys: 2 }]),
    );
    expect(s.unread).toEqual({ sys: 1 });
  });
});
