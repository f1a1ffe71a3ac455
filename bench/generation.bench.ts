/**
 * Generation speed (issue 12): Wayfarer's llama provider against a bare node-llama-cpp loop on the same GGUF,
 * prompt and threads, in the same process, plus the memory-bandwidth ceiling and the server under load.
 *
 *   npx tsx bench/generation.bench.ts [--model FILE] [--threads N] [--tokens N] [--rounds N] [--json]
 *
 * Measures:
 * - memory bandwidth: `Float64Array.set` copies of a 512 MiB buffer in this process (bytes read + written per
 *   second, best of 5; one thread). Decoding one token reads every weight once, so bandwidth / model bytes is the
 *   ceiling on batch-1 decode tokens/s (an upper bound: llama.cpp's threads may reach more bandwidth than one
 *   JS thread, and the KV cache adds reads);
 * - decode tokens/s at batch 1: (tokens - 1) / (time of the last token - time of the first), prompt excluded —
 *   `bare`: `LlamaContextSequence.evaluate` over the chat-templated prompt tokens, greedy, stopping at an
 *   end-of-generation token or the token budget; `wayfarer`: `LlamaGenerator.doStream` with the same messages;
 * - total tokens/s with 4 parallel sequences: 4 calls at once on one context with 4 sequences (both sides),
 *   generated tokens / wall time from the first call to the last token (prompt processing included), against
 *   the same measure for one call on a 1-sequence context;
 * - the server: `WayfarerServer` + ChatService (4 sequences), non-streaming /v1/chat/completions of
 *   `--server-tokens` (default 16) tokens from 1, 4 and 16 concurrent clients (each sends ceil(8 / clients)
 *   requests in a row): requests/s and p50/p95 latency.
 * Rounds alternate bare and wayfarer (`--rounds`, default 3) and report the median, so a noisy neighbour hits
 * both sides alike. Prints a table and (with --json) one JSON line.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { type LlamaContext, type LlamaModel, resolveChatWrapper, type Token } from "node-llama-cpp";
import { LlamaRuntime } from "../src/models/llama-generator.ts";
import { ChatService } from "../src/server/chat-service.ts";
import { WayfarerServer } from "../src/server/server.ts";
import { Store } from "../src/store/store.ts";
import { SMOLLM2_GGUF } from "../test/helpers/paths.ts";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const MODEL = arg("model", SMOLLM2_GGUF);
const THREADS = Number(arg("threads", String(Math.max(1, availableParallelism()))));
const TOKENS = Number(arg("tokens", "128"));
const ROUNDS = Number(arg("rounds", "3"));
const SERVER_TOKENS = Number(arg("server-tokens", "16"));
const SYSTEM = "You are a helpful travel assistant.";
const PROMPTS = [
  "Write a long, detailed guide to three days in Lisbon, hour by hour.",
  "Describe every step of travelling by train from Paris to Rome, in detail.",
  "List and describe twenty things to do in Tokyo, with tips for each.",
  "Explain how to plan a two-week backpacking trip through Vietnam, day by day.",
];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
};

/** Bytes read + written per second by a large typed-array copy (best of 5). */
function memoryBandwidth(): number {
  const n = (512 * 1024 * 1024) / 8;
  const src = new Float64Array(n).fill(1.5);
  const dst = new Float64Array(n);
  let best = 0;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    dst.set(src);
    const s = (performance.now() - t0) / 1000;
    best = Math.max(best, (2 * n * 8) / s);
  }
  return best;
}

interface Run {
  tokens: number;
  /** ms of the first and last generated token, from the call. */
  first: number;
  last: number;
}

const decodeRate = (r: Run) => (r.tokens - 1) / ((r.last - r.first) / 1000);

/** The bare loop: chat-templated prompt tokens -> sequence.evaluate, greedy, until EOG or `TOKENS`. */
async function bareGenerate(model: LlamaModel, context: LlamaContext, prompt: string, t0: number): Promise<Run> {
  const wrapper = resolveChatWrapper(model);
  const { contextText } = wrapper.generateContextState({
    chatHistory: [
      { type: "system", text: SYSTEM },
      { type: "user", text: prompt },
      { type: "model", response: [] },
    ],
  });
  const input = contextText.tokenize(model.tokenizer);
  const sequence = context.getSequence();
  const run: Run = { tokens: 0, first: 0, last: 0 };
  try {
    for await (const token of sequence.evaluate(input as Token[], { temperature: 0 })) {
      if (model.isEogToken(token)) break;
      const now = performance.now() - t0;
      if (run.tokens === 0) run.first = now;
      run.last = now;
      if (++run.tokens >= TOKENS) break;
    }
  } finally {
    sequence.dispose();
  }
  return run;
}

async function main(): Promise<void> {
  const log = (m: string) => console.error(`[${(performance.now() / 1000).toFixed(1)} s] ${m}`);
  const bandwidth = memoryBandwidth();
  log(`bandwidth ${(bandwidth / 1e9).toFixed(2)} GB/s`);
  const modelBytes = statSync(MODEL).size;
  const runtime = await LlamaRuntime.create();
  const model = await runtime.loadModel(MODEL);
  const bare1 = await model.createContext({ contextSize: 1024, threads: THREADS, sequences: 1 });
  const bare4 = await model.createContext({ contextSize: 1024, threads: THREADS, sequences: 4 });
  const ours1 = await runtime.createGenerator({ modelPath: MODEL, contextSize: 1024, threads: THREADS, sequences: 1 });
  const ours4 = await runtime.createGenerator({ modelPath: MODEL, contextSize: 1024, threads: THREADS, sequences: 4 });
  const messages = (p: string) => [
    { role: "system" as const, content: SYSTEM },
    { role: "user" as const, content: p },
  ];
  const oursGenerate = async (g: typeof ours1, prompt: string, t0: number): Promise<Run> => {
    const run: Run = { tokens: 0, first: 0, last: 0 };
    const { stream } = await g.doStream({ messages: messages(prompt), maxTokens: TOKENS, temperature: 0 });
    for await (const part of stream) {
      if (part.type === "text-delta") {
        const now = performance.now() - t0;
        if (run.first === 0) run.first = now;
        run.last = now;
      } else if (part.type === "finish") run.tokens = part.usage.completionTokens;
    }
    return run;
  };
  // warm-up (page the weights in, build both paths once)
  log(`warm-up bare: ${(await bareGenerate(model, bare1, PROMPTS[0]!, performance.now())).tokens} tokens`);
  log(`warm-up wayfarer: ${(await oursGenerate(ours1, PROMPTS[0]!, performance.now())).tokens} tokens`);

  const samples = {
    bare1: [] as number[],
    ours1: [] as number[],
    bare1Total: [] as number[],
    ours1Total: [] as number[],
    bare4: [] as number[],
    ours4: [] as number[],
  };
  const tokensSeen = { bare1: 0, ours1: 0 };
  const total = async (f: (p: string, t0: number) => Promise<Run>, n: number) => {
    const t0 = performance.now();
    const runs = await Promise.all(PROMPTS.slice(0, n).map((p) => f(p, t0)));
    return runs.reduce((a, r) => a + r.tokens, 0) / ((performance.now() - t0) / 1000);
  };
  for (let round = 0; round < ROUNDS; round++) {
    const b = await bareGenerate(model, bare1, PROMPTS[0]!, performance.now());
    const o = await oursGenerate(ours1, PROMPTS[0]!, performance.now());
    samples.bare1.push(decodeRate(b));
    samples.ours1.push(decodeRate(o));
    tokensSeen.bare1 = b.tokens;
    tokensSeen.ours1 = o.tokens;
    log(`round ${round}: batch 1 bare ${decodeRate(b).toFixed(1)}, wayfarer ${decodeRate(o).toFixed(1)} tokens/s`);
    samples.bare1Total.push(await total((p, t0) => bareGenerate(model, bare1, p, t0), 1));
    samples.ours1Total.push(await total((p, t0) => oursGenerate(ours1, p, t0), 1));
    samples.bare4.push(await total((p, t0) => bareGenerate(model, bare4, p, t0), 4));
    samples.ours4.push(await total((p, t0) => oursGenerate(ours4, p, t0), 4));
    log(
      `round ${round}: 4 sequences bare ${samples.bare4.at(-1)!.toFixed(1)}, wayfarer ${samples.ours4.at(-1)!.toFixed(1)} tokens/s`,
    );
  }
  await bare1.dispose();
  await bare4.dispose();
  await ours1.dispose();

  // server under load
  const dir = mkdtempSync(join(tmpdir(), "wf-gen-bench-"));
  const store = Store.open(join(dir, "store.sqlite"));
  const chat = new ChatService({
    variants: [{ name: "smol", base: "smollm2", createGenerator: async () => ours4 }],
    defaults: { maxTokens: TOKENS, temperature: 0 },
  });
  const server = await WayfarerServer.create({ store, port: 0, chat });
  const serverRows: Array<{ clients: number; requests: number; rps: number; p50: number; p95: number }> = [];
  for (const clients of [1, 4, 16]) {
    const perClient = Math.max(1, Math.ceil(8 / clients));
    const latencies: number[] = [];
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        for (let i = 0; i < perClient; i++) {
          const s = performance.now();
          const res = await fetch(`${server.url}/v1/chat/completions`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
              model: "smol",
              max_tokens: SERVER_TOKENS,
              messages: [{ role: "user", content: PROMPTS[(c + i) % PROMPTS.length] }],
            }),
          });
          if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
          await res.json();
          latencies.push((performance.now() - s) / 1000);
        }
      }),
    );
    const wall = (performance.now() - t0) / 1000;
    log(`server: ${clients} clients, ${latencies.length} requests in ${wall.toFixed(1)} s`);
    serverRows.push({
      clients,
      requests: latencies.length,
      rps: latencies.length / wall,
      p50: quantile(latencies, 0.5),
      p95: quantile(latencies, 0.95),
    });
  }
  await server.dispose();
  await chat.dispose();
  store.dispose();
  rmSync(dir, { recursive: true, force: true });
  await runtime.dispose();

  const r = {
    model: MODEL.split("/").at(-1),
    modelMiB: modelBytes / 2 ** 20,
    threads: THREADS,
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? "?"}`,
    loadavg1: loadavg()[0] ?? 0,
    tokens: TOKENS,
    serverTokens: SERVER_TOKENS,
    rounds: ROUNDS,
    bandwidthGBs: bandwidth / 1e9,
    ceilingTokS: bandwidth / modelBytes,
    bare1: median(samples.bare1),
    ours1: median(samples.ours1),
    bare1Total: median(samples.bare1Total),
    ours1Total: median(samples.ours1Total),
    bare4: median(samples.bare4),
    ours4: median(samples.ours4),
    tokensPerRun: tokensSeen,
    server: serverRows,
  };
  const f = (x: number) => x.toFixed(1);
  console.log(
    `model ${r.model} (${f(r.modelMiB)} MiB), ${r.threads} threads, ${r.cpus}, load ${r.loadavg1.toFixed(2)}`,
  );
  console.log(`memory bandwidth ${r.bandwidthGBs.toFixed(2)} GB/s -> ceiling ${f(r.ceilingTokS)} tokens/s at batch 1`);
  console.log("| measure | bare node-llama-cpp | wayfarer | wayfarer / bare |");
  console.log("|---|---:|---:|---:|");
  console.log(`| decode tokens/s, batch 1 | ${f(r.bare1)} | ${f(r.ours1)} | ${(r.ours1 / r.bare1).toFixed(2)} |`);
  console.log(`| total tokens/s, 4 sequences | ${f(r.bare4)} | ${f(r.ours4)} | ${(r.ours4 / r.bare4).toFixed(2)} |`);
  console.log(
    `| total tokens/s, 1 sequence (prompt included) | ${f(r.bare1Total)} | ${f(r.ours1Total)} | ${(r.ours1Total / r.bare1Total).toFixed(2)} |`,
  );
  console.log(
    `| total tokens/s, 4 sequences / 1 sequence | ${(r.bare4 / r.bare1Total).toFixed(2)} | ${(r.ours4 / r.ours1Total).toFixed(2)} | |`,
  );
  console.log(
    `| batch 1 / ceiling | ${(r.bare1 / r.ceilingTokS).toFixed(2)} | ${(r.ours1 / r.ceilingTokS).toFixed(2)} | |`,
  );
  console.log("\n| clients | requests | requests/s | p50 s | p95 s |\n|---:|---:|---:|---:|---:|");
  for (const s of r.server)
    console.log(`| ${s.clients} | ${s.requests} | ${s.rps.toFixed(2)} | ${s.p50.toFixed(2)} | ${s.p95.toFixed(2)} |`);
  if (process.argv.includes("--json")) console.log(JSON.stringify(r));
}

await main();
