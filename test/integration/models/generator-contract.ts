/**
 * The provider contract every `GeneratorV1` must pass (streaming, stop, top_p, seed, usage, max tokens), run by
 * llama-generator.test.ts on the llama provider directly and by openai-api.test.ts on the openai-compatible
 * provider against `wayfarer serve` (which runs the same model): the same assertions, the same texts.
 */
import { expect, it } from "vitest";
import type { GenerateOptions, GenerateStreamPart, GeneratorV1 } from "../../../src/models/generator.ts";

export const CONTRACT_PROMPT: GenerateOptions = {
  messages: [
    { role: "system", content: "You are a concise travel assistant." },
    { role: "user", content: "What is the capital of France? Answer in one sentence." },
  ],
  maxTokens: 16,
  temperature: 0,
};

/** Registers the contract tests; `generator()` is read when each test runs (after beforeAll). */
export function generatorContract(generator: () => GeneratorV1): void {
  it("contract: greedy text is deterministic, streamed deltas add up to it, usage is counted", async () => {
    const g = generator();
    const a = await g.doGenerate(CONTRACT_PROMPT);
    const b = await g.doGenerate(CONTRACT_PROMPT);
    expect(a.text).toBe(b.text);
    expect(a.text).toContain("Paris");
    expect(a.promptTokens).toBeGreaterThan(10);
    expect(a.completionTokens).toBeGreaterThan(0);
    expect(a.completionTokens).toBeLessThanOrEqual(16);
    const parts: GenerateStreamPart[] = [];
    for await (const p of (await g.doStream(CONTRACT_PROMPT)).stream) parts.push(p);
    expect(parts[0]).toEqual({ type: "stream-start", warnings: [] });
    const deltas = parts.filter((p) => p.type === "text-delta");
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map((p) => p.delta).join("")).toBe(a.text);
    const finish = parts.at(-1)!;
    expect(finish.type).toBe("finish");
    if (finish.type !== "finish") return;
    expect(finish.finishReason).toBe(a.finishReason);
    expect(finish.usage).toEqual({ promptTokens: a.promptTokens, completionTokens: a.completionTokens });
  });

  it("contract: maxTokens cuts with finishReason length; a stop sequence ends before it", async () => {
    const g = generator();
    const cut = await g.doGenerate({ ...CONTRACT_PROMPT, maxTokens: 3 });
    expect(cut.finishReason).toBe("length");
    expect(cut.completionTokens).toBe(3);
    const full = await g.doGenerate(CONTRACT_PROMPT);
    const stopped = await g.doGenerate({ ...CONTRACT_PROMPT, stop: ["Paris"] });
    expect(stopped.finishReason).toBe("stop");
    expect(stopped.text).not.toContain("Paris");
    expect(full.text.startsWith(stopped.text)).toBe(true);
  });

  it("contract: a seed makes sampling (temperature 1, top_p 0.9) reproducible", async () => {
    const g = generator();
    const o = { ...CONTRACT_PROMPT, temperature: 1, topP: 0.9, seed: 7, maxTokens: 12 };
    const a = await g.doGenerate(o);
    const b = await g.doGenerate(o);
    expect(a.text).toBe(b.text);
    expect(a.text.length).toBeGreaterThan(0);
  });

  it("contract: cancelling a stream stops it; the generator keeps answering", async () => {
    const g = generator();
    const { stream } = await g.doStream({ ...CONTRACT_PROMPT, maxTokens: 200 });
    let deltas = 0;
    for await (const p of stream) if (p.type === "text-delta" && ++deltas === 2) break;
    expect(deltas).toBe(2);
    const after = await g.doGenerate(CONTRACT_PROMPT);
    expect(after.text).toContain("Paris");
  });
}
