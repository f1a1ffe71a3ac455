/**
 * Ragas family against a loopback OpenAI-compatible judge that answers each step with scripted JSON,
 * and a bag-of-words encoder (a real, hand-checkable TextEmbedder) so expected values can be computed
 * by hand. The fake reads the input the way ragas renders it (the JSON after "input: " at the end of
 * the prompt); exact parity with the ragas library is in parity.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cosine, type TextEmbedder } from "../../../../src/evaluation/metrics/embedding.ts";
import { statementF1 } from "../../../../src/evaluation/ragas/answer-correctness.ts";
import { extractJson, parseJsonLikeLangchain } from "../../../../src/evaluation/ragas/common.ts";
import { averagePrecision, score as contextPrecision } from "../../../../src/evaluation/ragas/context-precision.ts";
import { EVALUATORS, type EvaluatorContext } from "../../../../src/evaluation/registry.ts";
import {
  type FakeChatRequest,
  type FakeOpenAI,
  type FakeReply,
  startFakeOpenAI,
  userPrompt,
} from "../judge/fake-openai-server.ts";

/** Word-count vectors over a fixed vocabulary (lowercased words). */
class BagOfWordsEmbedder implements TextEmbedder {
  readonly modelId = "bag-of-words-test";
  constructor(readonly vocab: readonly string[]) {}
  async embed(texts: readonly string[]): Promise<number[][]> {
    return texts.map((t) => {
      const words = t.toLowerCase().match(/[a-z]+/g) ?? [];
      return this.vocab.map((v) => words.filter((w) => w === v).length);
    });
  }
  async dispose(): Promise<void> {}
}

/** The prompt's input as ragas renders it: `input: {...}\nOutput: ` at the end. */
function ragasInput(prompt: string): { answer: string; context: string; statements: string[] } {
  const i = prompt.lastIndexOf("\ninput: ");
  return JSON.parse(prompt.slice(i + "\ninput: ".length, prompt.lastIndexOf("\nOutput: ")));
}
const isStatementStep = (p: string) => p.startsWith("Given a question and an answer, analyze the complexity");

let respond: (req: FakeChatRequest, prompt: string) => FakeReply;
let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI((req) => respond(req, userPrompt(req)));
});
afterAll(async () => {
  await fake.close();
});

const VOCAB = ["where", "is", "the", "louvre", "what", "museum", "paris", "open"];
const ctx = (): EvaluatorContext => ({ judge: fake.generator(), embedder: new BagOfWordsEmbedder(VOCAB) });

/** Splits on ". " — the fake's statement extraction. */
const sentences = (t: string) => t.split(/(?<=\.)\s+/).filter(Boolean);

describe("faithfulness", () => {
  it("supported / total statements, contexts joined", async () => {
    respond = (_req, p) => {
      if (isStatementStep(p)) return { content: JSON.stringify({ statements: sentences(ragasInput(p).answer) }) };
      const { context, statements: stmts } = ragasInput(p);
      return {
        content: JSON.stringify({
          statements: stmts.map((s) => ({
            statement: s,
            reason: "r",
            verdict: context.includes(s.replace(/\.$/, "")) ? 1 : 0,
          })),
        }),
      };
    };
    const r = await EVALUATORS["ragas-faithfulness"].evaluate(
      {
        question: "Tell me about the Louvre",
        answer: "The Louvre is in Paris. The Louvre is free on Mondays. The Louvre has the Mona Lisa.",
        contexts: ["The Louvre is in Paris", "Inside, The Louvre has the Mona Lisa and more."],
      },
      ctx(),
    );
    expect(r).toMatchObject({ status: "scored", details: { statements: 3, supported: 2 } });
    expect(r.value).toBeCloseTo(2 / 3, 12);
    expect(r.cost.promptTokens).toBeGreaterThan(0);
  });

  it("not-applicable without contexts (no LLM call); error when the step output is malformed", async () => {
    const before = fake.requests.length;
    const na = await EVALUATORS["ragas-faithfulness"].evaluate({ question: "q", answer: "a" }, ctx());
    expect(na).toMatchObject({ status: "not-applicable", value: null });
    expect(fake.requests.length).toBe(before);
    respond = () => ({ content: '{"statements": "not a list"}' });
    const before2 = fake.requests.length;
    const err = await EVALUATORS["ragas-faithfulness"].evaluate({ question: "q", answer: "a", contexts: ["c"] }, ctx());
    expect(err.status).toBe("error");
    expect(err.value).toBeNull();
    expect(err.reason).toMatch(
      /statement extraction: unexpected JSON shape.*3 FixOutputFormat calls did not fix it.*raw output: \{"statements": "not a list"\}/,
    );
    // ragas' nested FixOutputFormat retry: the step's call + 3 fix calls, then it gives up
    expect(fake.requests.length - before2).toBe(4);
  });

  // issue 14, case 3
  const isFixStep = (p: string) => p.startsWith("The output string did not satisfy the constraints");
  /** A judge whose NLI step returns these verdicts for statements A.–D. (and repeats them to every fix call). */
  const verdictJudge = (verdicts: unknown[]) => {
    const reply = JSON.stringify({
      statements: verdicts.map((verdict, i) => ({ statement: `${"ABCD"[i]}.`, reason: "r", verdict })),
    });
    respond = (_req, p) => {
      if (isStatementStep(p))
        return { content: JSON.stringify({ statements: ["A.", "B.", "C.", "D."].slice(0, verdicts.length) }) };
      return { content: isFixStep(p) ? JSON.stringify({ text: reply }) : reply };
    };
  };
  const faith = () => EVALUATORS["ragas-faithfulness"].evaluate({ question: "q", answer: "a", contexts: ["c"] }, ctx());

  it('faithfulness verdicts "yes"/"no" and 1/0/"1"/"0" mean the same', async () => {
    for (const verdicts of [
      ["yes", "no", "yes", "no"],
      [1, 0, 1, 0],
      ["1", "0", "1", "0"],
      ["Yes", 0, "1", "NO"],
    ]) {
      verdictJudge(verdicts);
      const before = fake.requests.length;
      expect(await faith(), JSON.stringify(verdicts)).toMatchObject({
        status: "scored",
        value: 0.5,
        details: { statements: 4, supported: 2 },
      });
      expect(fake.requests.length - before, "no FixOutputFormat call").toBe(2);
    }
  });

  it('a verdict "-1" (or any other value) is a parse error, never counted as supported', async () => {
    for (const bad of ["-1", -1, 2, "maybe", null]) {
      verdictJudge([1, bad]);
      const before = fake.requests.length;
      const r = await faith();
      expect(r, JSON.stringify(bad)).toMatchObject({ status: "error", value: null });
      expect(r.reason).toMatch(
        /statement verdicts: unexpected JSON shape \(verdict .* is not 1\/0 or "yes"\/"no"\); 1 FixOutputFormat call did not fix it/,
      );
      // statements + verdicts + ragas' FixOutputFormat call (its fixed text is parsed once, without another retry)
      expect(fake.requests.length - before).toBe(3);
    }
  });
});

describe("answer relevancy", () => {
  it("mean cosine of generated questions to the question; 3 generations at t=0.3, seeds 0..2", async () => {
    const qs = ["Where is the Louvre?", "What museum is in Paris?", "Where is the Louvre museum?"];
    let i = 0;
    respond = () => ({ content: JSON.stringify({ question: qs[i++ % 3], noncommittal: 0 }) });
    const input = { question: "Where is the Louvre?", answer: "The Louvre is in Paris." };
    const r = await EVALUATORS["ragas-answer-relevancy"].evaluate(input, ctx());
    const e = new BagOfWordsEmbedder(VOCAB);
    const [q, ...g] = await e.embed([input.question, ...qs]);
    const expected = g.reduce((a, v) => a + cosine(q!, v), 0) / 3;
    expect(r.status).toBe("scored");
    expect(r.value).toBeCloseTo(expected, 12);
    expect(r.value).toBeCloseTo((1 + 1 / 4 + 2 / Math.sqrt(5)) / 3, 12);
    const reqs = fake.requests.slice(-3);
    expect(reqs.map((x) => x.temperature)).toEqual([0.3, 0.3, 0.3]);
    expect(reqs.map((x) => (x as { seed?: number }).seed)).toEqual([0, 1, 2]);
  });

  it("one noncommittal generation zeroes the score by default ('any'); 'all' = ragas >= 0.2", async () => {
    let i = 0;
    respond = () => ({
      content: JSON.stringify({ question: "Where is the Louvre?", noncommittal: i++ === 1 ? 1 : 0 }),
    });
    const input = { question: "Where is the Louvre?", answer: "I'm not sure." };
    const def = await EVALUATORS["ragas-answer-relevancy"].evaluate(input, ctx());
    expect(def).toMatchObject({ status: "scored", value: 0, details: { noncommittal: 1, meanCosine: 1 } });
    expect(def.signature).toContain("|noncommittal:any|empty-questions:skip|");
    i = 0;
    const all = await EVALUATORS["ragas-answer-relevancy"].evaluate(input, ctx(), { options: { noncommittal: "all" } });
    expect(all.value).toBeCloseTo(1, 12);
    expect(all.signature).toContain("|noncommittal:all|");
    respond = () => ({ content: JSON.stringify({ question: "Where is the Louvre?", noncommittal: 1 }) });
    expect(
      (await EVALUATORS["ragas-answer-relevancy"].evaluate(input, ctx(), { options: { noncommittal: "all" } })).value,
    ).toBe(0);
  });

  // issue 14, case 2: the generated questions and flags of the issue, exactly
  const LISBON = [
    "How early should I arrive at Lisbon airport?",
    "",
    "When should I get to the airport in Lisbon?",
  ] as const;
  const LISBON_VOCAB = [
    "how",
    "early",
    "should",
    "i",
    "arrive",
    "at",
    "lisbon",
    "airport",
    "when",
    "get",
    "to",
    "the",
    "in",
  ];
  const lisbonCtx = (): EvaluatorContext => ({
    judge: fake.generator(),
    embedder: new BagOfWordsEmbedder(LISBON_VOCAB),
  });
  const lisbonInput = {
    question: "How early should I get to Lisbon airport?",
    answer: "Two hours before a Schengen flight.",
  };
  const cos = async (a: string, b: string) => {
    const [x, y] = await new BagOfWordsEmbedder(LISBON_VOCAB).embed([a, b]);
    return cosine(x!, y!);
  };

  it("an empty generated question stays out of the cosine mean by default; 'include' = ragas 0.4.3", async () => {
    let i = 0;
    respond = () => ({ content: JSON.stringify({ question: LISBON[i++ % 3], noncommittal: 0 }) });
    const r = await EVALUATORS["ragas-answer-relevancy"].evaluate(lisbonInput, lisbonCtx());
    const c0 = await cos(lisbonInput.question, LISBON[0]);
    const c2 = await cos(lisbonInput.question, LISBON[2]);
    // 6 shared words of 8 and 8 (how early should i lisbon airport); of 8 and 9 (should i get to lisbon airport)
    expect(c0).toBeCloseTo(6 / 8, 12);
    expect(c2).toBeCloseTo(6 / Math.sqrt(8 * 9), 12);
    expect(r).toMatchObject({ status: "scored", details: { emptyQuestions: 1 } });
    expect(r.value).toBeCloseTo((c0 + c2) / 2, 12);
    expect(r.reason).toContain("(empty question) (left out of the mean)");
    // ragas embeds "" (a zero vector here: cosine NaN, so ragas' row is NaN: an error for us)
    i = 0;
    const ragas = await EVALUATORS["ragas-answer-relevancy"].evaluate(lisbonInput, lisbonCtx(), {
      options: { emptyQuestions: "include", noncommittal: "all" },
    });
    expect(ragas).toMatchObject({ status: "error", value: null, reason: "an embedding has zero length" });
  });

  it("noncommittal flags [0, 1, 0] zero the score (the 'any' rule); ragas' 'all' keeps the mean", async () => {
    let i = 0;
    respond = () => {
      const k = i++ % 3;
      return { content: JSON.stringify({ question: LISBON[k], noncommittal: [0, 1, 0][k] }) };
    };
    const r = await EVALUATORS["ragas-answer-relevancy"].evaluate(lisbonInput, lisbonCtx());
    expect(r).toMatchObject({ status: "scored", value: 0, details: { noncommittal: 1 } });
    i = 0;
    const all = await EVALUATORS["ragas-answer-relevancy"].evaluate(lisbonInput, lisbonCtx(), {
      options: { noncommittal: "all" },
    });
    expect(all.value).toBeCloseTo(
      ((await cos(lisbonInput.question, LISBON[0])) + (await cos(lisbonInput.question, LISBON[2]))) / 2,
      12,
    );
    expect(all.value).toBeGreaterThan(0.5);
  });
});

describe("context precision", () => {
  it("average precision over per-chunk verdicts in rank order", async () => {
    expect(averagePrecision([1, 0, 1])).toBe((1 + 2 / 3) / 2);
    expect(averagePrecision([0, 1])).toBe(0.5);
    expect(averagePrecision([0, 0])).toBe(0);
    respond = (_req, p) => ({
      content: JSON.stringify({ reason: "r", verdict: ragasInput(p).context.includes("Louvre") ? 1 : 0 }),
    });
    const r = await contextPrecision(
      {
        question: "Where is the Louvre?",
        answer: "ignored",
        references: ["The Louvre is in Paris."],
        contexts: ["Lyon has bouchons.", "The Louvre is on the Right Bank.", "The Louvre opened in 1793."],
      },
      ctx(),
    );
    expect(r.value).toBeCloseTo((1 / 2 + 2 / 3) / 2, 9);
    // the reference, not the answer, is what the chunk must be useful for
    expect(ragasInput(userPrompt(fake.requests.at(-1)!)).answer).toBe("The Louvre is in Paris.");
  });

  // issue 14, case 1: exact values by default (ragas adds 1e-10 to every denominator)
  it.each([
    [[1, 1, 1], 1.0],
    [[0, 1], 0.5],
    [[1, 0, 1], 5 / 6],
    [[0, 0, 0], 0.0],
  ] as const)("verdicts %j give exactly %s; ragasEpsilon gives ragas' value", async (verdicts, expected) => {
    // 1, 0.5 and 0 exactly; (1 + 2/3) / 2 is 5/6 to the last bit double arithmetic allows
    const exactly = (v: number | null) =>
      expected === 5 / 6 ? expect(Math.abs(v! - expected)).toBeLessThanOrEqual(2 ** -52) : expect(v).toBe(expected);
    exactly(averagePrecision(verdicts));
    const contexts = verdicts.map((v, i) => `chunk ${i} ${v ? "useful" : "useless"}`);
    respond = (_req, p) => ({
      content: JSON.stringify({ reason: "r", verdict: ragasInput(p).context.endsWith(" useful") ? 1 : 0 }),
    });
    const input = { question: "q", answer: "a", references: ["ref"], contexts };
    const exact = await EVALUATORS["ragas-context-precision"].evaluate(input, ctx());
    expect(exact.status).toBe("scored");
    exactly(exact.value);
    expect(exact.signature).toContain("|denom:exact|");
    const ragas = await EVALUATORS["ragas-context-precision"].evaluate(input, ctx(), {
      options: { ragasEpsilon: true },
    });
    const useful = verdicts.filter((v) => v === 1).length;
    expect(ragas.value).toBeCloseTo(useful === 0 ? 0 : (expected * useful) / (useful + 1e-10), 15);
    if (useful > 0) expect(expected - ragas.value!).toBeGreaterThan(1e-11);
    expect(ragas.signature).toContain("|denom:+1e-10(ragas)|");
  });

  it("not-applicable without contexts or without a reference", async () => {
    expect(
      (await EVALUATORS["ragas-context-precision"].evaluate({ question: "q", answer: "a", references: ["r"] }, ctx()))
        .status,
    ).toBe("not-applicable");
    expect(
      (await EVALUATORS["ragas-context-recall"].evaluate({ question: "q", answer: "a", contexts: ["c"] }, ctx()))
        .status,
    ).toBe("not-applicable");
  });
});

describe("context recall", () => {
  it("attributed / classified reference sentences", async () => {
    respond = (_req, p) => {
      const { context: ctxText, answer } = ragasInput(p);
      return {
        content: JSON.stringify({
          classifications: sentences(answer).map((s) => ({
            statement: s,
            reason: "r",
            attributed: ctxText.includes(s) ? 1 : 0,
          })),
        }),
      };
    };
    const r = await EVALUATORS["ragas-context-recall"].evaluate(
      {
        question: "q",
        answer: "ignored",
        references: ["A is true. B is true. C is true. D is true."],
        contexts: ["A is true.", "C is true. Also E."],
      },
      ctx(),
    );
    expect(r).toMatchObject({ status: "scored", value: 0.5, details: { statements: 4, attributed: 2 } });
  });
});

describe("answer correctness", () => {
  it("0.75 · F1(TP, FP, FN) + 0.25 · cosine", async () => {
    expect(statementF1(2, 1, 1)).toBeCloseTo(2 / 3, 12);
    expect(statementF1(0, 0, 0)).toBe(0); // ragas fbeta_score: precision = recall = 0 -> 0
    expect(statementF1(0, 2, 1)).toBe(0);
    respond = (_req, p) => {
      if (isStatementStep(p)) return { content: JSON.stringify({ statements: sentences(ragasInput(p).answer) }) };
      const it = (s: string) => ({ statement: s, reason: "r" });
      return { content: JSON.stringify({ TP: [it("a")], FP: [it("b"), it("c")], FN: [it("d")] }) };
    };
    const input = { question: "q", answer: "The Louvre is open.", references: ["The Louvre museum is in Paris."] };
    const r = await EVALUATORS["ragas-answer-correctness"].evaluate(input, ctx());
    const e = new BagOfWordsEmbedder(VOCAB);
    const [a, b] = await e.embed([input.answer, input.references[0]!]);
    const f1 = 1 / (1 + 0.5 * 3);
    expect(r.value).toBeCloseTo(0.75 * f1 + 0.25 * cosine(a!, b!), 12);
    expect(r.status === "scored" && r.details).toMatchObject({ tp: 1, fp: 2, fn: 1 });
    const w = await EVALUATORS["ragas-answer-correctness"].evaluate(
      input,
      { judge: fake.generator() },
      { options: { weights: [1, 0] } },
    );
    expect(w.value).toBeCloseTo(f1, 12);
  });

  it("needs an embedder unless the similarity weight is 0", () => {
    expect(() => EVALUATORS["ragas-answer-correctness"].check({ judge: fake.generator() })).toThrow(/encoder/);
    expect(() =>
      EVALUATORS["ragas-answer-correctness"].check({ judge: fake.generator() }, { weights: [1, 0] }),
    ).not.toThrow();
    expect(() =>
      EVALUATORS["ragas-answer-correctness"].check({ judge: fake.generator() }, { weights: [0, 0] }),
    ).toThrow(/weights/);
  });
});

describe("ragas' FixOutputFormat retry", () => {
  const FIX =
    "The output string did not satisfy the constraints given in the prompt. Fix the output string and return it.";
  const input = { question: "Where is the Louvre?", answer: "ignored", references: ["The Louvre is in Paris."] };
  const fixInput = (p: string) => JSON.parse(p.slice(p.lastIndexOf("\ninput: ") + 8, -"\nOutput: ".length));

  it("an unparseable reply is sent back with its prompt; the fixed text is parsed with the output model", async () => {
    let n = 0;
    respond = () =>
      n++ === 0
        ? { content: "I cannot answer in JSON, sorry.", promptTokens: 10, completionTokens: 5 }
        : { content: JSON.stringify({ text: '{"reason": "r", "verdict": 1}' }), promptTokens: 7, completionTokens: 3 };
    const before = fake.requests.length;
    const r = await contextPrecision({ ...input, contexts: ["The Louvre is in Paris."] }, ctx());
    expect(r).toMatchObject({ status: "scored", value: expect.closeTo(1, 9) });
    const [step, fix] = fake.requests.slice(before).map(userPrompt);
    expect(fake.requests.length - before).toBe(2);
    expect(fix!.startsWith(`${FIX}\n`)).toBe(true);
    expect(fixInput(fix!)).toEqual({
      output_string: "I cannot answer in JSON, sorry.",
      prompt_value: step,
    });
    expect(r.cost).toMatchObject({ promptTokens: 17, completionTokens: 8 });
  });

  it("the fixed text is read without extract_json, and a fix that does not parse is fixed in turn", async () => {
    let n = 0;
    // a lead-in before the fixed JSON: ragas' parse (no extract_json) fails -> error after one fix call
    respond = () =>
      n++ === 0 ? { content: "prose" } : { content: JSON.stringify({ text: 'Fixed: {"reason": "r", "verdict": 1}' }) };
    let before = fake.requests.length;
    const lead = await contextPrecision({ ...input, contexts: ["c"] }, ctx());
    expect(lead).toMatchObject({ status: "error", value: null });
    expect(lead.reason).toMatch(
      /reply is not JSON; 1 FixOutputFormat call did not fix it \(last: reply is not JSON in "Fixed: /,
    );
    expect(fake.requests.length - before).toBe(2);
    // the first fix in prose too: its own fix (the prompt quoting the first fix prompt) wraps the text twice
    n = 0;
    respond = () =>
      [
        { content: "prose" },
        { content: "still prose" },
        { content: JSON.stringify({ text: JSON.stringify({ text: '{"reason": "r", "verdict": 0}' }) }) },
      ][n++]!;
    before = fake.requests.length;
    const nested = await contextPrecision({ ...input, contexts: ["c"] }, ctx());
    expect(nested).toMatchObject({ status: "scored", value: 0 });
    const [, fix1, fix2] = fake.requests.slice(before).map(userPrompt);
    expect(fake.requests.length - before).toBe(3);
    expect(fixInput(fix2!)).toEqual({ output_string: "still prose", prompt_value: fix1 });
  });
});

describe("reading replies as ragas does", () => {
  it("extractJson: first balanced object or array, after ```json if present", () => {
    expect(extractJson('Sure! {"a": {"b": 1}} trailing {"c": 2}')).toBe('{"a": {"b": 1}}');
    expect(extractJson("```json\n[1, [2]]\n```")).toBe("[1, [2]]");
    expect(extractJson('text [x] then ```json {"k": 1}```')).toBe('{"k": 1}');
    expect(extractJson("no json here")).toBe("no json here");
    expect(extractJson('{"open": 1')).toBe('{"open": 1');
  });

  it("parseJsonLikeLangchain: langchain-core's partial-JSON repair", () => {
    expect(parseJsonLikeLangchain('{"a": [1, 2')).toEqual({ a: [1, 2] });
    expect(parseJsonLikeLangchain('{"a": "line\nbreak\tand tab"}')).toEqual({ a: "line\nbreak\tand tab" });
    expect(parseJsonLikeLangchain('{"a": "unterminated')).toEqual({ a: "unterminated" });
    expect(parseJsonLikeLangchain('{"a": 1, "b": tru')).toEqual({ a: 1 });
    expect(parseJsonLikeLangchain('{"a": [1}')).toBeNull();
    expect(parseJsonLikeLangchain('` {"a": 1} `')).toEqual({ a: 1 });
    expect(() => parseJsonLikeLangchain("no json")).toThrow(SyntaxError);
  });

  it('verdicts as pydantic reads ints ("1", 1.0, true) and a fenced reply with a lead-in', async () => {
    respond = (_req, p) => {
      if (isStatementStep(p)) return { content: '```json\n{"statements": ["A.", "B.", "C."]}\n```' };
      return {
        content: `Here you go:\n${JSON.stringify({
          statements: [
            { statement: "A.", reason: "r", verdict: "1" },
            { statement: "B.", reason: "r", verdict: 1.0 },
            { statement: "C.", reason: "r", verdict: false },
          ],
        })}`,
      };
    };
    const r = await EVALUATORS["ragas-faithfulness"].evaluate({ question: "q", answer: "a", contexts: ["c"] }, ctx());
    expect(r).toMatchObject({ status: "scored", details: { statements: 3, supported: 2 } });
  });
});
