/**
 * The whole pipeline on a tiny experiment with the real small model: import -> corpus -> datasets
 * -> LoRA training (3 steps) -> generation (base and base + adapter) -> BLEU / ROUGE-L / local
 * judge -> report; then the skip/resume behaviour. Needs the model cache and .venv from setup.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadExperiment } from "../../../src/config/load.ts";
import { readJsonlAll } from "../../../src/datasets/jsonl.ts";
import { sentenceBleu } from "../../../src/evaluation/metrics/bleu.ts";
import { SILENT_PROGRESS } from "../../../src/experiment/progress.ts";
import { runExperiment, type StageOutcome } from "../../../src/experiment/runner.ts";
import "../../../src/report/artifact.ts";
import type { ScoreRecord } from "../../../src/experiment/stages/evaluate-stage.ts";
import type { AnswerRecord } from "../../../src/experiment/stages/generate-stage.ts";
import type { TrainSummary } from "../../../src/experiment/stages/train-stage.ts";
import type { ReportData } from "../../../src/report/report-data.ts";
import type { StudyData } from "../../../src/report/study-data.ts";
import { Store } from "../../../src/store/store.ts";
import { HAS_SMOLLM2, HAS_VENV, ROOT } from "../../helpers/paths.ts";

const dir = mkdtempSync(join(tmpdir(), "wf-pipeline-"));
const yaml = (maxTokens: number, judgeTokens = 96, lr = "1.0e-3") => `name: tiny
seed: 7
workspace: ws
import:
  inputs: [{ path: ${join(ROOT, "examples/quickstart/threads")}, format: reddit-json }]
datasets:
  golden: { file: ${join(ROOT, "examples/quickstart/golden.csv")}, limit: 2 }
models:
  smol: { provider: llama, path: smollm2-135m-instruct-q4_1, threads: 1, contextSize: 1024 }
train:
  adapters:
    - name: tuned
      base: smol
      training: { max_steps: 3, batch_size: 2, max_seq_length: 128, learning_rate: ${lr}, warmup_ratio: 0 }
generate:
  variants: [{ name: base, model: smol }, { name: tuned, model: smol, adapter: tuned }]
  maxTokens: ${maxTokens}
evaluate:
  evaluators: [bleu, rougeL, { id: judge-single, options: { maxTokens: ${judgeTokens}, maxExplanationChars: 80 } }]
  judge: { model: smol }
`;
const file = join(dir, "tiny.yaml");
const status = (o: StageOutcome[]) => Object.fromEntries(o.map((s) => [s.stage, s.status]));
const ran = (o: StageOutcome[]) =>
  o
    .flatMap((s) => s.artifacts)
    .filter((a) => a.status === "ran")
    .map((a) => a.id);

describe.skipIf(!HAS_SMOLLM2 || !HAS_VENV)("wayfarer run, end to end (needs scripts/setup.sh)", () => {
  let first: StageOutcome[];
  beforeAll(async () => {
    writeFileSync(file, yaml(24));
    first = await runExperiment({ exp: await loadExperiment(file), progress: SILENT_PROGRESS });
  }, 900_000);

  it("runs every stage and writes a report", async () => {
    expect(first.map((o) => `${o.stage}:${o.status}`)).toEqual([
      "collect:ran",
      "import:ran",
      "corpus:ran",
      "datasets:ran",
      "train:ran",
      "generate:ran",
      "evaluate:ran",
      "report:ran",
    ]);
    expect(ran(first)).toEqual([
      "collect",
      "import",
      "corpus",
      "dataset:golden",
      "dataset:sft",
      "datasets",
      "adapter:tuned",
      "answers:base",
      "answers:tuned",
      "generate",
      "scores:base",
      "scores:tuned",
      "evaluate",
      "meta",
      "report",
    ]);
    const exp = await loadExperiment(file);
    const report = JSON.parse(readFileSync(join(exp.runDir, "report", "report.json"), "utf8")) as ReportData & {
      study: StudyData;
    };
    expect(report.variants.map((v) => v.name)).toEqual(["base", "tuned"]);
    expect(report.examples).toHaveLength(2);
    for (const v of ["base", "tuned"]) {
      for (const e of ["bleu", "rougeL", "judge-single"]) {
        const cell = report.leaderboard[v]![e]!;
        expect(cell.nScored + cell.nError + cell.nNotApplicable).toBe(2);
      }
    }
    const html = readFileSync(join(exp.runDir, "report", "report.html"), "utf8");
    expect(html).toContain("<h2>Leaderboard</h2>");
    expect(html).toContain("No human ratings yet");
    expect(html).not.toContain("<script");
    expect(html).toContain('id="study-findings"');
    expect(report.study.stats!.cells.base!.bleu!.n).toBe(2);
  });

  it("trained the adapter for the configured steps and recorded the loss", async () => {
    const exp = await loadExperiment(file);
    const summary = JSON.parse(
      readFileSync(join(exp.runDir, "train", "tuned", "summary.json"), "utf8"),
    ) as TrainSummary;
    expect(summary.steps).toBe(3);
    expect(summary.losses.map((l) => l.step)).toEqual([1, 2, 3]);
    for (const l of summary.losses) expect(l.loss).toBeGreaterThan(0);
  });

  it("answers with both variants; the adapter changes the answers", async () => {
    const exp = await loadExperiment(file);
    const answers = await readJsonlAll<AnswerRecord>(join(exp.runDir, "generate", "answers.jsonl"));
    expect(answers).toHaveLength(4);
    const by = (v: string) => answers.filter((a) => a.variant === v).map((a) => a.rawAnswer);
    expect(by("base")).toHaveLength(2);
    expect(by("tuned")).not.toEqual(by("base"));
    expect(answers[0]!.modelId).toBe("SmolLM2-135M-Instruct.Q4_1.gguf");
    expect(answers.find((a) => a.variant === "tuned")!.modelId).toBe(
      "SmolLM2-135M-Instruct.Q4_1.gguf+lora:adapter.gguf",
    );
    for (const a of answers) expect(a.completionTokens).toBeLessThanOrEqual(24 + 2); // re-tokenized text may differ by a token
  });

  it("stores BLEU equal to sacrebleu-parity sentence BLEU of the stored answers", async () => {
    const exp = await loadExperiment(file);
    const answers = await readJsonlAll<AnswerRecord>(join(exp.runDir, "generate", "answers.jsonl"));
    const scores = await readJsonlAll<ScoreRecord>(join(exp.runDir, "evaluate", "scores.jsonl"));
    for (const a of answers) {
      const s = scores.find((x) => x.variant === a.variant && x.itemId === a.itemId && x.evaluator === "bleu")!;
      expect(s.status).toBe("scored");
      expect(s.value).toBeCloseTo(sentenceBleu(a.answer, [a.reference]).score, 10);
    }
    const judged = scores.filter((x) => x.evaluator === "judge-single");
    for (const j of judged) {
      if (j.status === "scored") {
        expect(j.value).toBeGreaterThanOrEqual(1);
        expect(j.value).toBeLessThanOrEqual(10);
      } else expect(j.reason).toBeTruthy();
    }
  });

  it("records the run and every stage in the store", async () => {
    const exp = await loadExperiment(file);
    using store = Store.open(exp.storePath);
    const rows = store.db.prepare("SELECT stage, status FROM stage_runs ORDER BY id").all() as {
      stage: string;
      status: string;
    }[];
    expect(rows.slice(0, 7).every((r) => r.status === "succeeded")).toBe(true);
    const gens = store.db.prepare("SELECT COUNT(*) AS n FROM generations WHERE experiment = 'tiny'").get() as {
      n: number;
    };
    expect(gens.n).toBe(4);
  });

  it("reruns nothing when nothing changed, and only what a changed setting affects", async () => {
    const gens = () => {
      using store = Store.open(join(dir, "ws", "wayfarer.sqlite"));
      return (store.db.prepare("SELECT COUNT(*) AS n FROM generations").get() as { n: number }).n;
    };
    const g0 = gens();
    const t = performance.now();
    const again = await runExperiment({ exp: await loadExperiment(file), progress: SILENT_PROGRESS });
    expect(ran(again)).toEqual([]);
    expect(status(again)).toEqual({
      collect: "skipped",
      import: "skipped",
      corpus: "skipped",
      datasets: "skipped",
      train: "skipped",
      generate: "skipped",
      evaluate: "skipped",
      report: "skipped",
    });
    expect((performance.now() - t) / 1000).toBeLessThan(10);
    expect(gens()).toBe(g0);
    // the judge's settings: only scoring, meta and report
    writeFileSync(file, yaml(24, 80));
    const judged = await runExperiment({ exp: await loadExperiment(file), progress: SILENT_PROGRESS });
    expect(ran(judged)).toEqual(["scores:base", "scores:tuned", "evaluate", "meta", "report"]);
    expect(gens()).toBe(g0);
    // one adapter's settings: that adapter, its variant's answers and scores, then the gathering artifacts
    writeFileSync(file, yaml(24, 80, "2.0e-3"));
    const retrained = await runExperiment({ exp: await loadExperiment(file), progress: SILENT_PROGRESS });
    expect(ran(retrained)).toEqual([
      "adapter:tuned",
      "answers:tuned",
      "generate",
      "scores:tuned",
      "evaluate",
      "meta",
      "report",
    ]);
    // the generation settings: every variant's answers, not the adapter
    writeFileSync(file, yaml(16, 80, "2.0e-3"));
    const changed = await runExperiment({ exp: await loadExperiment(file), progress: SILENT_PROGRESS });
    expect(ran(changed)).not.toContain("adapter:tuned");
    expect(ran(changed)).toEqual(
      expect.arrayContaining(["answers:base", "answers:tuned", "scores:base", "scores:tuned"]),
    );
    const exp = await loadExperiment(file);
    const answers = await readJsonlAll<AnswerRecord>(join(exp.runDir, "generate", "answers.jsonl"));
    for (const a of answers) expect(a.completionTokens).toBeLessThanOrEqual(16 + 2);
  }, 600_000);
});
