import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ModelConfig } from "../../../src/config/experiment.ts";
import { type RaftDatasetConfig, RaftDatasetSchema } from "../../../src/config/raft.ts";
import { buildRaftDataset, parseQuestions } from "../../../src/datasets/raft.ts";
import { checkCotAnswer } from "../../../src/datasets/raft-check.ts";
import { createTeacher } from "../../../src/datasets/teacher.ts";
import { LlamaRuntime } from "../../../src/models/llama-generator.ts";
import { importThreads, readThreadsJsonl } from "../../../src/reddit/import.ts";
import type { Thread } from "../../../src/reddit/thread.ts";
import { chunkThreads } from "../../../src/retrieval/chunk.ts";
import { RetrievalIndex } from "../../../src/retrieval/index.ts";
import { Store } from "../../../src/store/store.ts";
import { type FakeOpenAI, startFakeOpenAI, userPrompt } from "../evaluation/judge/fake-openai-server.ts";

/**
 * Fake teacher (OpenAI-shaped, on 127.0.0.1): three questions per document; the answer to the first quotes the
 * document verbatim (valid), the second has no <ANSWER>: tag, the third quotes text that is not in the document.
 * Question generation for the document in `failDoc` returns HTTP 400 (a teacher error).
 */
let fake: FakeOpenAI;
let failDoc = "";
let dir: string;
let store: Store;
let threads: Thread[];
let index: RetrievalIndex;
/** Documents long enough to be oracles (minChunkTokens 24). */
let oracles = 0;

beforeAll(async () => {
  fake = await startFakeOpenAI((req) => {
    const system = req.messages[0]?.content ?? "";
    const user = userPrompt(req);
    if (system.includes("synthetic question-answer pair generator")) {
      const doc = /<DOCUMENT>([\s\S]*)<\/DOCUMENT>/.exec(user)?.[1] ?? "";
      if (doc === failDoc) return { status: 400, message: "bad request" };
      const w = doc.split(/\s+/);
      return {
        content: `Here are the questions:\n1. What about ${w[0]} ${w[1]}?\n2. Is ${w[2]} ${w[3]} true?\n3) Why did they say ${w[4]}?`,
      };
    }
    const question = /^Question: (.*)$/m.exec(user)?.[1] ?? "";
    const context = /\nContext: ([\s\S]*?)\n\nAnswer this question/.exec(user)?.[1] ?? "";
    if (question.startsWith("What"))
      return {
        content: `The context says ##begin_quote##${context.slice(0, 40)}##end_quote## and that settles it.\n<ANSWER>: ${context.slice(0, 10)}`,
      };
    if (question.startsWith("Is")) return { content: "It is probably true, I think." };
    return { content: "##begin_quote##Paris is the capital of Peru##end_quote##\n<ANSWER>: Peru" };
  });
  dir = mkdtempSync(join(tmpdir(), "wayfarer-raft-"));
  store = Store.open(join(dir, "store.db"));
  await importThreads({ inputs: [{ path: "examples/quickstart/threads" }], outFile: join(dir, "threads.jsonl") });
  threads = [];
  for await (const t of readThreadsJsonl(join(dir, "threads.jsonl"))) threads.push(t);
  const { documents } = chunkThreads(threads.slice(0, 4), { chunkTokens: 100, overlapTokens: 8, countTokens: () => 1 });
  index = await RetrievalIndex.fromDocuments(documents, { settings: { dense: false } });
  oracles = index.documents.filter((d) => d.tokens >= 24).length;
  failDoc = index.documents.find((d) => d.tokens >= 24)!.text;
}, 60_000);
afterAll(async () => {
  store?.dispose();
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

const models = (): Record<string, ModelConfig> => ({
  teacher: {
    provider: "openai-compatible",
    baseURL: fake.baseURL,
    model: "fake",
    apiKeyEnv: "NONE",
    structuredOutputs: true,
  },
});
const settings = (extra: Record<string, unknown> = {}): RaftDatasetConfig =>
  RaftDatasetSchema.parse({ teacher: "teacher", ...extra });
async function build(extra: Record<string, unknown> = {}) {
  const teacher = await createTeacher({
    store,
    experiment: "raft",
    modelKey: "teacher",
    models: models(),
    runtime: () => Promise.reject(new Error("no llama here")),
    env: {},
    seed: 42,
    sleep: async () => {},
  });
  const r = await buildRaftDataset({ index, teacher, settings: settings(extra), seed: 42, systemPrompt: "SYS" });
  return { ...r, usage: { ...teacher.usage } };
}

describe("buildRaftDataset against an OpenAI-compatible teacher", () => {
  it("builds gorilla records, counts broken teacher replies by reason and drops them", async () => {
    const { records, counts, usage } = await build();
    const ok = oracles - 1;
    expect(ok).toBeGreaterThanOrEqual(3);
    expect(counts.documents).toBe(index.documents.length);
    expect(counts.chunksUsed).toBe(oracles);
    expect(counts.questionReplies).toEqual({ ok, teacherError: 1, noQuestions: 0 });
    expect(counts.questions).toBe(3 * ok);
    expect(counts.answers).toEqual({
      teacherError: 0,
      valid: ok,
      invalid: 2 * ok,
      failures: { "no-answer-tag": ok, "no-quote": ok, "quote-not-in-oracle": ok },
    });
    expect(counts.examples).toBe(ok);
    expect(counts.dropped).toBe(2 * ok);
    expect(counts.droppedBy).toEqual({ "quote-not-in-oracle": ok, "no-answer-tag": ok });
    expect(usage.calls).toBe(oracles + 3 * ok);
    expect(records).toHaveLength(ok);
    for (const r of records) {
      expect(Object.keys(r).slice(0, 7)).toEqual([
        "id",
        "type",
        "question",
        "context",
        "oracle_context",
        "cot_answer",
        "instruction",
      ]);
      expect(checkCotAnswer(r.cot_answer, r.oracle_context, { requireQuote: true }).failures).toEqual([]);
      const docs = r.context.sentences[0]!;
      expect(docs).toHaveLength(5); // the oracle + 4, or 5 distractors
      expect(docs.includes(r.oracle_context)).toBe(r.oracle_in_context);
      expect(r.context.title[0]).toHaveLength(docs.length);
      expect(new Set(r.document_ids).size).toBe(docs.length);
      const oracleThread = index.get(r.oracle_id)!.source.threadId;
      for (const id of r.document_ids.filter((d) => d !== r.oracle_id))
        expect(index.get(id)!.source.threadId).not.toBe(oracleThread);
      expect(r.instruction).toBe(`${docs.map((d) => `<DOCUMENT>${d}</DOCUMENT>\n`).join("")}${r.question}`);
      expect(r.messages).toEqual([
        { role: "system", content: "SYS" },
        { role: "user", content: r.instruction },
        { role: "assistant", content: r.cot_answer },
      ]);
      expect([r.prompt, r.completion]).toEqual([r.instruction, r.cot_answer]);
      expect(r.id).toMatch(/^raft:.+:q0$/);
    }
  });

  it("a rerun is byte-identical and calls no model; changing P changes only the contexts", async () => {
    const a = await build();
    const before = fake.requests.length;
    const b = await build();
    // only the failed question call is retried (error rows are), and fails again
    expect(fake.requests.length).toBe(before + 1);
    expect(b.usage).toMatchObject({ calls: 1, errors: 1 });
    expect(JSON.stringify(b.records)).toBe(JSON.stringify(a.records));

    const all = await build({ oracleProbability: 1 });
    const none = await build({ oracleProbability: 0 });
    expect(all.usage.calls + none.usage.calls).toBe(2); // the retried failure again, nothing else
    expect(fake.requests.length).toBe(before + 3);
    expect(all.records.every((r) => r.oracle_in_context)).toBe(true);
    expect(none.records.every((r) => !r.oracle_in_context)).toBe(true);
    for (const [i, r] of all.records.entries()) {
      const same = a.records[i]!;
      expect([r.id, r.question, r.cot_answer]).toEqual([same.id, same.question, same.cot_answer]);
      if (same.oracle_in_context) expect(r).toEqual(same);
      // the distractors are drawn once: the no-oracle context holds the same k plus one more
      expect(none.records[i]!.document_ids).toEqual(
        expect.arrayContaining(r.document_ids.filter((d) => d !== r.oracle_id)),
      );
    }
  });

  it("dropInvalid: false keeps failing answers, flagged; hard negatives come from the index ranking", async () => {
    const kept = await build({ dropInvalid: false });
    expect(kept.records).toHaveLength(3 * (oracles - 1));
    expect(kept.records.filter((r) => r.failures.length > 0)).toHaveLength(2 * (oracles - 1));
    const hard = await build({ distractorSource: "hard", hardNegativeMode: "bm25", oracleProbability: 1 });
    for (const r of hard.records) {
      const oracleThread = index.get(r.oracle_id)!.source.threadId;
      const ranked = (await index.search(r.question, { k: 60, mode: "bm25" }))
        .filter((h) => h.source.threadId !== oracleThread)
        .map((h) => h.id);
      const distractors = r.document_ids.filter((d) => d !== r.oracle_id);
      // BM25's best of other threads first; when fewer than 4 match at all, random ones fill up
      expect(distractors).toHaveLength(4);
      expect(distractors).toEqual(expect.arrayContaining(ranked.slice(0, 4)));
    }
  });

  it("parses numbered, bulleted and quoted questions", () => {
    expect(
      parseQuestions('1. "Where to stay?"\n- How much is it?\nSure!\n2) where to stay?\nQ3: Best time?', 5),
    ).toEqual(["Where to stay?", "How much is it?", "Best time?"]);
    expect(parseQuestions("Tell me about trains in Italy", 2)).toEqual(["Tell me about trains in Italy"]);
    expect(parseQuestions("", 2)).toEqual([]);
  });

  it("rejects out-of-range settings and unknown keys", () => {
    expect(() => RaftDatasetSchema.parse({ teacher: "t", oracleProbability: 1.5 })).toThrow();
    expect(() => RaftDatasetSchema.parse({ teacher: "t", distractor: 3 })).toThrow(/distractor/);
    expect(RaftDatasetSchema.parse({ teacher: "t" })).toMatchObject({ oracleProbability: 0.8, distractors: 4 });
  });
});

describe("a local SmolLM2 teacher", () => {
  it("writes questions and answers for one document; whatever it writes is counted, never a crash", async () => {
    const runtime = await LlamaRuntime.create();
    try {
      const smol: Record<string, ModelConfig> = {
        smol: { provider: "llama", path: "smollm2-135m-instruct-q4_1", contextSize: 1024, threads: 1 },
      };
      const one = await RetrievalIndex.fromDocuments(index.documents.slice(0, 8) as never, {
        settings: { dense: false },
      });
      const mk = () =>
        createTeacher({
          store,
          experiment: "raft-local",
          modelKey: "smol",
          models: smol,
          runtime: async () => runtime,
          seed: 1,
        });
      const s = RaftDatasetSchema.parse({
        teacher: "smol",
        maxChunks: 1,
        questionsPerChunk: 1,
        questionMaxTokens: 24,
        answerMaxTokens: 48,
        distractors: 2,
      });
      const teacher = await mk();
      const r = await buildRaftDataset({ index: one, teacher, settings: s, seed: 1, systemPrompt: "SYS" });
      const q = r.counts.questionReplies;
      expect(q.ok + q.noQuestions + q.teacherError).toBe(1);
      expect(r.counts.questions).toBe(q.ok);
      expect(r.counts.answers.valid + r.counts.answers.invalid + r.counts.answers.teacherError).toBe(
        r.counts.questions,
      );
      expect(r.records).toHaveLength(r.counts.answers.valid);
      expect(teacher.usage.calls).toBe(1 + r.counts.questions);
      expect(r.counts.teacher.signature).toBe("teacher:llama:SmolLM2-135M-Instruct.Q4_1.gguf;seed=1");
      await teacher.dispose();
      const again = await mk();
      const r2 = await buildRaftDataset({ index: one, teacher: again, settings: s, seed: 1, systemPrompt: "SYS" });
      expect(again.usage.calls).toBe(0);
      expect(JSON.stringify(r2.records)).toBe(JSON.stringify(r.records));
      await again.dispose();
    } finally {
      await runtime.dispose();
    }
  }, 90_000);
});
