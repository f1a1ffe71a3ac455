/**
 * Proves that `python -m trainer export-gguf` writes a GGUF LoRA that node-llama-cpp applies exactly
 * like PEFT does in PyTorch: per-token log-probabilities of one ChatML text agree to <= 5e-3 nats.
 *
 * Setup (python side, all through the trainer CLI):
 *   prepare-base      Q4_1 GGUF -> fp32 HF folder (cached under the OS temp dir; idempotent)
 *   dequantize-gguf   Q4_1 GGUF -> all-F32 GGUF with the same values PyTorch trains on
 *   random-adapter    LoRA with random non-zero A and B (a fresh LoRA has B = 0 and proves nothing)
 *   export-gguf       PEFT -> GGUF LoRA, with and (diagnostic) without the llama q/k permutation
 *   logprobs          PyTorch log-probs, base and base+adapter
 *
 * Why the F32 base and F32 KV cache: on the Q4_1 file llama.cpp's CPU kernels quantize activations
 * (Q8) and the default KV cache is F16; together they move log-probs by up to ~0.3 nat from PyTorch,
 * which would hide any export bug. With F32 weights and cache the base matches to ~2e-4.
 *
 * Needs ~/.cache/wayfarer/models/.../SmolLM2-135M-Instruct.Q4_1.gguf and .venv (npm run setup);
 * skipped with a message otherwise. Takes ~1-3 minutes on 2 CPU cores.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { getLlama, type Llama, LlamaLogLevel, type LlamaModel, type Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const PYTHON = join(ROOT, ".venv/bin/python");
const BASE_GGUF = join(
  process.env.WAYFARER_HOME ?? join(homedir(), ".cache/wayfarer"),
  "models/smollm2-135m-instruct-q4_1/SmolLM2-135M-Instruct.Q4_1.gguf",
);
/** Reused between runs: prepare-base is idempotent, the F32 copy is written atomically. */
const CACHE = join(tmpdir(), "wayfarer-trainer-test-cache");
const TOLERANCE_NATS = 5e-3;
const TEXT =
  "<|im_start|>user\nWhat is the best time to visit Lisbon?<|im_end|>\n" +
  "<|im_start|>assistant\nSpring is ideal: mild weather, fewer crowds and lower hotel prices.<|im_end|>\n";

const missing = [BASE_GGUF, PYTHON].filter((p) => !existsSync(p));
if (missing.length > 0) {
  console.warn(`[lora-export-parity] skipped: missing ${missing.join(", ")} (run npm run setup)`);
}

type TrainerEvent = { event: string; [key: string]: unknown };

/** Runs `python -m trainer <args>` and returns its `done` event; throws with the error event + stderr tail. */
function trainer(args: string[]): Promise<TrainerEvent> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(PYTHON, ["-m", "trainer", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const events = out
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as TrainerEvent);
      const done = events.find((e) => e.event === "done");
      if (code === 0 && done) resolvePromise(done);
      else {
        const error = events.find((e) => e.event === "error");
        reject(new Error(`trainer ${args[0]} exited ${code}: ${String(error?.message)}\n${err.slice(-2000)}`));
      }
    });
  });
}

function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  expect(a.length).toBe(b.length);
  return Math.max(...a.map((x, i) => Math.abs(x - (b[i] as number))));
}

describe.skipIf(missing.length > 0)("PEFT LoRA -> GGUF export matches PyTorch in node-llama-cpp", () => {
  let work: string;
  let tokens: number[];
  let torchBase: number[];
  let torchAdapter: number[];
  let loraPermuted: string;
  let loraUnpermuted: string;
  let llama: Llama;
  let f32Model: LlamaModel;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "wayfarer-lora-parity-"));
    const baseDir = join(CACHE, "smollm2-135m-base");
    const f32Gguf = join(CACHE, "smollm2-135m-f32.gguf");
    await trainer(["prepare-base", "--gguf", BASE_GGUF, "--out", baseDir]);
    if (!existsSync(f32Gguf) || statSync(f32Gguf).size < statSync(BASE_GGUF).size) {
      await trainer(["dequantize-gguf", "--gguf", BASE_GGUF, "--out", f32Gguf]);
    }
    const adapterDir = join(work, "adapter");
    const made = await trainer(["random-adapter", "--base-model-dir", baseDir, "--out", adapterDir, "--r", "8"]);
    expect(made.b_abs_mean as number).toBeGreaterThan(1e-3); // B != 0, otherwise the test proves nothing

    loraPermuted = join(work, "lora.gguf");
    loraUnpermuted = join(work, "lora-unpermuted.gguf");
    const exported = await trainer([
      "export-gguf",
      "--adapter",
      adapterDir,
      "--base-gguf",
      BASE_GGUF,
      "--out",
      loraPermuted,
    ]);
    expect(exported).toMatchObject({ architecture: "llama", rank: 8, alpha: 16, tensor_pairs: 30 * 7, permuted: true });
    await trainer([
      "export-gguf",
      "--adapter",
      adapterDir,
      "--base-gguf",
      BASE_GGUF,
      "--out",
      loraUnpermuted,
      "--no-qk-permutation",
    ]);

    const textFile = join(work, "text.txt");
    writeFileSync(textFile, TEXT);
    const base = await trainer(["logprobs", "--base-model-dir", baseDir, "--text-file", textFile]);
    const adapted = await trainer([
      "logprobs",
      "--base-model-dir",
      baseDir,
      "--adapter",
      adapterDir,
      "--text-file",
      textFile,
    ]);
    tokens = base.tokens as number[];
    torchBase = base.logprobs as number[];
    torchAdapter = adapted.logprobs as number[];
    expect(adapted.tokens).toEqual(tokens);

    // "cannot use buft AMX, fallback to CPU" warnings per LoRA tensor are expected on AMX CPUs.
    llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
    f32Model = await llama.loadModel({ modelPath: f32Gguf });
  });

  afterAll(async () => {
    await f32Model?.dispose();
    await llama?.dispose();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** log p(tokens[i+1] | tokens[..i]) for i = 0..n-2 under node-llama-cpp, F32 KV cache. */
  async function llamaLogprobs(model: LlamaModel, loraFile?: string): Promise<number[]> {
    const context = await model.createContext({
      contextSize: 256,
      threads: 2,
      flashAttention: false,
      experimentalKvCacheKeyType: "F32",
      experimentalKvCacheValueType: "F32",
      ...(loraFile ? { lora: { adapters: [{ filePath: loraFile }] } } : {}),
    });
    try {
      const input = tokens
        .slice(0, -1)
        .map(
          (t) =>
            [t as Token, { generateNext: { probabilities: true } }] as [
              Token,
              { generateNext: { probabilities: true } },
            ],
        );
      const out = await context.getSequence().controlledEvaluate(input);
      return out.map((o, i) => {
        const p = o?.next.probabilities?.get(tokens[i + 1] as Token);
        if (p === undefined) throw new Error(`no probability for position ${i}`);
        return Math.log(p);
      });
    } finally {
      await context.dispose();
    }
  }

  it("tokenizes the text exactly like the PyTorch tokenizer", () => {
    expect(f32Model.tokenize(TEXT, true)).toEqual(tokens);
    expect(tokens.length).toBeGreaterThan(20);
  });

  it("base model (F32 GGUF) matches PyTorch", async () => {
    const diff = maxAbsDiff(await llamaLogprobs(f32Model), torchBase);
    console.info(`[lora-export-parity] base: max |llama.cpp - torch| = ${diff.toExponential(2)} nats`);
    expect(diff).toBeLessThanOrEqual(TOLERANCE_NATS);
  });

  it("exported LoRA matches PEFT, and the adapter really changes the model", async () => {
    const llamaAdapter = await llamaLogprobs(f32Model, loraPermuted);
    const diff = maxAbsDiff(llamaAdapter, torchAdapter);
    const effect = maxAbsDiff(torchAdapter, torchBase);
    console.info(
      `[lora-export-parity] adapter: max diff = ${diff.toExponential(2)} nats; adapter effect = ${effect.toFixed(3)} nats`,
    );
    expect(diff).toBeLessThanOrEqual(TOLERANCE_NATS);
    expect(effect).toBeGreaterThan(20 * TOLERANCE_NATS);
  });

  it("without the q/k permutation the adapter would be wrong", async () => {
    const diff = maxAbsDiff(await llamaLogprobs(f32Model, loraUnpermuted), torchAdapter);
    console.info(`[lora-export-parity] unpermuted adapter: max diff = ${diff.toFixed(3)} nats`);
    expect(diff).toBeGreaterThan(10 * TOLERANCE_NATS);
  });

  it("the same GGUF LoRA loads on the quantized Q4_1 base and shifts its log-probs", async () => {
    const q4 = await llama.loadModel({ modelPath: BASE_GGUF });
    try {
      const base = await llamaLogprobs(q4);
      const adapted = await llamaLogprobs(q4, loraPermuted);
      expect(maxAbsDiff(adapted, base)).toBeGreaterThan(20 * TOLERANCE_NATS);
      // Quantized weights + Q8 activations: close to PyTorch's fp32 numbers, not equal.
      expect(maxAbsDiff(adapted, torchAdapter)).toBeLessThan(1.0);
    } finally {
      await q4.dispose();
    }
  });
});
