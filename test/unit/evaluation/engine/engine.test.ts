import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../../../src/errors/config-error.ts";
import { type EvaluationItem, evaluateAll } from "../../../../src/evaluation/engine.ts";
import { sentenceBleu } from "../../../../src/evaluation/metrics/bleu.ts";
import { rougeScores } from "../../../../src/evaluation/metrics/rouge.ts";
import { meterSpend, type Spend } from "../../../../src/models/spend.ts";
import { Store } from "../../../../src/store/store.ts";
import { type FakeOpenAI, type FakeReply, startFakeOpenAI, userPrompt } from "../judge/fake-openai-server.ts";

/** Judge fake: the rating is the digit after "RATE" in the answer; "GARBLE" -> no verdict; "SLOW" waits. */
let respond: (prompt: string, index: number) => FakeReply | Promise<FakeReply>;
const defaultRespond = (prompt: string): FakeReply => {
  const answer = /\[The Start of Assistant's Answer id [0-9a-f]+\]\n([\s\S]*?)\n\[The End/.exec(prompt)?.[1] ?? "";
  if (answer.includes("GARBLE")) return { content: "I would rather not say.", promptTokens: 100, completionTokens: 7 };
  const n = /RATE(\d+)/.exec(answer)?.[1] ?? "5";
  return { content: `Fine. Rating: [[${n}]]`, promptTokens: 100, completionTokens: 10 };
};
let inFlight = 0;
let maxInFlight = 0;
let fake: FakeOpenAI;

beforeAll(async () => {
  fake = await startFakeOpenAI(async (req, i) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      if (userPrompt(req).includes("SLOW")) await new Promise((r) => setTimeout(r, 30));
      return await respond(userPrompt(req), i);
    } finally {
      inFlight--;
    }
  });
});
afterAll(async () => {
  await fake.close();
});

let dir: string;
let store: Store;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "wayfarer-engine-"));
  store = Store.open(join(dir, "store.db"));
  respond = defaultRespond;
  maxInFlight = 0;
});
afterEach(() => {
  store.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const REF = "Take the RER B train from the airport to Gare du Nord.";
const items: EvaluationItem[] = [
  {
    variant: "base",
    itemId: "q1",
    input: { question: "Airport to city?", answer: "Take the RER B. RATE4", references: [REF] },
  },
  {
    variant: "base",
    itemId: "q2",
    input: { question: "Airport to city?", answer: "A taxi. GARBLE", references: [REF] },
  },
  { variant: "base", itemId: "q3", input: { question: "Best museum?", answer: "The Louvre. RATE8" } },
  {
    variant: "tuned",
    itemId: "q1",
    input: { question: "Airport to city?", answer: `${REF} RATE9`, references: [REF] },
  },
  {
    variant: "tuned",
    itemId: "q2",
    input: { question: "Airport to city?", answer: "RER B. RATE7", references: [REF] },
  },
];

function run(extra: Partial<Parameters<typeof evaluateAll>[0]> = {}) {
  return evaluateAll({
    store,
    experiment: "exp",
    items,
    evaluators: [
      { id: "bleu" },
      { id: "rougeL", options: { stemmer: false } },
      { id: "judge-single", options: { structured: false } },
    ],
    context: { judge: fake.generator({ maxRetries: 0 }) },
    concurrency: 3,
    sleep: async () => {},
    ...extra,
  });
}

describe("evaluateAll", () => {
  it("writes one row per (item, evaluator) and summarises scored values only", async () => {
    const progress: number[] = [];
    const s = await run({ onProgress: (d, t) => progress.push(d * 100 + t) });
    expect(store.db.prepare("SELECT COUNT(*) AS n FROM scores").get()).toEqual({ n: 15 });
    expect(progress.at(-1)).toBe(15 * 100 + 15);
    const row = (v: string, e: string) => s.rows.find((r) => r.variant === v && r.evaluator === e)!;

    const judgeBase = row("base", "judge-single");
    expect(judgeBase).toMatchObject({ nScored: 2, nError: 1, nNotApplicable: 0, mean: 6, nCached: 0 });
    expect(judgeBase.promptTokens).toBe(300);
    expect(judgeBase.completionTokens).toBe(27);
    expect(judgeBase.usd).toBeNull();
    expect(row("tuned", "judge-single")).toMatchObject({ nScored: 2, nError: 0, mean: 8 });

    const bleuBase = row("base", "bleu");
    expect(bleuBase).toMatchObject({ nScored: 2, nNotApplicable: 1, nError: 0 });
    const expected =
      (sentenceBleu("Take the RER B. RATE4", [REF]).score + sentenceBleu("A taxi. GARBLE", [REF]).score) / 2;
    expect(bleuBase.mean).toBeCloseTo(expected, 10);
    expect(row("tuned", "rougeL").mean).toBeCloseTo(
      (rougeScores(`${REF} RATE9`, [REF], { stemmer: false }).rougeL.fmeasure +
        rougeScores("RER B. RATE7", [REF], { stemmer: false }).rougeL.fmeasure) /
        2,
      12,
    );
    expect(row("base", "rougeL").signatures[0]).toContain("stem:no");

    const err = store.db
      .prepare(
        "SELECT status, value, reason FROM scores WHERE variant='base' AND item_id='q2' AND evaluator='judge-single'",
      )
      .get() as { status: string; value: number | null; reason: string };
    expect(err).toEqual({ status: "error", value: null, reason: "unparseable judge output: I would rather not say." });
    expect(s.computed).toBe(15);
  });

  it("a rerun reuses finished rows and retries only errors; retryErrors:false reuses those too", async () => {
    await run();
    const before = fake.requests.length;
    const again = await run();
    expect(fake.requests.length - before).toBe(1); // only base/q2's judge call
    expect(again.computed).toBe(1);
    expect(again.cached).toBe(14);
    expect(again.rows.find((r) => r.variant === "tuned" && r.evaluator === "judge-single")).toMatchObject({
      nCached: 2,
      mean: 8,
    });
    const third = await run({ retryErrors: false });
    expect(third.computed).toBe(0);
    expect(third.rows.find((r) => r.variant === "base" && r.evaluator === "judge-single")).toMatchObject({
      nError: 1,
      mean: 6,
    });
    expect(store.db.prepare("SELECT COUNT(*) AS n FROM scores").get()).toEqual({ n: 15 });
  });

  it("changing an answer or an option recomputes exactly what it affects", async () => {
    await run();
    const changed = items.map((it) =>
      it.variant === "tuned" && it.itemId === "q2"
        ? { ...it, input: { ...it.input, answer: "RER B train. RATE3" } }
        : it,
    );
    const s = await run({ items: changed, retryErrors: false });
    expect(s.computed).toBe(3);
    expect(s.rows.find((r) => r.variant === "tuned" && r.evaluator === "judge-single")!.mean).toBe(6);
    const s2 = await run({
      items: changed,
      retryErrors: false,
      evaluators: [{ id: "rougeL", options: { stemmer: true } }],
    });
    expect(s2.computed).toBe(5);
    // stemmed and unstemmed rows coexist (different signatures); the changed item has one row per signature
    expect(
      store.db
        .prepare("SELECT COUNT(*) AS n FROM scores WHERE evaluator='rougeL' AND variant='tuned' AND item_id='q2'")
        .get(),
    ).toEqual({ n: 2 });
  });

  it("respects the concurrency limit", async () => {
    const slow = items.map((it) => ({ ...it, input: { ...it.input, answer: `${it.input.answer} SLOW` } }));
    await run({ items: slow, concurrency: 2, evaluators: [{ id: "judge-single" }] });
    expect(maxInFlight).toBe(2);
  });

  it("waits and retries after a rate limit (429 + Retry-After), then scores", async () => {
    let calls = 0;
    respond = (p) => (++calls <= 2 ? { status: 429, retryAfterSeconds: 1 } : defaultRespond(p));
    const waits: number[] = [];
    const s = await run({
      items: [items[0]!],
      evaluators: [{ id: "judge-single" }],
      maxRetries: 2,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    expect(waits).toEqual([2000, 4000]);
    expect(s.rows[0]).toMatchObject({ nScored: 1, mean: 4 });
  });

  it("gives up after maxRetries and records an error row that the next run retries", async () => {
    respond = () => ({ status: 429, retryAfterSeconds: 0 });
    const s = await run({ items: [items[0]!], evaluators: [{ id: "judge-single" }], maxRetries: 1 });
    expect(s.rows[0]).toMatchObject({ nError: 1, nScored: 0, mean: null });
    const reason = (store.db.prepare("SELECT reason FROM scores").get() as { reason: string }).reason;
    expect(reason).toMatch(/^evaluator failed: .*HTTP 429/);
    respond = defaultRespond;
    const again = await run({ items: [items[0]!], evaluators: [{ id: "judge-single" }] });
    expect(again.rows[0]).toMatchObject({ nScored: 1, nError: 0, mean: 4, nCached: 0 });
    expect(store.db.prepare("SELECT COUNT(*) AS n FROM scores").get()).toEqual({ n: 1 });
  });

  it("abort keeps finished rows; the next run resumes with the rest", async () => {
    const controller = new AbortController();
    await expect(
      run({
        concurrency: 1,
        signal: controller.signal,
        onProgress: (done) => {
          if (done === 4) controller.abort(new Error("stop"));
        },
      }),
    ).rejects.toThrow("stop");
    const written = (store.db.prepare("SELECT COUNT(*) AS n FROM scores").get() as { n: number }).n;
    expect(written).toBe(4);
    const resumed = await run({ retryErrors: false });
    expect(resumed.cached).toBe(4);
    expect(resumed.computed).toBe(11);
  });

  it("rejects bad options and missing resources before any call", async () => {
    const before = fake.requests.length;
    await expect(run({ evaluators: [{ id: "judge-single", options: { structured: "yes" } }] })).rejects.toThrow(
      ConfigError,
    );
    await expect(run({ evaluators: [{ id: "rouge1", options: { stem: true } }] })).rejects.toThrow(/rouge1.*stem/);
    await expect(run({ evaluators: [{ id: "meteor" }] })).rejects.toThrow(/WordNet/);
    await expect(run({ evaluators: [{ id: "judge-single" }], context: {} })).rejects.toThrow(/judge model/);
    await expect(
      run({ evaluators: [{ id: "rougeL" }, { id: "rougeL", options: { stemmer: false } }] }),
    ).rejects.toThrow(/"rougeL" is requested twice/);
    expect(fake.requests.length).toBe(before);
    expect(store.db.prepare("SELECT COUNT(*) AS n FROM scores").get()).toEqual({ n: 0 });
  });

  it("sums costs when the judge price is known", async () => {
    const metered: Spend[] = [];
    const s = await meterSpend(
      (sp) => metered.push(sp),
      () =>
        run({
          items: [items[0]!, items[2]!],
          evaluators: [{ id: "judge-single" }],
          context: { judge: fake.generator(), judgePricing: { promptUsdPerMillion: 2, completionUsdPerMillion: 10 } },
        }),
    );
    expect(s.rows[0]!.usd).toBeCloseTo((200 * 2 + 20 * 10) / 1e6, 15);
    // each judge call's usage reached the run's spend meter (the live view's tokens and cost) as it finished
    expect(metered).toHaveLength(2);
    expect(metered.reduce((n, m) => n + m.promptTokens + m.completionTokens, 0)).toBe(
      s.rows[0]!.promptTokens + s.rows[0]!.completionTokens,
    );
    expect(metered.reduce((n, m) => n + m.usd!, 0)).toBeCloseTo(s.rows[0]!.usd!, 15);
  });
});
