/**
 * Train/serve parity of the chat format, for both base models: the prompt the trainer formats
 * (`tokenizer.apply_chat_template(..., add_generation_prompt=True)` in Python, what TRL trains on) and the
 * prompt node-llama-cpp evaluates for the same conversation (`renderChatPrompt`, the wrapper `LlamaGenerator`
 * uses) are byte-identical and tokenize to the same ids; the end-of-turn token the trainer labels is an
 * end-of-generation token for llama.cpp (the server stops on it).
 *
 * Python side: `python -m trainer.chat_format` on the prepared base (prepare-base is cached under the OS temp
 * dir, shared with the export parity test). Needs the models of `npm run setup` and .venv; skipped otherwise.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { getLlama, type Llama, LlamaChatSession, LlamaLogLevel, type LlamaModel, type Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderChatPrompt, servingChatWrapper, toChatHistory } from "../../../src/models/chat-template.ts";
import type { ChatMessage } from "../../../src/models/generator.ts";
import { LlamaRuntime } from "../../../src/models/llama-generator.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const PYTHON = join(ROOT, ".venv/bin/python");
const MODELS = join(process.env.WAYFARER_HOME ?? join(homedir(), ".cache/wayfarer"), "models");
const CACHE = join(tmpdir(), "wayfarer-trainer-test-cache");

const BASES = [
  {
    label: "SmolLM2-135M-Instruct",
    gguf: join(MODELS, "smollm2-135m-instruct-q4_1/SmolLM2-135M-Instruct.Q4_1.gguf"),
    baseDir: join(CACHE, "smollm2-135m-base"),
    eot: "<|im_end|>",
    source: "gguf",
    instructionTuned: true,
  },
  {
    label: "Gemma-3-270M (base model, template from trainer/chat_templates)",
    gguf: join(MODELS, "gemma-3-270m-q4_k_m/gemma-3-270m-q4_k_m.gguf"),
    baseDir: join(CACHE, "gemma-3-270m-base"),
    eot: "<end_of_turn>",
    source: "trainer/chat_templates/gemma3.jinja",
    instructionTuned: false,
  },
] as const;

const CONVERSATIONS: { messages: ChatMessage[]; answer: string }[] = [
  {
    messages: [
      { role: "system", content: "You are a concise travel guide." },
      { role: "user", content: "What is the best time to visit Lisbon?" },
    ],
    answer: "Spring: mild weather and fewer crowds.",
  },
  {
    // whitespace at the edges (Gemma's template trims turns), accents, CJK, emoji, inner blank lines
    messages: [
      { role: "system", content: "Answer in one sentence.\nCite no sources." },
      { role: "user", content: "  Café or 日本の宿 in São Paulo? 🎒\n\nBudget: $1,299.99  \n" },
    ],
    // both sides strip message texts (normalizeMessageText / normalize_messages): ChatML would otherwise merge
    // leading whitespace with the turn header's "\n" (see trainer/tests/test_chat_format.py)
    answer: "  Pick the café near Sé. \n",
  },
  {
    messages: [
      { role: "system", content: "You plan trips." },
      { role: "user", content: "Two days in Porto?" },
      { role: "assistant", content: "Day 1: Ribeira. Day 2: Douro valley." },
      { role: "user", content: "And a third day?" },
    ],
    answer: "Take the train to Braga.",
  },
];
/** Plain texts tokenized on both sides (no special tokens added). */
const TEXTS = [
  "Lisbon in spring: 18–24°C, ~30% cheaper than July.   Tram 28 before 9am!",
  "naïve Zürich — 日本語のテキスト, 한국어, русский 🎉🇵🇹\tand tabs",
  '<b>Bold</b> & code `print("hi")` https://example.com/a?b=c#d\n\n\nThree newlines; 12345678901234567890',
];

interface Described {
  prompt_text: string;
  prompt_ids: number[];
  eot_token: string;
  eot_id: number;
  bos_token: string;
  eos_label: { eot_labelled: boolean; after_eot: string[]; prompt_is_prefix: boolean; eot_positions: number[] };
}

function python(module: string, args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(PYTHON, ["-m", module, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolvePromise(out) : reject(new Error(`python -m ${module} exited ${code}\n${err.slice(-3000)}`)),
    );
  });
}

describe.each(BASES)("chat format train/serve parity: $label", (base) => {
  const missing = [PYTHON, base.gguf].filter((p) => !existsSync(p));
  if (missing.length > 0) console.warn(`[chat-template-parity] ${base.label} skipped: missing ${missing.join(", ")}`);

  describe.skipIf(missing.length > 0)("", () => {
    let work: string;
    let py: { conversations: Described[]; tokenized: Record<string, number[]> };
    let llama: Llama;
    let model: LlamaModel;

    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), "wayfarer-chat-parity-"));
      await python("trainer", ["prepare-base", "--gguf", base.gguf, "--out", base.baseDir]); // cached
      const conversations = join(work, "conversations.json");
      const texts = join(work, "texts.json");
      writeFileSync(conversations, JSON.stringify(CONVERSATIONS));
      writeFileSync(texts, JSON.stringify(TEXTS));
      const out = await python("trainer.chat_format", [
        "--base-model-dir",
        base.baseDir,
        "--conversations-file",
        conversations,
        "--texts-file",
        texts,
      ]);
      py = JSON.parse(out.trim().split("\n").at(-1) as string);
      llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
      model = await llama.loadModel({ modelPath: base.gguf });
    }, 900_000);

    afterAll(async () => {
      await model?.dispose();
      await llama?.dispose();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it("serves the template the trainer uses", () => {
      expect(servingChatWrapper(model).source).toBe(base.source);
    });

    it.each(CONVERSATIONS.map((c, i) => [i, c] as const))(
      "conversation %i: prompt bytes and token ids are identical",
      (i) => {
        const node = renderChatPrompt(model, CONVERSATIONS[i]?.messages as ChatMessage[]);
        const trained = py.conversations[i] as Described;
        expect(Buffer.from(node.text, "utf8").equals(Buffer.from(trained.prompt_text, "utf8"))).toBe(true);
        expect(node.text).toBe(trained.prompt_text); // same check, readable diff on failure
        expect(Array.from(node.tokens)).toEqual(trained.prompt_ids);
      },
    );

    it("plain texts tokenize to the same ids", () => {
      for (const text of TEXTS) expect(Array.from(model.tokenize(text, false))).toEqual(py.tokenized[text]);
    });

    it("the end-of-turn token is labelled in training and ends generation in llama.cpp", () => {
      for (const c of py.conversations) {
        expect(c.eot_token).toBe(base.eot);
        expect(c.eos_label.prompt_is_prefix).toBe(true);
        expect(c.eos_label.eot_labelled).toBe(true); // inside the completion loss mask
        expect(c.eos_label.after_eot).toHaveLength(1); // only the template's newline follows it
      }
      const eotId = py.conversations[0]?.eot_id as number;
      expect(model.tokenize(base.eot, true)).toEqual([eotId]);
      expect(model.isEogToken(eotId as Token)).toBe(true); // llama.cpp stops generating on it
      const stop = renderChatPrompt(model, CONVERSATIONS[0]?.messages as ChatMessage[]).stopTriggers;
      expect(stop.some((t) => t.startsWith(base.eot))).toBe(true);
    });

    it.runIf(base.instructionTuned)("a served answer stops on the end-of-turn token", async () => {
      const context = await model.createContext({ contextSize: 512, threads: 2 });
      try {
        const session = new LlamaChatSession({
          contextSequence: context.getSequence(),
          chatWrapper: servingChatWrapper(model).wrapper,
        });
        session.setChatHistory([{ type: "system", text: "You are a concise travel guide." }]);
        const meta = await session.promptWithMeta("Name one city in Portugal.", { maxTokens: 48, temperature: 0 });
        expect(meta.stopReason).toBe("eogToken");
        expect(meta.responseText).not.toContain(base.eot);
      } finally {
        await context.dispose();
      }
    });

    it("a chat session with the serving wrapper evaluates exactly the rendered prompt", async () => {
      const messages = CONVERSATIONS[2]?.messages as ChatMessage[];
      const context = await model.createContext({ contextSize: 512, threads: 2 });
      try {
        const sequence = context.getSequence();
        const session = new LlamaChatSession({
          contextSequence: sequence,
          chatWrapper: servingChatWrapper(model).wrapper,
        });
        session.setChatHistory(toChatHistory(messages.slice(0, -1)));
        await session.prompt(messages.at(-1)?.content as string, { maxTokens: 1, temperature: 0 });
        // the sampled token is not evaluated yet: the context holds the prompt, token for token
        expect(Array.from(sequence.contextTokens)).toEqual(py.conversations[2]?.prompt_ids);
      } finally {
        await context.dispose();
      }
    });

    it("LlamaGenerator serves with that wrapper", async () => {
      const runtime = await LlamaRuntime.create();
      try {
        const generator = await runtime.createGenerator({ modelPath: base.gguf, contextSize: 512, threads: 2 });
        const messages = CONVERSATIONS[2]?.messages as ChatMessage[];
        const result = await generator.doGenerate({ messages, maxTokens: 1, temperature: 0 });
        // node-llama-cpp's token meter counts the last prompt token with the first sampled one (measured: the
        // context holds all n prompt tokens, usedInputTokens grows by n - 1); another template differs by more
        expect(result.promptTokens).toBe(renderChatPrompt(model, messages).tokens.length - 1);
        await generator.dispose();
      } finally {
        await runtime.dispose();
      }
    });
  });
});
