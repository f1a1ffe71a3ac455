/**
 * evaluate.embedder: the sentence encoder of embedding-cosine and Ragas relevancy/correctness in an experiment.
 * An openai-compatible model is called at /embeddings (a loopback fake with hashed vectors); without the section
 * the default is all-MiniLM-L6-v2 from the model cache (skipped when setup has not installed it).
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadExperiment } from "../../../src/config/load.ts";
import { ConfigError } from "../../../src/errors/config-error.ts";
import { cosine } from "../../../src/evaluation/metrics/embedding.ts";
import { defaultMiniLmDir } from "../../../src/evaluation/metrics/support/minilm.ts";
import { SILENT_PROGRESS } from "../../../src/experiment/progress.ts";
import { runExperiment } from "../../../src/experiment/runner.ts";
import "../../../src/report/artifact.ts";
import { evaluateStage } from "../../../src/experiment/stages/evaluate-stage.ts";
import { type FakeOpenAI, startFakeOpenAI } from "../evaluation/judge/fake-openai-server.ts";
import { answersJsonl, TEXT, writeStage } from "./stage-fixtures.ts";

/** 8-d bag of letters: a deterministic, text-dependent vector. */
const vec = (t: string) => {
  const v = new Array<number>(8).fill(0);
  for (const ch of t.toLowerCase()) if (ch >= "a" && ch <= "z") v[ch.charCodeAt(0) % 8]! += 1;
  return v;
};

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI(
    () => ({ content: "" }),
    (req) => ({ data: req.input.map((t, index) => ({ index, embedding: vec(t) })) }),
  );
});
afterAll(async () => fake.close());

const dir = mkdtempSync(join(tmpdir(), "wf-embedder-stage-"));
const config = (evaluate: string) => `name: emb
workspace: ws
import:
  inputs: [{ path: data }]
datasets:
  golden: { file: golden.csv }
models:
  m: { provider: llama, path: smollm2-135m-instruct-q4_1 }
  e: { provider: openai-compatible, baseURL: "${fake.baseURL}", model: text-embedding-3-small }
generate:
  variants: [{ name: base, model: m }, { name: tuned, model: m }, { name: short, model: m }]
evaluate:
  evaluators: [embedding-cosine]
${evaluate}`;
const write = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};
const scores = (runDir: string) =>
  readFileSync(join(runDir, "evaluate", "scores.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map(
      (l) => JSON.parse(l) as { variant: string; itemId: string; evaluator: string; value: number; signature: string },
    );

describe("evaluate.embedder", () => {
  it("names a model of the file; an unknown one is refused with the field", async () => {
    const err = await loadExperiment(write("bad.yaml", config("  embedder: { model: nope }"))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/field "evaluate.embedder.model": no model "nope"/);
    const ok = await loadExperiment(write("ok.yaml", config("  embedder: { model: e }")));
    expect(evaluateStage.settings(ok)).toMatchObject({
      embedder: { provider: "openai-compatible", model: "text-embedding-3-small" },
    });
  });

  it("an openai-compatible embedder scores embedding-cosine through /embeddings", async () => {
    const exp = await loadExperiment(write("run.yaml", config("  embedder: { model: e }")));
    writeStage(exp.runDir, "generate", { "answers.jsonl": answersJsonl() });
    writeStage(exp.runDir, "datasets");
    writeStage(exp.runDir, "train");
    const before = fake.embeddingRequests.length;
    await runExperiment({ exp, progress: SILENT_PROGRESS, only: ["evaluate"], env: {} });
    expect(fake.embeddingRequests.length).toBeGreaterThan(before);
    const rows = scores(exp.runDir);
    expect(rows).toHaveLength(12);
    for (const r of rows) {
      expect(r.value).toBeCloseTo(cosine(vec(TEXT[r.variant]![r.itemId]!), vec(`gold ${r.itemId}`)), 12);
      expect(r.signature).toContain("model:openai-compatible:text-embedding-3-small");
    }
  });

  const home = process.env.WAYFARER_HOME;
  it.skipIf(!existsSync(join(defaultMiniLmDir(), "onnx", "model.onnx")))(
    "without the section, all-MiniLM-L6-v2 from the model cache",
    async () => {
      // its own name: a second file named "emb" would be refused (the run folder belongs to run.yaml)
      const exp = await loadExperiment(write("default.yaml", config("").replace("name: emb", "name: emb-default")));
      writeStage(exp.runDir, "generate", { "answers.jsonl": answersJsonl() });
      writeStage(exp.runDir, "datasets");
      writeStage(exp.runDir, "train");
      const before = fake.embeddingRequests.length;
      await runExperiment({
        exp,
        progress: SILENT_PROGRESS,
        only: ["evaluate"],
        env: home ? { WAYFARER_HOME: home } : {},
      });
      expect(fake.embeddingRequests.length).toBe(before);
      const rows = scores(exp.runDir);
      expect(rows).toHaveLength(12);
      expect(rows.every((r) => r.signature.includes("model:all-minilm-l6-v2:mean:256"))).toBe(true);
      const by = (v: string, q: string) => rows.find((r) => r.variant === v && r.itemId === q)!.value;
      // MiniLM cosines are real similarities in (-1, 1), not the hashed vectors above
      expect(by("tuned", "q1")).toBeGreaterThan(-1);
      expect(by("tuned", "q1")).toBeLessThan(1);
      expect(new Set(rows.map((r) => r.value.toFixed(6))).size).toBeGreaterThan(6);
    },
    60_000,
  );
});
