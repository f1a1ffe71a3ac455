/**
 * Evaluator resources (src/evaluation/resources.ts), issue 14 case 9: one place plans, checks and builds what
 * the evaluators need, for `wayfarer score` and the evaluate stage; an experiment listing an evaluator whose
 * resource cannot be built fails before any stage runs. The perplexity run uses SmolLM2-135M from the model
 * cache (skipped when setup has not installed it).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadExperiment } from "../../../src/config/load.ts";
import { ConfigError } from "../../../src/errors/config-error.ts";
import { LlamaTokenScorer } from "../../../src/evaluation/metrics/perplexity.ts";
import { EVALUATORS } from "../../../src/evaluation/registry.ts";
import { evaluatorResourceProblems, resourcesNeeded } from "../../../src/evaluation/resources.ts";
import { SILENT_PROGRESS } from "../../../src/experiment/progress.ts";
import { runExperiment } from "../../../src/experiment/runner.ts";
import {
  checkEvaluateStage,
  EXPERIMENT_RESOURCE_HINTS,
  evaluateResourceSources,
} from "../../../src/experiment/stages/evaluate-stage.ts";
import { LlamaRuntime } from "../../../src/models/llama-generator.ts";
import { resolveGgufPath } from "../../../src/models/model-cache.ts";
import { answersJsonl, Q, TEXT, writeStage } from "../experiment/stage-fixtures.ts";

const SMOL = "smollm2-135m-instruct-q4_1";
const haveSmol = (() => {
  try {
    resolveGgufPath(SMOL);
    return true;
  } catch {
    return false;
  }
})();

const dir = mkdtempSync(join(tmpdir(), "wf-resources-"));
// what preflight checks exists (the import input and the golden set), so only the evaluator check can fail
mkdirSync(join(dir, "data"));
writeFileSync(join(dir, "golden.csv"), "question,answer\nq,a\n");
const experiment = (evaluate: string) => {
  const f = join(dir, `e${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    f,
    `name: res
workspace: ws-${Math.random().toString(36).slice(2)}
import:
  inputs: [{ path: data }]
datasets:
  golden: { file: golden.csv }
models:
  m: { provider: llama, path: ${SMOL} }
  api: { provider: openai-compatible, baseURL: "http://127.0.0.1:9/v1", model: x }
generate:
  variants: [{ name: base, model: m }, { name: tuned, model: m }, { name: short, model: m }]
evaluate:
${evaluate}`,
  );
  return f;
};

describe("evaluator resources", () => {
  it("plans exactly what the requested evaluators read", () => {
    const need = resourcesNeeded([
      { id: "bleu" },
      { id: "perplexity" },
      { id: "bertscore" },
      { id: "judge-single" },
      { id: "ragas-answer-relevancy" },
      { id: "meteor" },
    ]);
    expect(Object.fromEntries(need)).toEqual({
      referenceLm: ["perplexity"],
      tokenEncoder: ["bertscore"],
      judge: ["judge-single", "ragas-answer-relevancy"],
      embedder: ["ragas-answer-relevancy"],
      wordnet: ["meteor"],
    });
  });

  it("an experiment listing perplexity without a reference LM fails at startup, before any stage runs", async () => {
    const exp = await loadExperiment(experiment("  evaluators: [bleu, perplexity, judge-single]"));
    const err = await runExperiment({ exp, progress: SILENT_PROGRESS, env: process.env }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe(
      'evaluate.evaluators "judge-single" needs an LLM judge: set evaluate.judge.model to a key of models (a local GGUF or an OpenAI-compatible endpoint) (and 1 more:\n  evaluate.evaluators "perplexity" needs a reference LM: set evaluate.referenceLm.model to a key of models naming a local llama (GGUF) model)',
    );
    // nothing ran: not even the workspace (run folder, store) was created
    expect(existsSync(exp.runDir)).toBe(false);
    expect(existsSync(exp.storePath)).toBe(false);
  });

  it("a reference LM that is not a local llama model, or a missing GGUF, is refused with the setting", async () => {
    const api = await loadExperiment(experiment("  evaluators: [perplexity]\n  referenceLm: { model: api }"));
    expect(() => checkEvaluateStage(api.config, process.env)).toThrow(
      'evaluate.evaluators "perplexity": the reference LM "api" must be a local llama (GGUF) model: perplexity needs every token\'s log-probability',
    );
    const missing = await loadExperiment(experiment("  evaluators: [perplexity]\n  referenceLm: { model: m }"));
    const env = { ...process.env, WAYFARER_HOME: join(dir, "empty-home") };
    expect(() => checkEvaluateStage(missing.config, env)).toThrow(
      /^evaluate\.evaluators "perplexity": the reference LM cannot be loaded \(model "smollm2-135m-instruct-q4_1" is not in the model cache/,
    );
    // bertscore and the default sentence encoder need the MiniLM export
    expect(
      evaluatorResourceProblems(
        [{ id: "bertscore" }, { id: "embedding-cosine" }],
        evaluateResourceSources(missing.config, env),
        {
          env,
          hints: EXPERIMENT_RESOURCE_HINTS,
        },
      ),
    ).toEqual([
      `evaluate.evaluators "embedding-cosine": the sentence encoder cannot be loaded (MiniLM encoder: ${join(dir, "empty-home", "models", "all-minilm-l6-v2", "config.json")} missing; run scripts/setup.sh (scripts/export_minilm_onnx.py)); set evaluate.embedder.model, or run scripts/setup.sh to install all-MiniLM-L6-v2`,
      `evaluate.evaluators "bertscore": the BERTScore token encoder cannot be loaded (MiniLM encoder: ${join(dir, "empty-home", "models", "all-minilm-l6-v2", "config.json")} missing; run scripts/setup.sh (scripts/export_minilm_onnx.py))`,
    ]);
  });

  it.skipIf(!haveSmol)(
    "evaluate.referenceLm: the evaluate stage scores perplexity with the reference LM the file names",
    async () => {
      const exp = await loadExperiment(experiment("  evaluators: [perplexity]\n  referenceLm: { model: m }"));
      expect(() => checkEvaluateStage(exp.config, process.env)).not.toThrow();
      // two answers (perplexity under a 135M model takes about a second per answer on a busy CPU)
      const two = answersJsonl()
        .trim()
        .split("\n")
        .filter((l) => (JSON.parse(l) as { itemId: string }).itemId === "q1" && !l.includes('"variant":"short"'));
      writeStage(exp.runDir, "generate", { "answers.jsonl": `${two.join("\n")}\n` });
      writeStage(exp.runDir, "datasets");
      writeStage(exp.runDir, "train");
      await runExperiment({ exp, progress: SILENT_PROGRESS, only: ["evaluate"], env: process.env });
      const rows = readFileSync(join(exp.runDir, "evaluate", "scores.jsonl"), "utf8")
        .trim()
        .split("\n")
        .map(
          (l) => JSON.parse(l) as { variant: string; itemId: string; status: string; value: number; signature: string },
        );
      expect(rows.map((r) => `${r.variant}/${r.itemId}`)).toEqual(["base/q1", "tuned/q1"]);
      expect(rows.every((r) => r.status === "scored" && r.value > 1)).toBe(true);
      expect(rows[0]!.signature).toContain(".gguf");
      // the same value as the perplexity evaluator on a reference LM built by hand
      const runtime = await LlamaRuntime.create();
      const scorer = await LlamaTokenScorer.create({ runtime, modelPath: resolveGgufPath(SMOL) });
      try {
        const r = await EVALUATORS.perplexity.evaluate(
          { question: Q.q1, answer: TEXT.tuned!.q1!, references: ["gold q1"] },
          { tokenScorer: scorer },
        );
        const row = rows.find((x) => x.variant === "tuned" && x.itemId === "q1")!;
        expect(row.value).toBeCloseTo(r.value!, 6);
      } finally {
        await scorer.dispose();
        await runtime.dispose();
      }
    },
    60_000,
  );
});
