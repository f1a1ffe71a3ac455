/**
 * Pairwise judging through the engine path (comparePairsAll) against a real loopback OpenAI-compatible
 * judge: verdicts from both orders, counted nulls, the stored rows, the cache, and the summary arithmetic.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../../../src/errors/config-error.ts";
import {
  comparePairsAll,
  type PairItem,
  type PairVerdictRecord,
  summarisePairVerdicts,
} from "../../../../src/evaluation/pairwise-engine.ts";
import { Store } from "../../../../src/store/store.ts";
import {
  type FakeChatRequest,
  type FakeOpenAI,
  type FakeReply,
  startFakeOpenAI,
  userPrompt,
} from "../judge/fake-openai-server.ts";

let respond: (req: FakeChatRequest) => FakeReply;
let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI((req) => respond(req));
});
afterAll(async () => {
  await fake.close();
});

let dir: string;
let store: Store;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "wayfarer-pairwise-"));
  store = Store.open(join(dir, "store.db"));
});
afterEach(() => {
  store.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** Text of the nonce block `label` in a prompt. */
function block(prompt: string, label: string): string {
  const re = new RegExp(
    `\\[The Start of ${label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} id ([0-9a-f]+)\\]\\n([\\s\\S]*?)\\n\\[The End of `,
  );
  return re.exec(prompt)?.[2] ?? "";
}

/** Always prefers whatever is shown first: pure position bias. */
const firstPosition = (): FakeReply => ({
  content: "Assistant A is better. [[A]]",
  promptTokens: 40,
  completionTokens: 6,
});
/** Prefers the longer answer, [[C]] on equal lengths. */
const longer = (req: FakeChatRequest): FakeReply => {
  const p = userPrompt(req);
  const a = block(p, "Assistant A's Answer").length;
  const b = block(p, "Assistant B's Answer").length;
  return { content: `Verdict: ${a > b ? "[[A]]" : b > a ? "[[B]]" : "[[C]]"}`, promptTokens: 40, completionTokens: 6 };
};

// "tuned" answers q1 and q2 at more length than "base"; q3 has equal lengths.
const ANSWERS: Record<string, Record<string, string>> = {
  base: { q1: "Take the RER.", q2: "Use the metro.", q3: "Go by bus!" },
  tuned: { q1: "Take the RER B train to Gare du Nord.", q2: "Use metro line 1, it is the fastest.", q3: "Go by tram" },
};
const pairs = (a = "tuned", b = "base"): PairItem[] =>
  ["q1", "q2", "q3"].map((id) => ({
    itemId: id,
    variantA: a,
    variantB: b,
    input: {
      question: `question ${id}?`,
      answerA: ANSWERS[a]![id]!,
      answerB: ANSWERS[b]![id]!,
      reference: `gold ${id}`,
    },
  }));

const run = (items: PairItem[], extra: Partial<Parameters<typeof comparePairsAll>[0]> = {}) =>
  comparePairsAll({ store, experiment: "exp", items, context: { judge: fake.generator() }, concurrency: 2, ...extra });

describe("comparePairsAll (loopback judge)", () => {
  it("a judge that always prefers the first position: every comparison a tie, 0% position consistency", async () => {
    respond = firstPosition;
    const before = fake.requests.length;
    const r = await run(pairs());
    expect(fake.requests.length - before).toBe(6); // two orders per comparison
    expect(r.records.map((x) => [x.verdict, x.games, x.consistent])).toEqual([
      ["tie", ["A", "B"], false],
      ["tie", ["A", "B"], false],
      ["tie", ["A", "B"], false],
    ]);
    expect(r.rows).toHaveLength(1);
    expect(r.rows[0]).toMatchObject({
      variantA: "tuned",
      variantB: "base",
      n: 3,
      winsA: 0,
      winsB: 0,
      ties: 3,
      nUnparseable: 0,
      nError: 0,
      winRateA: 0,
      winRateB: 0,
      tieRate: 1,
      nBothParsed: 3,
      nConsistent: 0,
      consistencyRate: 0,
      promptTokens: 240,
      completionTokens: 36,
      usd: null,
      nCached: 0,
    });
    expect(r.records[0]!.raw).toEqual(["Assistant A is better. [[A]]", "Assistant A is better. [[A]]"]);
  });

  it("a judge that prefers the longer answer: the longer variant wins in both orders, equal lengths tie", async () => {
    respond = longer;
    const r = await run(pairs());
    expect(r.records.map((x) => x.verdict)).toEqual(["A", "A", "tie"]);
    expect(r.records.map((x) => x.consistent)).toEqual([true, true, true]);
    expect(r.records[2]!.games).toEqual(["C", "C"]);
    expect(r.rows[0]).toMatchObject({ n: 3, winsA: 2, winsB: 0, ties: 1, nConsistent: 3, consistencyRate: 1 });
    expect(r.rows[0]!.winRateA).toBeCloseTo(2 / 3, 12);
    // the reverse orientation: the longer variant is now B
    const rev = await run(pairs("base", "tuned"));
    expect(rev.records.map((x) => x.verdict)).toEqual(["B", "B", "tie"]);
    expect(rev.rows[0]).toMatchObject({ variantA: "base", variantB: "tuned", winsA: 0, winsB: 2, ties: 1 });
    // what the judge saw: game 1 shows A first, game 2 shows B first; the reference by default
    const [g1, g2] = fake.requests.slice(-2).map(userPrompt);
    expect(block(g1!, "Assistant A's Answer")).toBe(ANSWERS.base!.q3);
    expect(block(g2!, "Assistant A's Answer")).toBe(ANSWERS.tuned!.q3);
    expect(block(g1!, "Reference Answer")).toBe("gold q3");
  });

  it("an unparseable reply is a counted null (reported, left out of the rates), with both raw replies stored", async () => {
    respond = (req) =>
      userPrompt(req).includes("question q2?") && block(userPrompt(req), "Assistant A's Answer") === ANSWERS.base!.q2
        ? { content: "I cannot decide." }
        : longer(req);
    const r = await run(pairs());
    const q2 = r.records[1]!;
    expect(q2).toMatchObject({ status: "unparseable", verdict: null, consistent: null, games: ["A", null] });
    expect(q2.raw).toEqual(["Verdict: [[A]]", "I cannot decide."]);
    expect(q2.reason).toMatch(/unparseable judge output/);
    expect(r.rows[0]).toMatchObject({
      n: 3,
      winsA: 1,
      winsB: 0,
      ties: 1,
      nUnparseable: 1,
      nError: 0,
      nBothParsed: 2,
      nConsistent: 2,
    });
    expect(r.rows[0]!.nVerdicts).toBe(2);
    expect(r.rows[0]!.winRateA).toBe(1 / 2);
    expect(r.rows[0]!.tieRate).toBe(1 / 2);
    expect(r.rows[0]!.winRateAdjustedA).toBe(3 / 4);
    const row = store.db
      .prepare("SELECT status, verdict, game1, game2, consistent, raw1, raw2 FROM pair_verdicts WHERE item_id = 'q2'")
      .get();
    expect(row).toEqual({
      status: "unparseable",
      verdict: null,
      game1: "A",
      game2: null,
      consistent: null,
      raw1: "Verdict: [[A]]",
      raw2: "I cannot decide.",
    });
  });

  it("a rerun reuses every stored verdict (no HTTP calls); a changed answer or option is judged again", async () => {
    respond = longer;
    await run(pairs());
    respond = () => {
      throw new Error("the judge must not be called on a rerun");
    };
    const before = fake.requests.length;
    const again = await run(pairs());
    expect(fake.requests.length).toBe(before);
    expect(again).toMatchObject({ computed: 0, cached: 3 });
    expect(again.records.map((x) => [x.verdict, x.cached, x.raw[0]])).toEqual([
      ["A", true, "Verdict: [[A]]"],
      ["A", true, "Verdict: [[A]]"],
      ["tie", true, "Verdict: [[C]]"],
    ]);
    expect(again.rows[0]).toMatchObject({ winsA: 2, ties: 1, nCached: 3, promptTokens: 240 });

    respond = longer;
    const changed = pairs();
    changed[2]!.input = { ...changed[2]!.input, answerB: "Go by bus or by taxi, both are fine." };
    const third = await run(changed);
    expect(fake.requests.length - before).toBe(2);
    expect(third).toMatchObject({ computed: 1, cached: 2 });
    expect(third.records[2]!.verdict).toBe("B");

    // without the reference in the prompt: another signature, so judged again
    const noRef = await run(pairs(), { options: { reference: "never" } });
    expect(noRef.computed).toBe(3);
    expect(block(userPrompt(fake.requests.at(-1)!), "Reference Answer")).toBe("");
    expect(noRef.rows[0]!.signatures[0]).toContain("used-ref:no");
  });

  it("a provider failure is a counted null that the next run retries", async () => {
    respond = (req) =>
      userPrompt(req).includes("question q1?") ? { status: 400, message: "bad request" } : longer(req);
    const r = await run(pairs());
    expect(r.records[0]).toMatchObject({ status: "error", verdict: null, raw: [null, null] });
    expect(r.records[0]!.reason).toMatch(/evaluator failed/);
    expect(r.rows[0]).toMatchObject({ n: 3, nError: 1, winsA: 1, ties: 1 });
    respond = longer;
    const before = fake.requests.length;
    const again = await run(pairs());
    expect(fake.requests.length - before).toBe(2);
    expect(again).toMatchObject({ computed: 1, cached: 2 });
    expect(again.rows[0]).toMatchObject({ nError: 0, winsA: 2, ties: 1 });
  });

  it("refuses a missing judge, a self-comparison and a duplicate before any call", async () => {
    await expect(comparePairsAll({ store, experiment: "exp", items: pairs(), context: {} })).rejects.toThrow(
      ConfigError,
    );
    await expect(run([{ ...pairs()[0]!, variantB: "tuned" }])).rejects.toThrow(/with itself/);
    await expect(run([pairs()[0]!, pairs()[0]!])).rejects.toThrow(/listed twice/);
    await expect(run(pairs(), { options: { maxTokens: 1 } })).rejects.toThrow(ConfigError);
  });
});

describe("summarisePairVerdicts", () => {
  const rec = (
    a: string,
    b: string,
    verdict: PairVerdictRecord["verdict"],
    status: PairVerdictRecord["status"],
    consistent: boolean | null,
    usd: number | null = null,
  ) => ({
    variantA: a,
    variantB: b,
    status,
    verdict,
    consistent,
    signature: "s",
    cost: { promptTokens: 10, completionTokens: 2, usd },
    cached: false,
  });

  it("counts per ordered pair; win rates over comparisons with a verdict, consistency over both-parsed ones", () => {
    const rows = summarisePairVerdicts([
      rec("x", "y", "A", "scored", true, 0.5),
      rec("x", "y", "tie", "scored", false),
      rec("x", "y", "tie", "scored", true),
      rec("x", "y", "B", "scored", true, 0.25),
      rec("x", "y", null, "unparseable", null),
      rec("z", "y", null, "error", null),
    ]);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual({
      variantA: "x",
      variantB: "y",
      n: 5,
      nVerdicts: 4,
      winsA: 1,
      winsB: 1,
      ties: 2,
      nUnparseable: 1,
      nError: 0,
      winRateA: 0.25,
      winRateB: 0.25,
      tieRate: 0.5,
      winRateAdjustedA: 0.5,
      winRateAdjustedB: 0.5,
      nBothParsed: 4,
      nConsistent: 3,
      consistencyRate: 0.75,
      promptTokens: 50,
      completionTokens: 10,
      usd: 0.75,
      nCached: 0,
      signatures: ["s"],
    });
    expect(rows[1]).toMatchObject({
      variantA: "z",
      n: 1,
      nVerdicts: 0,
      nError: 1,
      winRateA: null,
      winRateAdjustedA: null,
      consistencyRate: null,
      usd: null,
    });
  });
});
