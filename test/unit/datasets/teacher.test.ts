import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ModelConfig } from "../../../src/config/experiment.ts";
import { createTeacher, type TeacherOptions } from "../../../src/datasets/teacher.ts";
import { ConfigError } from "../../../src/errors/config-error.ts";
import { meterSpend, type Spend } from "../../../src/models/spend.ts";
import { Store } from "../../../src/store/store.ts";
import {
  type FakeOpenAI,
  type FakeReply,
  startFakeOpenAI,
  userPrompt,
} from "../evaluation/judge/fake-openai-server.ts";

let fake: FakeOpenAI;
let respond: (prompt: string, index: number) => FakeReply;
let inFlight = 0;
let maxInFlight = 0;
beforeAll(async () => {
  fake = await startFakeOpenAI(async (req, i) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, 5));
    inFlight--;
    return respond(userPrompt(req), i);
  });
});
afterAll(() => fake.close());

let dir: string;
let store: Store;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "wayfarer-teacher-"));
  store = Store.open(join(dir, "store.db"));
  respond = (p) => ({ content: `echo: ${p}`, promptTokens: 10, completionTokens: 5 });
  maxInFlight = 0;
  fake.requests.length = 0;
});
afterEach(() => {
  store.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const models = (): Record<string, ModelConfig> => ({
  teacher: {
    provider: "openai-compatible",
    baseURL: fake.baseURL,
    model: "fake-teacher",
    apiKeyEnv: "WAYFARER_TEST_NO_KEY",
    structuredOutputs: true,
  },
});
const opts = (extra: Partial<TeacherOptions> = {}): TeacherOptions => ({
  store,
  experiment: "exp",
  modelKey: "teacher",
  models: models(),
  runtime: () => Promise.reject(new Error("no llama runtime in this test")),
  env: {},
  seed: 7,
  sleep: async () => {},
  ...extra,
});
const ask = (key: string, text: string, maxTokens = 64) => ({
  key,
  messages: [{ role: "user" as const, content: text }],
  maxTokens,
});

describe("teacher over an OpenAI-compatible endpoint", () => {
  it("answers every request, and a rerun with the same requests calls no model", async () => {
    const requests = [ask("a", "one"), ask("b", "two"), ask("c", "three"), ask("d", "one")];
    const progress: number[] = [];
    const t1 = await createTeacher(
      opts({ concurrency: 2, pricing: { promptUsdPerMillion: 1e6, completionUsdPerMillion: 2e6 } }),
    );
    // every model call's usage reaches the run's spend meter (the live view's tokens and cost)
    const metered: Spend[] = [];
    const r1 = await meterSpend(
      (sp) => metered.push(sp),
      () => t1.completeAll(requests, (done) => progress.push(done)),
    );
    expect(metered).toEqual(Array(3).fill({ promptTokens: 10, completionTokens: 5, usd: 20 }));
    expect(fake.requests.length).toBe(3); // "a" and "d" share one call
    expect(maxInFlight).toBe(2);
    expect(progress).toEqual([1, 2, 3]);
    expect(r1.get("a")).toEqual({
      text: "echo: one",
      cached: false,
      finishReason: "stop",
      cost: { promptTokens: 10, completionTokens: 5, usd: 20 },
    });
    expect(r1.get("d")!.text).toBe("echo: one");
    expect(r1.get("c")!.text).toBe("echo: three");
    expect(t1.usage).toEqual({
      requests: 4,
      calls: 3,
      cached: 0,
      errors: 0,
      promptTokens: 30,
      completionTokens: 15,
      usd: 60,
    });
    expect(fake.requests[0]).toMatchObject({ model: "fake-teacher", max_tokens: 64, temperature: 0, seed: 7 });
    await t1.dispose();

    const t2 = await createTeacher(opts());
    const r2 = await meterSpend(
      (sp) => metered.push(sp),
      () => t2.completeAll(requests),
    );
    expect(metered).toHaveLength(3); // reused calls cost nothing now
    expect(fake.requests.length).toBe(3);
    expect([...r2.values()].every((r) => r.cached)).toBe(true);
    expect(r2.get("b")!.text).toBe("echo: two");
    expect(t2.usage).toMatchObject({ calls: 0, cached: 3, requests: 4 });
    expect(t2.signature).toBe("teacher:openai-compatible:fake-teacher;seed=7");

    // another seed, temperature or maxTokens is another call
    const t3 = await createTeacher(opts({ seed: 8 }));
    await t3.completeAll([ask("a", "one")]);
    await t2.completeAll([{ ...ask("a", "one"), temperature: 0.5 }, ask("b", "one", 32)]);
    expect(fake.requests.length).toBe(6);
  });

  it("a failing call is a counted error reply (never a throw) and is retried by the next run", async () => {
    respond = (p) => (p === "bad" ? { status: 400, message: "context too long" } : { content: "ok" });
    const t = await createTeacher(opts());
    const r = await t.completeAll([ask("x", "bad"), ask("y", "good")]);
    expect(r.get("x")).toMatchObject({ text: null, cached: false, finishReason: null });
    expect(r.get("x")!.error).toContain("HTTP 400");
    expect(r.get("x")!.error).toContain("context too long");
    expect(r.get("y")!.text).toBe("ok");
    expect(t.usage.errors).toBe(1);
    respond = () => ({ content: "fixed" });
    const again = await t.completeAll([ask("x", "bad"), ask("y", "good")]);
    expect(again.get("x")).toMatchObject({ text: "fixed", cached: false });
    expect(again.get("y")).toMatchObject({ text: "ok", cached: true });
  });

  it("retries a 429 through the engine's pause, then succeeds", async () => {
    // the generator retries 4 times itself (Retry-After 0 s); the 6th and 7th 429 reach the pool's pause
    respond = (_p, i) => (i < 7 ? { status: 429, retryAfterSeconds: 0 } : { content: "after the wait" });
    const waits: number[] = [];
    const t = await createTeacher(
      opts({
        sleep: async (ms) => {
          waits.push(ms);
        },
      }),
    );
    const r = await t.completeAll([ask("x", "hello")]);
    expect(r.get("x")!.text).toBe("after the wait");
    expect(waits).toEqual([2000]);
    expect(fake.requests.length).toBe(8);
  });

  it("rejects unknown model keys, duplicate request keys and bad maxTokens before any call", async () => {
    await expect(createTeacher(opts({ modelKey: "nope" }))).rejects.toThrow(ConfigError);
    await expect(createTeacher(opts({ modelKey: "nope" }))).rejects.toThrow(
      /no model "nope" in models \(have: teacher\)/,
    );
    const t = await createTeacher(opts());
    await expect(t.completeAll([ask("a", "x"), ask("a", "y")])).rejects.toThrow(/"a" is listed twice/);
    await expect(t.completeAll([ask("a", "x", 0)])).rejects.toThrow(/maxTokens must be >= 1/);
    expect(fake.requests.length).toBe(0);
  });

  it("a model that cannot be created is a ConfigError, not an error reply", async () => {
    const t = await createTeacher(
      opts({
        models: {
          teacher: {
            provider: "openai-compatible",
            baseURL: "https://api.example.com/v1",
            model: "m",
            apiKeyEnv: "WAYFARER_TEST_NO_KEY",
            structuredOutputs: true,
          },
        },
      }),
    );
    await expect(t.completeAll([ask("a", "x")])).rejects.toThrow(/WAYFARER_TEST_NO_KEY is not set/);
  });
});
