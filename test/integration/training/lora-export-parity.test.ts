/**
 * Proves, for both base models, that `python -m trainer export-gguf` writes a GGUF LoRA that node-llama-cpp
 * applies exactly like PEFT does in PyTorch: per-token log-probabilities of one chat text, node-llama-cpp +
 * exported adapter vs PyTorch + PEFT adapter, differ by no more than the base model's own
 * node-llama-cpp-vs-PyTorch noise (measured in the same run) plus a small slack.
 *
 * Fixtures come from one Python process per base (`python -m trainer.parity_fixture`, one model load):
 * prepare-base (cached), an all-F32 GGUF copy (cached), random LoRA adapters with non-zero A and B (a fresh
 * LoRA has B = 0 and proves nothing) — plain (r 8, alpha 16) and rsLoRA (alpha / sqrt(r), exported as
 * alpha * sqrt(r)) — their GGUF exports and PyTorch log-probs.
 *
 * Two noise levels, both measured against the same PyTorch fp32 numbers:
 * - F32 GGUF + F32 KV cache: llama.cpp computes in f32 like PyTorch; noise ~1e-4 nat. The tight check.
 * - the quantized GGUF itself (what is served): llama.cpp's CPU kernels also quantize activations (Q8)
 *   and keep an F16 KV cache, noise ~0.1-0.3 nat. The adapter on it must stay within that noise too.
 *
 * Needs the models of `npm run setup` and .venv; skipped with a message otherwise. First run ~3-6 min on
 * 2 cores (prepare-base + F32 copies, cached under the OS temp dir), later runs ~1-2 min.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { getLlama, type Llama, LlamaLogLevel, type LlamaModel, type Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const PYTHON = join(ROOT, ".venv/bin/python");
const MODELS = join(process.env.WAYFARER_HOME ?? join(homedir(), ".cache/wayfarer"), "models");
/** Shared with trainer/tests/conftest.py: prepare-base is idempotent, the F32 copy is written atomically. */
const CACHE = join(tmpdir(), "wayfarer-trainer-test-cache");
/** Allowed excess of the adapter diff over the base noise (nats). */
const SLACK_NATS = 2e-3;

interface BaseCase {
  label: string;
  gguf: string;
  cacheName: string;
  architecture: "llama" | "gemma3";
  tensorPairs: number;
  /** Spread of the random LoRA entries: ~0.3-1 nat of effect on each base. */
  std: number;
  text: string;
}

const BASES: BaseCase[] = [
  {
    label: "SmolLM2-135M-Instruct (llama, Q4_1)",
    gguf: join(MODELS, "smollm2-135m-instruct-q4_1/SmolLM2-135M-Instruct.Q4_1.gguf"),
    cacheName: "smollm2-135m",
    architecture: "llama",
    tensorPairs: 30 * 7,
    std: 0.02,
    text:
      "<|im_start|>user\nWhat is the best time to visit Lisbon?<|im_end|>\n" +
      "<|im_start|>assistant\nSpring is ideal: mild weather, fewer crowds and lower hotel prices.<|im_end|>\n",
  },
  {
    label: "Gemma-3-270M (gemma3, Q4_K_M)",
    gguf: join(MODELS, "gemma-3-270m-q4_k_m/gemma-3-270m-q4_k_m.gguf"),
    cacheName: "gemma-3-270m",
    architecture: "gemma3",
    tensorPairs: 18 * 7,
    std: 0.008,
    text:
      "<bos><start_of_turn>user\nWhat is the best time to visit Lisbon?<end_of_turn>\n" +
      "<start_of_turn>model\nSpring is ideal: mild weather, fewer crowds and lower hotel prices.<end_of_turn>\n",
  },
];

interface Export {
  out: string;
  architecture: string;
  alpha: number;
  peft_alpha: number;
  rslora: boolean;
  rank: number;
  tensor_pairs: number;
  permuted: boolean;
}
interface Fixture {
  f32_gguf: string;
  architecture: string;
  tokens: number[];
  torch: { base: number[]; lora: number[]; rslora: number[] };
  exports: { lora: Export; rslora: Export; lora_unpermuted?: Export };
  seconds: number;
}

function runFixture(args: string[]): Promise<Fixture> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(PYTHON, ["-m", "trainer.parity_fixture", ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
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
      if (code === 0) resolvePromise(JSON.parse(out.trim().split("\n").at(-1) as string) as Fixture);
      else reject(new Error(`trainer.parity_fixture exited ${code}\n${err.slice(-3000)}`));
    });
  });
}

function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  expect(a.length).toBe(b.length);
  return Math.max(...a.map((x, i) => Math.abs(x - (b[i] as number))));
}

const missingCommon = [PYTHON].filter((p) => !existsSync(p));

describe.each(BASES)("PEFT LoRA -> GGUF export matches PyTorch in node-llama-cpp: $label", (base) => {
  const missing = [...missingCommon, base.gguf].filter((p) => !existsSync(p));
  if (missing.length > 0) console.warn(`[lora-export-parity] ${base.label} skipped: missing ${missing.join(", ")}`);

  describe.skipIf(missing.length > 0)("", () => {
    let work: string;
    let fx: Fixture;
    let llama: Llama;
    let f32Model: LlamaModel;
    let quantModel: LlamaModel;
    const noise = { f32: Number.NaN, quant: Number.NaN };

    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), "wayfarer-lora-parity-"));
      const textFile = join(work, "text.txt");
      writeFileSync(textFile, base.text);
      fx = await runFixture([
        "--gguf",
        base.gguf,
        "--base-dir",
        join(CACHE, `${base.cacheName}-base`),
        "--f32-gguf",
        join(CACHE, `${base.cacheName}-f32.gguf`),
        "--work",
        work,
        "--text-file",
        textFile,
        "--std",
        String(base.std),
      ]);
      // "cannot use buft AMX, fallback to CPU" warnings per LoRA tensor are expected on AMX CPUs.
      llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
      f32Model = await llama.loadModel({ modelPath: fx.f32_gguf });
      quantModel = await llama.loadModel({ modelPath: base.gguf });
      noise.f32 = maxAbsDiff(await llamaLogprobs(f32Model, { f32Cache: true }), fx.torch.base);
      noise.quant = maxAbsDiff(await llamaLogprobs(quantModel, { f32Cache: false }), fx.torch.base);
      console.info(
        `[lora-export-parity] ${base.label}: base noise |llama.cpp - torch| max = ${noise.f32.toExponential(2)} nats (F32 GGUF), ` +
          `${noise.quant.toFixed(4)} nats (quantized GGUF); fixtures ${fx.seconds} s`,
      );
    }, 900_000);

    afterAll(async () => {
      await f32Model?.dispose();
      await quantModel?.dispose();
      await llama?.dispose();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    /** log p(tokens[i+1] | tokens[..i]) for i = 0..n-2 under node-llama-cpp. */
    async function llamaLogprobs(model: LlamaModel, opts: { f32Cache: boolean; lora?: string }): Promise<number[]> {
      const tokens = fx.tokens;
      const context = await model.createContext({
        contextSize: 256,
        threads: 2,
        flashAttention: false,
        ...(opts.f32Cache ? { experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32" } : {}),
        ...(opts.lora ? { lora: { adapters: [{ filePath: opts.lora }] } } : {}),
      });
      try {
        type Step = [Token, { generateNext: { probabilities: true } }];
        const input = tokens.slice(0, -1).map((t): Step => [t as Token, { generateNext: { probabilities: true } }]);
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
      expect(Array.from(f32Model.tokenize(base.text, true))).toEqual(fx.tokens);
      expect(fx.tokens.length).toBeGreaterThan(20);
      expect(fx.architecture).toBe(base.architecture);
    });

    it("base noise is measured and small on the F32 GGUF", () => {
      expect(noise.f32).toBeLessThan(5e-3);
      expect(noise.quant).toBeGreaterThan(noise.f32); // quantized weights + Q8 activations add noise
      expect(noise.quant).toBeLessThan(1.0);
    });

    it("exports every adapted linear layer, with llama's q/k permutation only on llama", () => {
      expect(fx.exports.lora).toMatchObject({
        architecture: base.architecture,
        rank: 8,
        alpha: 16,
        rslora: false,
        tensor_pairs: base.tensorPairs,
        permuted: base.architecture === "llama",
      });
    });

    it("exported LoRA matches PEFT within the base's own noise (F32 GGUF), and really changes the model", async () => {
      const diff = maxAbsDiff(
        await llamaLogprobs(f32Model, { f32Cache: true, lora: fx.exports.lora.out }),
        fx.torch.lora,
      );
      const effect = maxAbsDiff(fx.torch.lora, fx.torch.base);
      console.info(
        `[lora-export-parity] ${base.label}: adapter diff (F32) = ${diff.toExponential(2)} nats vs noise ${noise.f32.toExponential(2)}; ` +
          `adapter effect = ${effect.toFixed(3)} nats`,
      );
      expect(diff).toBeLessThanOrEqual(noise.f32 + SLACK_NATS);
      expect(effect).toBeGreaterThan(50 * SLACK_NATS);
    });

    it("rsLoRA exports as alpha * sqrt(r) and matches PEFT's alpha / sqrt(r) scaling", async () => {
      expect(fx.exports.rslora).toMatchObject({ rslora: true, peft_alpha: 16, rank: 8 });
      expect(fx.exports.rslora.alpha).toBeCloseTo(16 * Math.sqrt(8), 5);
      const diff = maxAbsDiff(
        await llamaLogprobs(f32Model, { f32Cache: true, lora: fx.exports.rslora.out }),
        fx.torch.rslora,
      );
      console.info(`[lora-export-parity] ${base.label}: rsLoRA adapter diff (F32) = ${diff.toExponential(2)} nats`);
      expect(diff).toBeLessThanOrEqual(noise.f32 + SLACK_NATS);
      // same A and B as the plain adapter, only the scale differs: a scale error would show here
      expect(maxAbsDiff(fx.torch.rslora, fx.torch.lora)).toBeGreaterThan(50 * SLACK_NATS);
    });

    it("on the quantized GGUF that is served, the adapter stays within that GGUF's own noise", async () => {
      const adapted = await llamaLogprobs(quantModel, { f32Cache: false, lora: fx.exports.lora.out });
      const diff = maxAbsDiff(adapted, fx.torch.lora);
      console.info(
        `[lora-export-parity] ${base.label}: adapter diff (quantized) = ${diff.toFixed(4)} nats vs noise ${noise.quant.toFixed(4)}`,
      );
      expect(diff).toBeLessThanOrEqual(2 * noise.quant + SLACK_NATS);
    });

    it.runIf(base.architecture === "llama")("without llama's q/k permutation the adapter would be wrong", async () => {
      const unpermuted = fx.exports.lora_unpermuted;
      expect(unpermuted?.permuted).toBe(false);
      const diff = maxAbsDiff(
        await llamaLogprobs(f32Model, { f32Cache: true, lora: unpermuted?.out as string }),
        fx.torch.lora,
      );
      console.info(`[lora-export-parity] ${base.label}: unpermuted adapter diff = ${diff.toFixed(3)} nats`);
      expect(diff).toBeGreaterThan(50 * SLACK_NATS);
    });
  });
});
