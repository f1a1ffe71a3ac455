/**
 * Adapters that start from other adapters, through the artifact graph with the real trainer and
 * SmolLM2: two SFT candidates, a selection by BLEU, DPO from the pick, a reward model, and RLHF
 * (GRPO) from a named SFT adapter scored by that reward model; every chat adapter answers. Each
 * adapter is its own artifact, so the train stage sees one adapter and must take its start adapter
 * and reward model from the artifacts that trained them (the study once stopped at this point).
 * CI-sized: 1–2 steps a job, 2 golden questions, 8 answer tokens. Needs scripts/setup.sh.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadExperiment } from "../../../src/config/load.ts";
import { readJsonlAll } from "../../../src/datasets/jsonl.ts";
import { SILENT_PROGRESS } from "../../../src/experiment/progress.ts";
import { runExperiment, type StageOutcome } from "../../../src/experiment/runner.ts";
import type { TrainSummary } from "../../../src/experiment/stages/train-stage.ts";
import type { AnswerRecord } from "../../../src/store/records.ts";
import "../../../src/report/artifact.ts";
import { HAS_SMOLLM2, HAS_VENV, ROOT } from "../../helpers/paths.ts";

const dir = mkdtempSync(join(tmpdir(), "wf-stacked-"));
const file = join(dir, "stacked.yaml");
const tiny = "batch_size: 2, max_seq_length: 128, warmup_ratio: 0";
writeFileSync(
  file,
  `name: stacked
seed: 5
workspace: ws
import:
  inputs: [{ path: ${join(ROOT, "examples/quickstart/threads")}, format: reddit-json }]
datasets:
  golden: { file: ${join(ROOT, "examples/quickstart/golden.csv")}, limit: 2 }
  preferences: { sources: [{ kind: reddit-votes }] }
models:
  smol: { provider: llama, path: smollm2-135m-instruct-q4_1, threads: 1, contextSize: 512 }
train:
  adapters:
    - { name: sft-a, base: smol, lora: { r: 4, alpha: 8 }, training: { max_steps: 1, learning_rate: 1.0e-3, ${tiny} } }
    - { name: sft-b, base: smol, lora: { r: 4, alpha: 8 }, training: { max_steps: 1, learning_rate: 1.0e-4, ${tiny} } }
    # TRL's RewardTrainer drops pairs longer than max_seq_length (these Reddit pairs need ~384)
    - { name: rm, base: smol, method: reward, lora: { r: 4, alpha: 8 }, training: { max_steps: 1, batch_size: 2, max_seq_length: 384, warmup_ratio: 0 } }
    - { name: dpo, base: smol, method: dpo, from: best, lora: { r: 4, alpha: 8 }, training: { max_steps: 2, learning_rate: 1.0e-3, ${tiny} } }
    - name: rl
      base: smol
      method: rlhf
      from: sft-a
      rewardModel: rm
      lora: { r: 4, alpha: 8 }
      rlhf: { num_generations: 2, max_completion_length: 8 }
      training: { max_steps: 1, ${tiny} }
generate:
  variants:
    - { name: a, model: smol, adapter: sft-a }
    - { name: b, model: smol, adapter: sft-b }
    - { name: dpo, model: smol, adapter: dpo }
    - { name: rl, model: smol, adapter: rl }
  maxTokens: 8
selections:
  best: { among: [a, b], by: bleu }
evaluate:
  evaluators: [bleu]
`,
);
const ran = (o: StageOutcome[]) =>
  o
    .flatMap((s) => s.artifacts)
    .filter((a) => a.status === "ran")
    .map((a) => a.id);
const json = <T>(...p: string[]) => JSON.parse(readFileSync(join(...p), "utf8")) as T;

describe.skipIf(!HAS_SMOLLM2 || !HAS_VENV)("DPO from a selection, RLHF from an adapter with a reward model", () => {
  let outcome: StageOutcome[];
  let runDir: string;
  beforeAll(async () => {
    const exp = await loadExperiment(file);
    runDir = exp.runDir;
    outcome = await runExperiment({ exp, progress: SILENT_PROGRESS });
  }, 1_200_000);

  it("trains every adapter and answers with each chat adapter", async () => {
    const order = ran(outcome);
    for (const id of ["adapter:sft-a", "adapter:sft-b", "adapter:rm", "adapter:dpo", "adapter:rl", "report"])
      expect(order).toContain(id);
    const answers = await readJsonlAll<AnswerRecord>(join(runDir, "generate", "answers.jsonl"));
    for (const v of ["dpo", "rl"]) {
      const mine = answers.filter((x) => x.variant === v);
      expect(mine).toHaveLength(2);
      expect(mine[0]!.modelId).toBe("SmolLM2-135M-Instruct.Q4_1.gguf+lora:adapter.gguf");
    }
  });

  it("starts DPO from the adapter the selection picked; its first loss is ln 2 (reference = the start policy)", () => {
    const choice = json<{ variant: string; adapter: string }>(runDir, "select", "best", "choice.json");
    expect(["sft-a", "sft-b"]).toContain(choice.adapter);
    expect(choice.adapter).toBe(choice.variant === "a" ? "sft-a" : "sft-b");
    const job = json<{ start_adapter_dir: string }>(runDir, "train", "dpo", "job.json");
    expect(job.start_adapter_dir).toBe(join(runDir, "train", choice.adapter, "trainer", "adapter"));
    const summary = json<TrainSummary>(runDir, "train", "dpo", "summary.json");
    expect(summary.trainingMethod).toBe("dpo");
    expect(summary.steps).toBe(2);
    expect(summary.trainLossFirst).toBeCloseTo(Math.LN2, 4);
  });

  it("trains RLHF from the named adapter with the trained reward model", () => {
    const job = json<{ start_adapter_dir: string; reward_model_dir: string }>(runDir, "train", "rl", "job.json");
    expect(job.start_adapter_dir).toBe(join(runDir, "train", "sft-a", "trainer", "adapter"));
    expect(job.reward_model_dir).toBe(join(runDir, "train", "rm", "trainer", "adapter"));
    const summary = json<TrainSummary & { done: { reward_first: number; algorithm: string } }>(
      runDir,
      "train",
      "rl",
      "summary.json",
    );
    expect(summary.done.algorithm).toBe("grpo");
    expect(Number.isFinite(summary.done.reward_first)).toBe(true);
  });
});
