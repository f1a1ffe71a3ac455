/**
 * The LLM-judge evaluators with a real local GGUF judge (SmolLM2-135M-Instruct, Q4_1; weak, but it
 * exercises the grammar path end to end). Skipped when the model file is absent.
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluateAll } from "../../../src/evaluation/engine.ts";
import { EVALUATORS, type EvaluatorContext } from "../../../src/evaluation/registry.ts";
import { type LlamaGenerator, LlamaRuntime } from "../../../src/models/llama-generator.ts";
import { Store } from "../../../src/store/store.ts";
import { SMOLLM } from "./models.ts";

describe.skipIf(!existsSync(SMOLLM))("LLM judge with a local GGUF (SmolLM2-135M)", () => {
  let runtime: LlamaRuntime;
  let judge: LlamaGenerator;
  beforeAll(async () => {
    runtime = await LlamaRuntime.create();
    judge = await runtime.createGenerator({ modelPath: SMOLLM, threads: 1, contextSize: 2048 });
  });
  afterAll(async () => {
    await judge?.dispose();
    await runtime?.dispose();
  });

  it("judge-single: the grammar forces a parseable 1..10 rating; cached on rerun", async () => {
    const ctx: EvaluatorContext = { judge };
    const store = Store.open(":memory:");
    const items = [
      {
        variant: "v",
        itemId: "1",
        input: {
          question: "What is the cheapest way to get from CDG airport to central Paris?",
          answer: "Take the RER B train; a ticket costs about 11 euros and it reaches Gare du Nord in 35 minutes.",
          references: ["The RER B train, about 11 euros."],
        },
      },
      { variant: "v", itemId: "2", input: { question: "Is Lisbon hilly?", answer: "Bananas are yellow." } },
    ];
    const first = await evaluateAll({
      store,
      experiment: "local",
      items,
      evaluators: [{ id: "judge-single", options: { maxTokens: 200, maxExplanationChars: 200 } }],
      context: ctx,
      concurrency: 1,
    });
    const row = first.rows[0]!;
    expect(row.nScored + row.nError).toBe(2);
    expect(row.nScored).toBe(2); // the grammar makes every reply parseable JSON
    const values = store.db
      .prepare("SELECT value, signature, prompt_tokens FROM scores ORDER BY item_id")
      .all() as Array<{
      value: number;
      signature: string;
      prompt_tokens: number;
    }>;
    for (const v of values) {
      expect(Number.isInteger(v.value)).toBe(true);
      expect(v.value).toBeGreaterThanOrEqual(1);
      expect(v.value).toBeLessThanOrEqual(10);
      expect(v.signature).toContain("judge:llama:SmolLM2-135M-Instruct.Q4_1.gguf");
      expect(v.prompt_tokens).toBeGreaterThan(100);
    }
    expect(values[0]!.signature).toContain("used-ref:yes");
    expect(values[1]!.signature).toContain("used-ref:no");
    const again = await evaluateAll({
      store,
      experiment: "local",
      items,
      evaluators: [{ id: "judge-single", options: { maxTokens: 200, maxExplanationChars: 200 } }],
      context: ctx,
    });
    expect(again.computed).toBe(0);
    expect(again.rows[0]!.mean).toBe(row.mean);
    store.dispose();
  });

  it("judge-single in text mode: a rating or a counted error, never a made-up score", async () => {
    const r = await EVALUATORS["judge-single"].evaluate(
      { question: "Is Lisbon hilly?", answer: "Yes, very; wear good shoes." },
      { judge },
      { options: { structured: false, maxTokens: 120 } },
    );
    if (r.status === "scored") {
      expect(r.value).toBeGreaterThanOrEqual(1);
      expect(r.value).toBeLessThanOrEqual(10);
    } else {
      expect(r.status).toBe("error");
      expect(r.value).toBeNull();
      expect(r.reason).toMatch(/^unparseable judge output: /);
    }
  });
});
