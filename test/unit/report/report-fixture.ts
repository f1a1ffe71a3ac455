/**
 * A rated experiment for report tests, through the real stages: hand-written answers (3 variants x 4
 * questions; "short" cut at the token limit on 3 of 4), a train summary of an adapter trained on 26
 * examples, the real evaluate stage (BLEU, ROUGE-L), rating tasks rated by two raters on two criteria,
 * then the real report stage. Returns the run folder.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadExperiment } from "../../../src/config/load.ts";
import { createRatingTasks, findRater, submitRating, tasksForRater } from "../../../src/evaluation/human/tasks.ts";
import { SILENT_PROGRESS } from "../../../src/experiment/progress.ts";
import { runExperiment } from "../../../src/experiment/runner.ts";
import "../../../src/report/artifact.ts";
import type { AnswerRecord } from "../../../src/experiment/stages/generate-stage.ts";
import { Store } from "../../../src/store/store.ts";
import { answersJsonl, writeStage } from "../experiment/stage-fixtures.ts";

const EXPERIMENT = `name: rated
description: Report fixture.
workspace: ws
import:
  inputs: [{ path: data }]
datasets:
  golden: { file: golden.csv }
models:
  m: { provider: llama, path: smollm2-135m-instruct-q4_1 }
train:
  adapters: [{ name: sft, base: m }]
generate:
  variants: [{ name: base, model: m }, { name: tuned, model: m }, { name: short, model: m }]
  maxTokens: 12
evaluate:
  evaluators: [bleu, rougeL]
`;

export async function ratedReport(): Promise<{ runDir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "wf-report-"));
  const file = join(dir, "exp.yaml");
  writeFileSync(file, EXPERIMENT);
  const exp = await loadExperiment(file);
  const answers = answersJsonl()
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as AnswerRecord)
    .map((a) => (a.variant === "short" && a.itemId !== "q4" ? { ...a, finishReason: "length" } : a));
  writeStage(exp.runDir, "generate", { "answers.jsonl": `${answers.map((a) => JSON.stringify(a)).join("\n")}\n` });
  writeStage(exp.runDir, "datasets");
  writeStage(exp.runDir, "train/sft", {}, "adapter:sft");
  writeFileSync(
    join(exp.runDir, "train", "sft", "summary.json"),
    JSON.stringify({
      adapter: "sft",
      method: "lora",
      base: "m",
      steps: 21,
      seconds: 180,
      trainLossFirst: 3.8,
      trainLossLast: 3.1,
      evalLossFirst: null,
      evalLossLast: null,
      trainExamples: 26,
      epochMeanLoss: [],
      losses: [],
      evalLosses: [],
      spec: {},
    }),
  );
  await runExperiment({ exp, progress: SILENT_PROGRESS, only: ["evaluate"], env: {} });
  {
    using store = Store.open(exp.storePath);
    const created = createRatingTasks(store, {
      experiment: "rated",
      items: answers.map((a) => ({ variant: a.variant, item_id: a.itemId, question: a.question, answer: a.answer })),
      raters: ["ana", "ben"],
      criteria: ["helpfulness", "accuracy"],
      seed: 1,
    });
    for (const [i, cred] of created.raters.entries()) {
      const rater = findRater(store, cred.token)!;
      for (const t of tasksForRater(store, rater)) {
        const s = Math.min(5, 1 + Math.floor(t.answer.length / 8));
        submitRating(store, rater, {
          assignmentId: t.id,
          scores: { helpfulness: s, accuracy: Math.max(1, s - i) },
        });
      }
    }
  }
  await runExperiment({ exp, progress: SILENT_PROGRESS, only: ["report"], env: {} });
  return { runDir: exp.runDir };
}
