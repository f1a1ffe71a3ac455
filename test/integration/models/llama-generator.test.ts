/** The llama provider (SmolLM2-135M) on the generator contract, plus parallel sequences and clear load errors. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/errors/config-error.ts";
import { type LlamaGenerator, LlamaRuntime } from "../../../src/models/llama-generator.ts";
import { HAS_SMOLLM2, HAS_VENV, ROOT, SMOLLM2_GGUF } from "../../helpers/paths.ts";
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

  it.skipIf(!HAS_VENV)("an adapter made for another base is one clear error, and the model keeps working", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wf-adapter-"));
    const file = join(dir, "other-base.gguf");
    try {
      // a GGUF LoRA adapter (gguf-py, as llama.cpp's converter writes it) for a base with 64-wide layers
      execFileSync(join(ROOT, ".venv", "bin", "python"), [
        "-c",
        [
          "import sys, numpy as np, gguf",
          "w = gguf.GGUFWriter(sys.argv[1], 'llama')",
          "w.add_string('general.type', 'adapter'); w.add_string('adapter.type', 'lora')",
          "w.add_float32('adapter.lora.alpha', 16.0)",
          "w.add_tensor('blk.0.attn_q.weight.lora_a', np.zeros((4, 64), dtype=np.float32))",
          "w.add_tensor('blk.0.attn_q.weight.lora_b', np.zeros((64, 4), dtype=np.float32))",
          "w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()",
        ].join("\n"),
        file,
      ]);
      const e = await runtime
        .createGenerator({ modelPath: SMOLLM2_GGUF, adapterPath: file, threads: 1, contextSize: 256 })
        .catch((x: unknown) => x);
      expect(String((e as Error).message)).toMatch(
        /^adapter .*other-base\.gguf: cannot be applied to SmolLM2-135M-Instruct\.Q4_1\.gguf — was it trained on another base model\?/,
      );
      expect((await generator.doGenerate({ ...CONTRACT_PROMPT, maxTokens: 4 })).completionTokens).toBe(4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
