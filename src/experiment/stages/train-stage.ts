import { existsSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { stableHash } from "../../config/load.ts";
import { writeJson } from "../../datasets/jsonl.ts";
import { resolveGgufPath, wayfarerHome } from "../../models/model-cache.ts";
import { epochMeans, type LossPoint, type TrainSummary } from "../../store/records.ts";
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

/**
 * train: one LoRA adapter per `train.adapters` entry through the Python trainer (TRL SFTTrainer),
 * exported to GGUF LoRA (`train/<adapter>/adapter.gguf`) for node-llama-cpp. An interrupted job
 * resumes from its last checkpoint; a job whose spec changed starts over.
 */
export const trainStage: Stage = {
  id: "train",
  deps: ["datasets"],
  version: 1,
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
    for (const adapter of config.train.adapters) {
      const model = config.models[adapter.base]!;
      if (model.provider !== "llama") throw new Error("unreachable: validated in the schema");
      const gguf = resolveGgufPath(model.path, ctx.env);
      const hfDir = await prepareBase(ctx, gguf);
      const dir = join(ctx.dir("train"), adapter.name);
      const datasets = ctx.dir("datasets");
      const validation = join(datasets, "sft", "validation.jsonl");
      const hasValidation = existsSync(validation) && (await readFile(validation, "utf8")).trim() !== "";
      const spec = {
        base_model_dir: hfDir,
        train_file: join(datasets, "sft", "train.jsonl"),
        eval_file: hasValidation ? validation : null,
        output_dir: join(dir, "trainer"),
        lora: adapter.lora,
        quantization: adapter.quantization,
        training: { ...adapter.training, seed: config.seed },
        threads: null,
      };
      const specHash = stableHash(spec);
      const specFile = join(dir, "job.json");
      if (existsSync(specFile) && stableHash(JSON.parse(await readFile(specFile, "utf8"))) !== specHash) {
        ctx.progress.log(`  ${adapter.name}: settings changed, discarding old checkpoints`);
        await rm(dir, { recursive: true, force: true });
      }
      await writeJson(specFile, spec);
      const losses: LossPoint[] = [];
      const evalLosses: LossPoint[] = [];
      let start: TrainerEvent | undefined;
      let bar: ReturnType<typeof ctx.progress.bar> | undefined;
      const done = await runTrainerCommand({
        args: ["sft", "--spec", specFile],
        env: ctx.env,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        onEvent: (e) => {
          if (e.event === "start") {
            start = e;
            ctx.progress.log(
              `  ${adapter.name}: ${String(e.method)} on ${String(e.device)}, ${String(e.train_examples)} examples${e.method_note ? ` (${String(e.method_note)})` : ""}`,
            );
          } else if (e.event === "progress" && typeof e.step === "number") {
            bar ??= ctx.progress.bar(`train ${adapter.name}`, Number(e.total_steps) || 0);
            if (typeof e.loss === "number")
              losses.push({ step: e.step, loss: e.loss, ...(typeof e.epoch === "number" ? { epoch: e.epoch } : {}) });
            bar.update(e.step, typeof e.loss === "number" ? `loss ${e.loss.toFixed(3)}` : "");
          } else if (e.event === "eval" && typeof e.eval_loss === "number") {
            evalLosses.push({ step: Number(e.step), loss: e.eval_loss });
          }
        },
      });
      bar?.stop();
      const adapterGguf = join(dir, "adapter.gguf");
      await runTrainerCommand({
        args: ["export-gguf", "--adapter", String(done.adapter_dir), "--base-gguf", gguf, "--out", adapterGguf],
        env: ctx.env,
      });
      const summary: TrainSummary = {
        adapter: adapter.name,
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
        spec,
      };
      await writeJson(join(dir, "summary.json"), summary);
      await writeFile(join(dir, "loss.csv"), `step,loss\n${losses.map((l) => `${l.step},${l.loss}`).join("\n")}\n`);
      outputs.push(`${adapter.name}/adapter.gguf`);
      counts[`${adapter.name}.steps`] = summary.steps;
      if (summary.trainLossFirst !== null) counts[`${adapter.name}.lossFirst`] = summary.trainLossFirst;
      if (summary.trainLossLast !== null) counts[`${adapter.name}.lossLast`] = summary.trainLossLast;
      const em = summary.epochMeanLoss;
      notes.push(
        `${adapter.name}: ${summary.method}, ${summary.steps} steps in ${summary.seconds.toFixed(0)}s, mean train loss by epoch ${em.map((e) => e.loss.toFixed(3)).join(" -> ")}${summary.evalLossLast !== null ? `, eval loss ${summary.evalLossFirst?.toFixed(3)} -> ${summary.evalLossLast.toFixed(3)}` : ""}`,
      );
    }
    return { counts, outputs, notes };
  },
};
