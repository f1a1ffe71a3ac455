import { existsSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { stableHash } from "../../config/load.ts";
import { CHAT_METHODS, type JobSpec } from "../../config/training.ts";
import { writeJson } from "../../datasets/jsonl.ts";
import { resolveGgufPath, wayfarerHome } from "../../models/model-cache.ts";
import { epochMeans, type LossPoint, type TrainSummary } from "../../store/records.ts";
import { accelerateConfig, accelerateLaunchPrefix } from "../../training/accelerate.ts";
import { buildJobSpec, jobData, jobInputHashes, trainOrder } from "../../training/jobs.ts";
import { droppedExamplesNote, endOfTurnTruncationNote } from "../../training/notes.ts";
import { runTrainerCommand, type TrainerEvent } from "../../training/python.ts";
import type { Stage, StageContext } from "../stage.ts";

export { epochMeans, type LossPoint, type TrainSummary } from "../../store/records.ts";

/** Turns a GGUF base into a trainable Hugging Face folder once, in the model cache. */
async function prepareBase(ctx: StageContext, gguf: string): Promise<string> {
  const out = join(wayfarerHome(ctx.env), "hf", basename(gguf).replace(/\.gguf$/, ""));
  ctx.progress.log(`  preparing trainable copy of ${basename(gguf)} (once) -> ${out}`);
  await runTrainerCommand({ args: ["prepare-base", "--gguf", gguf, "--out", out], env: ctx.env });
  return out;
}

/** Folder of a job's trained adapter (the served one for dpo/rlhf: start + delta). */
function adapterDirOf(trainDir: string, name: string): string {
  return join(trainDir, name, "trainer", "adapter");
}

/**
 * train: one adapter per `train.adapters` entry through the Python trainer (TRL: SFT, RAFT,
 * reward model, DPO, GRPO/RLOO), in dependency order (`from`, `rewardModel` first). Chat adapters
 * are exported to GGUF LoRA (`train/<adapter>/adapter.gguf`) for node-llama-cpp; a reward model is
 * not. Every job's data files are checked before any model loads. A job whose settings or input
 * *contents* (data, start adapter, reward model) changed starts over; an interrupted one resumes
 * from its last checkpoint.
 */
export const trainStage: Stage = {
  id: "train",
  deps: ["datasets"],
  version: 2,
  settings: (exp) => ({
    adapters: exp.config.train.adapters,
    bases: exp.config.train.adapters.map((a) => exp.config.models[a.base]),
    seed: exp.config.seed,
  }),
  async run(ctx) {
    const { config } = ctx.exp;
    const outputs: string[] = [];
    const notes: string[] = [];
    const counts: Record<string, number> = { adapters: config.train.adapters.length };
    const trainDir = ctx.dir("train");
    // in the artifact graph each adapter is its own artifact: a start adapter or reward model that
    // another artifact trained is on disk already
    const order = trainOrder(config.train.adapters, (name) => existsSync(adapterDirOf(trainDir, name)));
    // every job's data must exist before the first model loads
    const data = new Map(order.map((a) => [a.name, jobData(a, ctx.dir("datasets"), ctx.exp.file)]));
    const specs = new Map<string, { spec: JobSpec; gguf: string }>();
    const prepared = new Map<string, string>();
    for (const adapter of order) {
      const model = config.models[adapter.base]!;
      if (model.provider !== "llama") throw new Error("unreachable: validated in the schema");
      const gguf = resolveGgufPath(model.path, ctx.env);
      const hfDir = prepared.get(gguf) ?? (await prepareBase(ctx, gguf));
      prepared.set(gguf, hfDir);
      const from = adapter.method === "dpo" || adapter.method === "rlhf" ? adapter.from : undefined;
      const rewardModel = adapter.method === "rlhf" ? adapter.rewardModel : undefined;
      const spec = buildJobSpec(adapter, {
        baseModelDir: hfDir,
        data: data.get(adapter.name)!,
        outputDir: join(trainDir, adapter.name, "trainer"),
        ...(from ? { startAdapterDir: adapterDirOf(trainDir, from) } : {}),
        ...(rewardModel ? { rewardModelDir: adapterDirOf(trainDir, rewardModel) } : {}),
        seed: config.seed,
      });
      // the trainer checks the spec and the data format of every job before the first one trains
      const checkFile = join(trainDir, ".checks", `${adapter.name}.json`);
      await writeJson(checkFile, spec);
      await runTrainerCommand({ args: [adapter.method, "--spec", checkFile, "--check-only"], env: ctx.env });
      specs.set(adapter.name, { spec, gguf });
    }
    for (const adapter of order) {
      const { spec, gguf } = specs.get(adapter.name)!;
      const dir = join(trainDir, adapter.name);
      // the job's identity is its settings + the CONTENT of its inputs (not their paths)
      const jobHash = stableHash({ spec, inputs: await jobInputHashes(spec) });
      const hashFile = join(dir, "job.hash");
      if (existsSync(hashFile) && (await readFile(hashFile, "utf8")).trim() !== jobHash) {
        ctx.progress.log(`  ${adapter.name}: data or settings changed, discarding old checkpoints`);
        await rm(dir, { recursive: true, force: true });
      }
      const specFile = join(dir, "job.json");
      await writeJson(specFile, spec);
      await writeFile(hashFile, `${jobHash}\n`);
      let launch: string[] | undefined;
      if (adapter.launcher === "accelerate") {
        const accFile = join(dir, "accelerate.json");
        await writeJson(accFile, accelerateConfig(adapter.accelerate, adapter.training));
        launch = accelerateLaunchPrefix(adapter.accelerate, accFile);
      }
      const losses: LossPoint[] = [];
      const evalLosses: LossPoint[] = [];
      const metrics: { step: number; metrics: Record<string, unknown> }[] = [];
      const samples: unknown[] = [];
      let start: TrainerEvent | undefined;
      let bar: ReturnType<typeof ctx.progress.bar> | undefined;
      const done = await runTrainerCommand({
        args: [adapter.method, "--spec", specFile],
        ...(launch ? { launch } : {}),
        env: ctx.env,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        onEvent: (e) => {
          if (e.event === "start") {
            start = e;
            ctx.progress.log(
              `  ${adapter.name}: ${adapter.method} (${String(e.method)}) on ${String(e.device)}, ${String(e.train_examples)} examples${e.method_note ? ` (${String(e.method_note)})` : ""}${droppedExamplesNote(e, adapter.training.max_seq_length)}${endOfTurnTruncationNote(e, adapter.training.max_seq_length)}`,
            );
          } else if (e.event === "progress" && typeof e.step === "number") {
            bar ??= ctx.progress.bar(`train ${adapter.name}`, Number(e.total_steps) || 0);
            if (typeof e.loss === "number")
              losses.push({ step: e.step, loss: e.loss, ...(typeof e.epoch === "number" ? { epoch: e.epoch } : {}) });
            if (e.metrics && typeof e.metrics === "object")
              metrics.push({ step: e.step, metrics: e.metrics as Record<string, unknown> });
            bar.update(e.step, typeof e.loss === "number" ? `loss ${e.loss.toFixed(3)}` : "");
          } else if (e.event === "eval" && typeof e.eval_loss === "number") {
            evalLosses.push({ step: Number(e.step), loss: e.eval_loss });
          } else if (e.event === "samples" && Array.isArray(e.samples)) {
            samples.push(...e.samples.map((x) => ({ step: e.step, ...(x as object) })));
          }
        },
      });
      bar?.stop();
      const chat = CHAT_METHODS.includes(adapter.method);
      if (chat) {
        await runTrainerCommand({
          args: [
            "export-gguf",
            "--adapter",
            String(done.adapter_dir),
            "--base-gguf",
            gguf,
            "--out",
            join(dir, "adapter.gguf"),
          ],
          env: ctx.env,
        });
      }
      const summary: TrainSummary = {
        adapter: adapter.name,
        trainingMethod: adapter.method,
        method: String(done.method ?? start?.method ?? "lora"),
        base: adapter.base,
        steps: Number(done.steps),
        seconds: Number(done.seconds),
        trainLossFirst: (done.train_loss_first as number | null) ?? null,
        trainLossLast: (done.train_loss_last as number | null) ?? null,
        evalLossFirst: (done.eval_loss_first as number | null) ?? null,
        evalLossLast: (done.eval_loss_last as number | null) ?? null,
        trainExamples: Number(start?.train_examples ?? 0),
        epochMeanLoss: epochMeans(losses),
        losses,
        evalLosses,
        metrics,
        samples,
        done,
        spec,
      };
      await writeJson(join(dir, "summary.json"), summary);
      await writeFile(join(dir, "loss.csv"), `step,loss\n${losses.map((l) => `${l.step},${l.loss}`).join("\n")}\n`);
      outputs.push(chat ? `${adapter.name}/adapter.gguf` : `${adapter.name}/summary.json`);
      counts[`${adapter.name}.steps`] = summary.steps;
      if (summary.trainLossFirst !== null) counts[`${adapter.name}.lossFirst`] = summary.trainLossFirst;
      if (summary.trainLossLast !== null) counts[`${adapter.name}.lossLast`] = summary.trainLossLast;
      const em = summary.epochMeanLoss;
      notes.push(
        `${adapter.name}: ${adapter.method} (${summary.method}), ${summary.steps} steps in ${summary.seconds.toFixed(0)}s, mean train loss by epoch ${em.map((e) => e.loss.toFixed(3)).join(" -> ")}${summary.evalLossLast !== null ? `, eval loss ${summary.evalLossFirst?.toFixed(3)} -> ${summary.evalLossLast.toFixed(3)}` : ""}${methodNote(done)}${endOfTurnTruncationNote(start, adapter.training.max_seq_length)}`,
      );
    }
    return { counts, outputs, notes };
  },
};

/** The method's headline numbers for the report line (reward accuracy, DPO margins, RL reward). */
function methodNote(done: TrainerEvent): string {
  const f = (v: unknown) => (typeof v === "number" ? v.toFixed(3) : "n/a");
  if ("eval_accuracy" in done) return `, held-out accuracy ${f(done.eval_accuracy)}, margin ${f(done.eval_margin)}`;
  const last = done.dpo_metrics_last as Record<string, unknown> | null | undefined;
  if (last)
    return `, rewards/margins ${f(last["rewards/margins"])}, rewards/accuracies ${f(last["rewards/accuracies"])}`;
  if ("reward_last" in done)
    return `, mean reward ${f(done.reward_first)} -> ${f(done.reward_last)}, kl ${f(done.kl_last)}`;
  return "";
}
