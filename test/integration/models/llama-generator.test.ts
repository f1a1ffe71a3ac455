/** The llama provider (SmolLM2-135M) on the generator contract, plus parallel sequences and clear load errors. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/errors/config-error.ts";
import { type LlamaGenerator, LlamaRuntime } from "../../../src/models/llama-generator.ts";
import { HAS_SMOLLM2, SMOLLM2_GGUF } from "../../helpers/paths.ts";
import { CONTRACT_PROMPT, generatorContract } from "./generator-contract.ts";

describe.skipIf(!HAS_SMOLLM2)("llama provider (SmolLM2-135M)", () => {
  let runtime: LlamaRuntime;
  let generator: LlamaGenerator;
  beforeAll(async () => {
    runtime = await LlamaRuntime.create();
    generator = await runtime.createGenerator({ modelPath: SMOLLM2_GGUF, threads: 1, contextSize: 512, sequences: 2 });
  });
  afterAll(async () => {
    await generator?.dispose();
    await runtime?.dispose();
  });

  generatorContract(() => generator);

  it("runs calls on parallel sequences, each with the text it gets alone", async () => {
    expect(generator.sequences).toBe(2);
    const other = { ...CONTRACT_PROMPT, messages: [{ role: "user" as const, content: "Name one city in Italy." }] };
    const alone = [await generator.doGenerate(CONTRACT_PROMPT), await generator.doGenerate(other)];
    const together = await Promise.all([
      generator.doGenerate(CONTRACT_PROMPT),
      generator.doGenerate(other),
      generator.doGenerate(CONTRACT_PROMPT),
    ]);
    expect(together.map((r) => r.text)).toEqual([alone[0]!.text, alone[1]!.text, alone[0]!.text]);
  });

  it("a missing model file or adapter file is one clear ConfigError", async () => {
    const missing = await runtime.createGenerator({ modelPath: "/nonexistent/model.gguf" }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ConfigError);
    expect(String((missing as Error).message)).toBe("/nonexistent/model.gguf: model file not found");
    const adapter = await runtime
      .createGenerator({ modelPath: SMOLLM2_GGUF, adapterPath: "/nonexistent/adapter.gguf", threads: 1 })
      .catch((e: unknown) => e);
    expect(adapter).toBeInstanceOf(ConfigError);
    expect(String((adapter as Error).message)).toBe("/nonexistent/adapter.gguf: adapter file not found");
  });
});
