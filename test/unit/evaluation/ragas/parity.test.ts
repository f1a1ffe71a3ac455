/**
 * Parity with the ragas library itself (ragas 0.4.3). test/fixtures/ragas/ holds what ragas' own legacy
 * metric classes sent and scored on 45 rows from ../shared/data/wanderchat (+3 edge rows), with a
 * deterministic fake LLM and fake embeddings plugged into ragas (scripts/fixtures/ragas_fixtures.py).
 *
 * The fixtures hold no shared-data text (../shared/data/README.md: never copy it into the project), so
 * the rows are rebuilt from ../shared/data and the fake LLM is reproduced in TypeScript
 * (ragas-fixture-data.ts), every text checked against the sha256 the script recorded; without the shared
 * data the parity tests skip. A real OpenAI-compatible HTTP server on 127.0.0.1 answers a request only
 * when its single user message is, byte for byte, the prompt ragas sent at that point of the call
 * sequence: the ragas-authored part (instruction, schema, examples) is stored verbatim and a mismatch
 * there fails with the first differing character; the whole prompt, input included, must have the
 * sha256 of ragas' prompt (a mismatch in the rendered input shows our input). Anything else gets HTTP
 * 400 and fails the test. Our metrics run through the OpenAI-compatible client against it, with an
 * embedder that serves the vectors ragas got (and fails on any text ragas did not embed, in another
 * order). Scores must equal ragas' to 1e-12 (TOLERANCE); rows ragas scored NaN must be
 * `status: "error"` with value null. Each metric runs with its ragas-parity options (PARITY_OPTIONS), where
 * Wayfarer's default deliberately differs from ragas.
 *
 * A few rows (the fixture's `fault`) get a prose reply ragas cannot parse: ragas' FixOutputFormat calls
 * that follow are checked like any other call (prompt hash included), and the cost must count them.
 *
 * Not compared, by design (see src/evaluation/ragas/common.ts): temperature of single-sample steps
 * (ragas 0.01, ours 0 = greedy) and answer relevancy's n = 3 samples in one request (ours: 3 requests
 * with the same prompt, each answered with the next recorded sample). The embedder is in-process rather
 * than /v1/embeddings: Wayfarer has no OpenAI-compatible embedding client; `TextEmbedder` is the seam.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TextEmbedder } from "../../../../src/evaluation/metrics/embedding.ts";
import { EVALUATORS, type EvaluatorContext } from "../../../../src/evaluation/registry.ts";
import type { EvaluationInput } from "../../../../src/evaluation/types.ts";
import { type FakeChatRequest, type FakeOpenAI, type FakeReply, startFakeOpenAI } from "../judge/fake-openai-server.ts";
import {
  DATA_DIR,
  type Fault,
  type FixtureRow,
  fakeReplies,
  HAVE_DATA,
  loadRows,
  sha256,
} from "./ragas-fixture-data.ts";

const DIR = new URL("../../../fixtures/ragas/", import.meta.url);
const load = <T>(name: string): T => JSON.parse(readFileSync(new URL(name, DIR), "utf8")) as T;

type Call =
  | {
      type: "chat";
      prompt: string;
      sha256: string;
      n: number;
      temperature: number;
      replies_sha256: string[];
    }
  | { type: "embed"; method: string; texts_sha256: string[] };
interface MetricFixture {
  ragas_version: string;
  prompts: Record<string, string>;
  /** sha256(text) -> vector */
  embeddings: Record<string, number[]>;
  rows: Array<{ id: string; score: number | null; fault?: Fault; error?: string; calls: Call[] }>;
}

/**
 * Required agreement. The brief asked for 1e-6; we hold 1e-12 (observed: 0 for the counting metrics,
 * <= 5e-16 where embeddings are involved, numpy's dot vs our loop) so that even ragas' 1e-10 in context
 * precision's denominator is checked.
 */
const TOLERANCE = 1e-12;

const rows = new Map<string, FixtureRow>(
  HAVE_DATA ? loadRows(load<{ rows: Parameters<typeof loadRows>[0] }>("rows.json").rows).map((r) => [r.id, r]) : [],
);

/** Where two strings first differ, with some text around it. */
function firstDifference(expected: string, actual: string): string {
  let i = 0;
  while (i < expected.length && i < actual.length && expected[i] === actual[i]) i++;
  const around = (s: string) => JSON.stringify(s.slice(Math.max(0, i - 60), i + 60));
  return `prompts differ at character ${i}\n  ragas: ${around(expected)}\n  ours:  ${around(actual)}`;
}

interface Expected {
  prefix: string;
  sha256: string;
  n: number;
  /** Sample k of n (answer relevancy's n = strictness samples come as n requests). */
  k: number;
  temperature: number;
  repliesSha256: string[];
  /** The row's fault, the call's number among the row's chat calls and among its FixOutputFormat calls (-1: not one). */
  fault: Fault | null;
  chatIndex: number;
  fixIndex: number;
}
let queue: Expected[] = [];
const failures: string[] = [];
/** Replies the fake LLM has produced in this metric run (the Python fake numbers them the same way). */
let counter = 0;
let samples: string[] = [];
let fake: FakeOpenAI;

function respond(req: FakeChatRequest): FakeReply {
  const next = queue.shift();
  const content = req.messages.length === 1 && req.messages[0]!.role === "user" ? req.messages[0]!.content : null;
  let problem: string | undefined;
  if (!next) problem = "a request ragas did not make (more calls than ragas)";
  else if (content === null)
    problem = `expected one user message, got ${JSON.stringify(req.messages.map((m) => m.role))}`;
  else if (!content.startsWith(next.prefix))
    problem = firstDifference(next.prefix, content.slice(0, next.prefix.length));
  else if (sha256(content) !== next.sha256)
    problem = `the rendered input differs from ragas' (sha256); ours: ${JSON.stringify(content.slice(next.prefix.length, next.prefix.length + 400))}`;
  else if (req.temperature !== next.temperature)
    problem = `temperature ${req.temperature}, expected ${next.temperature}`;
  if (!problem && next!.k === 0) {
    samples = fakeReplies(content!, next!.n, counter, next!.fault, next!.chatIndex, next!.fixIndex);
    counter += next!.n;
    const drift = samples.findIndex((r, i) => sha256(r) !== next!.repliesSha256[i]);
    if (drift !== -1)
      problem = `ragas-fixture-data.ts fake LLM drifted from the Python one (reply ${drift}): ${samples[drift]}`;
  }
  if (problem) {
    failures.push(problem);
    return { status: 400, message: problem };
  }
  // one token each way per request, so a row's cost counts its requests
  return { content: samples[next!.k]!, promptTokens: 1, completionTokens: 1 };
}

/** Serves the vectors ragas used (keyed by sha256 of the text); records what was asked. */
class RecordedEmbedder implements TextEmbedder {
  readonly modelId = "ragas-fixture-hashed-bow-48";
  asked: string[] = [];
  constructor(private readonly vectors: Record<string, number[]>) {}
  async embed(texts: readonly string[]): Promise<number[][]> {
    return texts.map((t) => {
      const h = sha256(t);
      this.asked.push(h);
      const v = this.vectors[h];
      if (!v) throw new Error(`embedding of a text ragas never embedded: ${JSON.stringify(t.slice(0, 80))}`);
      return v;
    });
  }
  async dispose(): Promise<void> {}
}

beforeAll(async () => {
  fake = await startFakeOpenAI((req) => respond(req));
});
afterAll(async () => {
  await fake.close();
});

/**
 * The options that restore ragas 0.4.3's arithmetic where Wayfarer's default deliberately differs
 * (src/evaluation/ragas/common.ts): context precision's 1e-10 in the denominator; answer relevancy's
 * empty questions in the mean and its "all noncommittal" rule.
 */
const PARITY_OPTIONS = {
  faithfulness: {},
  "answer-relevancy": { noncommittal: "all", emptyQuestions: "include" },
  "context-precision": { ragasEpsilon: true },
  "context-recall": {},
  "answer-correctness": {},
} as const;

const METRICS = [
  ["faithfulness", "ragas-faithfulness"],
  ["answer-relevancy", "ragas-answer-relevancy"],
  ["context-precision", "ragas-context-precision"],
  ["context-recall", "ragas-context-recall"],
  ["answer-correctness", "ragas-answer-correctness"],
] as const;

describe.skipIf(!HAVE_DATA)(`parity with ragas 0.4.3 (needs ${DATA_DIR})`, () => {
  describe.each(METRICS)("%s", (file, id) => {
    const fx = load<MetricFixture>(`${file}.json`);
    const needsContexts = file === "faithfulness" || file.startsWith("context-");

    it("fixture integrity", () => {
      expect(fx.ragas_version).toBe("0.4.3");
      for (const r of fx.rows) {
        expect(rows.has(r.id), r.id).toBe(true);
        for (const c of r.calls) if (c.type === "chat") expect(c.replies_sha256.length).toBe(c.n);
      }
    });

    it(`same prompts, same call order and scores within 1e-12 on ${fx.rows.length} rows`, async () => {
      counter = 0;
      let maxDiff = 0;
      let nan = 0;
      const retried: string[] = [];
      for (const fr of fx.rows) {
        const row = rows.get(fr.id)!;
        const chats = fr.calls.filter((c) => c.type === "chat");
        queue = chats.flatMap((c, chatIndex) => {
          const fixIndex =
            c.prompt === "fix_output_format"
              ? chats.slice(0, chatIndex).filter((x) => x.prompt === "fix_output_format").length
              : -1;
          return c.replies_sha256.map((_, k) => ({
            prefix: fx.prompts[c.prompt]!,
            sha256: c.sha256,
            n: c.n,
            k,
            temperature: c.n > 1 ? c.temperature : 0,
            repliesSha256: c.replies_sha256,
            fault: fr.fault ?? null,
            chatIndex,
            fixIndex,
          }));
        });
        const requests = queue.length;
        failures.length = 0;
        const embedder = new RecordedEmbedder(fx.embeddings);
        const ctx: EvaluatorContext = { judge: fake.generator({ maxRetries: 0 }), embedder };
        const input: EvaluationInput = {
          question: row.question,
          answer: row.response,
          references: [row.reference],
          ...(row.contexts ? { contexts: row.contexts } : {}),
        };
        const r = await EVALUATORS[id].evaluate(input, ctx, { options: PARITY_OPTIONS[file] }).catch((e: Error) => {
          throw new Error(`${fr.id}: ${failures[0] ?? e.message}`);
        });
        expect(failures, fr.id).toEqual([]);
        expect(queue.length, `${fr.id}: ragas made ${queue.length} more LLM calls`).toBe(0);
        const ragasEmbedded = fr.calls.flatMap((c) => (c.type === "embed" ? c.texts_sha256 : []));
        expect(embedder.asked, `${fr.id}: embedded texts`).toEqual(ragasEmbedded);
        expect(r.cost.promptTokens, `${fr.id}: cost counts every request`).toBe(requests);
        const fixes = chats.filter((c) => c.prompt === "fix_output_format").length;
        if (fixes > 0) retried.push(`${fr.id} (${fr.fault?.kind}: ${fixes} fix)`);
        if (fr.score === null) {
          nan++;
          expect(r, fr.id).toMatchObject({ status: "error", value: null });
          if (fr.error) expect(r.reason, fr.id).toMatch(/did not fix it/);
        } else {
          expect(r.status, `${fr.id}: ${r.reason}`).toBe("scored");
          const diff = Math.abs(r.value! - fr.score);
          maxDiff = Math.max(maxDiff, diff);
          expect(diff, `${fr.id}: ours ${r.value}, ragas ${fr.score}`).toBeLessThanOrEqual(TOLERANCE);
        }
      }
      console.info(
        `${id}: ${fx.rows.length} rows (${nan} NaN in ragas), max |ours - ragas| = ${maxDiff}; FixOutputFormat retries: ${retried.join(", ")}`,
      );
      expect(retried.length, "rows with ragas' FixOutputFormat retry").toBeGreaterThan(0);
    });

    if (needsContexts)
      it("rows without retrieved contexts are not-applicable (ragas cannot score them)", async () => {
        const golden = [...rows.values()].filter((r) => !r.contexts);
        expect(golden.length).toBeGreaterThan(0);
        const before = fake.requests.length;
        for (const row of golden) {
          const r = await EVALUATORS[id].evaluate(
            { question: row.question, answer: row.response, references: [row.reference] },
            { judge: fake.generator(), embedder: new RecordedEmbedder({}) },
          );
          expect(r).toMatchObject({ status: "not-applicable", value: null });
        }
        expect(fake.requests.length).toBe(before);
      });
  });
});
