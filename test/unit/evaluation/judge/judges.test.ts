/** Criteria Y/N, pairwise with swap, and G-Eval against a loopback OpenAI-compatible judge. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../../../src/errors/config-error.ts";
import { buildCriteriaPrompt, CRITERIA } from "../../../../src/evaluation/judge/criteria.ts";
import { weightedScore } from "../../../../src/evaluation/judge/geval.ts";
import { comparePair } from "../../../../src/evaluation/judge/pairwise.ts";
import { EVALUATORS, type EvaluatorContext } from "../../../../src/evaluation/registry.ts";
import type { GeneratorV1 } from "../../../../src/models/generator.ts";
import {
  type FakeChatRequest,
  type FakeOpenAI,
  type FakeReply,
  startFakeOpenAI,
  userPrompt,
} from "./fake-openai-server.ts";

let respond: (req: FakeChatRequest) => FakeReply;
let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI((req) => respond(req));
});
afterAll(async () => {
  await fake.close();
});
const ctx = (): EvaluatorContext => ({ judge: fake.generator() });

/** Text of the nonce block `label` in a prompt. */
function block(prompt: string, label: string): string {
  const re = new RegExp(
    `\\[The Start of ${label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} id ([0-9a-f]+)\\]\\n([\\s\\S]*?)\\n\\[The End of `,
  );
  return re.exec(prompt)?.[2] ?? "";
}

describe("criteria Y/N (LangChain wording)", () => {
  it("sends the LangChain criterion text and scores Y=1 / N=0 from JSON or text", async () => {
    respond = (req) => {
      const p = userPrompt(req);
      const yes = block(p, "Submission").split(/\s+/).length < 8;
      return req.response_format
        ? { content: JSON.stringify({ reasoning: "counted words", verdict: yes ? "Y" : "N" }) }
        : { content: `Step 1: counted words.\n${yes ? "Y" : "N"}\n${yes ? "Y" : "N"}` };
    };
    const short = { question: "Best month for Kyoto?", answer: "Early April, for the cherry blossoms." };
    const long = { question: "Best month for Kyoto?", answer: "Well, it depends on many things, ".repeat(4) };
    for (const structured of [true, false]) {
      const a = await EVALUATORS["judge-conciseness"].evaluate(short, ctx(), { options: { structured } });
      const b = await EVALUATORS["judge-conciseness"].evaluate(long, ctx(), { options: { structured } });
      expect([a.value, b.value]).toEqual([1, 0]);
      expect(a.reason).toContain("counted words");
    }
    expect(userPrompt(fake.requests.at(-1)!)).toContain(
      "[Criteria]: conciseness: Is the submission concise and to the point?",
    );
  });

  it("sends a strict-mode friendly JSON schema to OpenAI-compatible judges (no length bounds, typed enums)", async () => {
    respond = () => ({ content: JSON.stringify({ explanation: "fine", rating: 6 }) });
    const r = await EVALUATORS["judge-single"].evaluate({ question: "q", answer: "a" }, ctx());
    expect(r.value).toBe(6);
    expect(fake.requests.at(-1)!.response_format).toEqual({
      type: "json_schema",
      json_schema: {
        name: "answer",
        strict: true,
        schema: {
          type: "object",
          properties: {
            explanation: { type: "string" },
            rating: { type: "integer", enum: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
          },
          required: ["explanation", "rating"],
          additionalProperties: false,
        },
      },
    });
  });

  it("all four criteria use the documented wording", () => {
    const p = buildCriteriaPrompt({ question: "q", answer: "a" }, "helpfulness", { structured: false, nonce: "ab" });
    expect(p).toContain(`helpfulness: ${CRITERIA.helpfulness}`);
    expect(p).toContain('print only the single character "Y" or "N"');
    expect(Object.keys(CRITERIA)).toEqual(["conciseness", "relevance", "coherence", "helpfulness"]);
  });

  it("no verdict -> error with the raw reply, value null", async () => {
    respond = () => ({ content: "Hard to tell, honestly." });
    const r = await EVALUATORS["judge-coherence"].evaluate({ question: "q", answer: "a" }, ctx(), {
      options: { structured: false },
    });
    expect(r).toMatchObject({
      status: "error",
      value: null,
      reason: "unparseable judge output: Hard to tell, honestly.",
    });
  });
});

describe("pairwise with position swap", () => {
  /** A judge with position bias: prefers the longer answer, but says [[A]] whenever the lengths tie. */
  const biased = (req: FakeChatRequest): FakeReply => {
    const p = userPrompt(req);
    const a = block(p, "Assistant A's Answer").length;
    const b = block(p, "Assistant B's Answer").length;
    return {
      content: `Comparing. ${a > b ? "[[A]]" : b > a ? "[[B]]" : "[[A]]"}`,
      promptTokens: 50,
      completionTokens: 5,
    };
  };

  it("a win needs both orders to agree", async () => {
    respond = biased;
    const r = await comparePair({ question: "q", answerA: "short", answerB: "a much longer answer" }, ctx());
    expect(r).toMatchObject({ status: "scored", winner: "B", consistent: true, games: ["B", "B"] });
    expect(r.cost).toEqual({ promptTokens: 100, completionTokens: 10, usd: null });
    const prompts = fake.requests.slice(-2).map(userPrompt);
    expect(block(prompts[0]!, "Assistant A's Answer")).toBe("short");
    expect(block(prompts[1]!, "Assistant A's Answer")).toBe("a much longer answer");
  });

  it("position bias (A in both games) becomes a tie", async () => {
    respond = biased;
    const r = await comparePair({ question: "q", answerA: "abc", answerB: "xyz" }, ctx());
    expect(r).toMatchObject({ status: "scored", winner: "tie", consistent: false, games: ["A", "B"] });
  });

  it("two ties stay a tie; reference-guided wording when a reference is given", async () => {
    respond = () => ({ content: "[[C]]" });
    const r = await comparePair({ question: "q", answerA: "a", answerB: "b", reference: "gold" }, ctx());
    expect(r).toMatchObject({ winner: "tie", consistent: true });
    expect(fake.requests.at(-1)!.messages[0]!.content).toContain("You will be given reference answer");
    expect(block(userPrompt(fake.requests.at(-1)!), "Reference Answer")).toBe("gold");
    expect(r.signature).toContain("used-ref:yes");
  });

  it("an unparseable game makes the comparison an error", async () => {
    let n = 0;
    respond = () => ({ content: n++ === 0 ? "[[A]]" : "no idea" });
    const r = await comparePair({ question: "q", answerA: "a", answerB: "b" }, ctx());
    expect(r.status).toBe("error");
    expect(r.winner).toBeNull();
  });
});

describe("G-Eval", () => {
  it("weights score tokens by probability (renormalised)", () => {
    const lp = [
      [
        { token: "3", logprob: Math.log(0.6) },
        { token: "4", logprob: Math.log(0.3) },
        { token: "x", logprob: Math.log(0.1) },
      ],
    ];
    const w = weightedScore(lp, [1, 5])!;
    expect(w.score).toBeCloseTo((3 * 0.6 + 4 * 0.3) / 0.9, 12);
    expect(w.mass).toBeCloseTo(0.9, 12);
    // skips a leading non-score position; ignores out-of-scale digits
    const lp2 = [
      [{ token: " ", logprob: 0 }],
      [
        { token: "2", logprob: Math.log(0.5) },
        { token: "9", logprob: Math.log(0.5) },
      ],
    ];
    expect(weightedScore(lp2, [1, 5])).toMatchObject({ score: 2, position: 1 });
    expect(weightedScore([[{ token: "hello", logprob: 0 }]], [1, 5])).toBeNull();
  });

  it("asks for top-20 logprobs and scores from them over HTTP", async () => {
    respond = () => ({
      content: "4",
      topLogprobs: [
        [
          { token: "4", logprob: Math.log(0.5) },
          { token: "5", logprob: Math.log(0.25) },
          { token: "3", logprob: Math.log(0.25) },
        ],
      ],
    });
    const r = await EVALUATORS["judge-geval"].evaluate(
      { question: "Where to eat in Lyon?", answer: "A bouchon." },
      ctx(),
    );
    expect(r.status).toBe("scored");
    expect(r.value).toBeCloseTo(4, 12);
    const req = fake.requests.at(-1)!;
    expect(req.logprobs).toBe(true);
    expect(req.top_logprobs).toBe(20);
    expect(userPrompt(req)).toContain("- Helpfulness:");
    expect(r.status === "scored" && r.details).toMatchObject({ p4: 0.5, p5: 0.25, p3: 0.25 });
  });

  it("no logprobs from the endpoint -> error; a local llama judge is rejected up front", async () => {
    respond = () => ({ content: "4" });
    const r = await EVALUATORS["judge-geval"].evaluate({ question: "q", answer: "a" }, ctx());
    expect(r).toMatchObject({ status: "error", value: null });
    expect(r.reason).toMatch(/no log-probabilities/);
    const llamaLike = { provider: "llama", modelId: "x.gguf" } as GeneratorV1;
    expect(() => EVALUATORS["judge-geval"].check({ judge: llamaLike })).toThrow(ConfigError);
    expect(() => EVALUATORS["judge-geval"].check({ judge: llamaLike })).toThrow(/not supported/);
  });
});
