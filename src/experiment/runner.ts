import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type LoadedExperiment, stableHash } from "../config/load.ts";
import { readJson, writeJson } from "../datasets/jsonl.ts";
import { ConfigError } from "../errors/config-error.ts";
import { InputError } from "../errors/input-error.ts";
import { WayfarerError } from "../errors/wayfarer-error.ts";
import { LlamaRuntime } from "../models/llama-generator.ts";
import { Store } from "../store/store.ts";
import type { Progress } from "./progress.ts";
import { STAGE_IDS, type Stage, type StageContext, type StageId, type StageManifest } from "./stage.ts";
import { checkEvaluateStage, evaluatorRequests } from "./stages/evaluate-stage.ts";
import { STAGES } from "./stages.ts";

/** Options of {@link runExperiment}. */
export interface RunExperimentOptions {
  exp: LoadedExperiment;
  progress: Progress;
  /** Run only these stages (their inputs must exist); default: all, in pipeline order. */
  only?: readonly StageId[];
  /** Rerun stages even when their inputs and settings are unchanged. */
  force?: boolean;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

/**
 * Checks, before any stage runs, what can be checked cheaply: input paths exist, evaluator ids are
 * known. Throws InputError/ConfigError naming the file or setting.
 */
export function preflight(exp: LoadedExperiment, stages: readonly StageId[]): void {
  const c = exp.config;
  if (stages.includes("import")) {
    c.import.inputs.forEach((input, i) => {
      if (!existsSync(input.path))
        throw new InputError({ file: input.path }, `input not found (import.inputs[${i}].path in ${exp.file})`);
    });
  }
  if (stages.includes("datasets") && !existsSync(c.datasets.golden.file)) {
    throw new InputError(
      { file: c.datasets.golden.file },
      `golden set file not found (datasets.golden.file in ${exp.file})`,
    );
  }
  if (stages.includes("evaluate")) evaluatorRequests(c);
}

/** Per stage: what happened and how long it took. */
export interface StageOutcome {
  stage: StageId;
  status: "ran" | "skipped";
  seconds: number;
  counts: Record<string, number>;
}

async function hashFiles(dir: string, files: readonly string[]): Promise<string> {
  const h = createHash("sha256");
  for (const f of [...files].sort()) {
    h.update(`${f}\0`);
    for await (const chunk of createReadStream(join(dir, f))) h.update(chunk as Buffer);
  }
  return h.digest("hex");
}

/**
 * Runs the experiment's stages in order. A stage is skipped when its manifest records the same
 * input hash (its settings + the output hashes of the stages it reads); otherwise it runs and
 * writes a new manifest. Every run and stage outcome is recorded in the workspace store.
 * A killed run resumes: finished stages are skipped, and generate/evaluate/train resume inside.
 */
export async function runExperiment(opts: RunExperimentOptions): Promise<StageOutcome[]> {
  const { exp, progress } = opts;
  const env = opts.env ?? process.env;
  const byId = new Map<StageId, Stage>(STAGES.map((s) => [s.id, s]));
  const selected = opts.only ? STAGE_IDS.filter((id) => opts.only!.includes(id)) : STAGE_IDS;
  preflight(exp, selected);
  if (selected.includes("evaluate")) checkEvaluateStage(exp.config, env);
  await mkdir(exp.runDir, { recursive: true });
  using store = Store.open(exp.storePath);
  const configHash = stableHash(exp.config);
  const runId = Number(
    store.db
      .prepare("INSERT INTO runs (experiment, config_hash, started_at, status) VALUES (?, ?, ?, 'running')")
      .run(exp.config.name, configHash, new Date().toISOString()).lastInsertRowid,
  );
  let runtime: Promise<LlamaRuntime> | undefined;
  const ctx: StageContext = {
    exp,
    store,
    progress,
    dir: (stage) => join(exp.runDir, stage),
    runtime: () => {
      runtime ??= LlamaRuntime.create({ gpu: env.WAYFARER_GPU === "auto" });
      return runtime;
    },
    env,
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
  const outcomes: StageOutcome[] = [];
  let failed = true;
  try {
    for (const id of selected) {
      const stage = byId.get(id)!;
      const depHashes: Record<string, string> = {};
      for (const dep of stage.deps) {
        const file = join(ctx.dir(dep), "manifest.json");
        if (!existsSync(file)) {
          throw new ConfigError(
            `stage "${id}" needs the output of "${dep}" (${file} is missing); run \`wayfarer ${dep} ${exp.file}\` or \`wayfarer run\` first`,
          );
        }
        depHashes[dep] = (await readJson<StageManifest>(file)).outputHash;
      }
      const inputHash = stableHash({
        stage: id,
        version: stage.version,
        settings: stage.settings(exp),
        deps: depHashes,
      });
      const manifestFile = join(ctx.dir(id), "manifest.json");
      const previous = existsSync(manifestFile) ? await readJson<StageManifest>(manifestFile) : undefined;
      const startedAt = new Date();
      const stageRow = store.db
        .prepare(
          "INSERT INTO stage_runs (run_id, stage, input_hash, status, started_at) VALUES (?, ?, ?, 'running', ?)",
        )
        .run(runId, id, inputHash, startedAt.toISOString()).lastInsertRowid;
      const finish = (status: string, counts: Record<string, number> | null, message: string | null) =>
        store.db
          .prepare(
            "UPDATE stage_runs SET status = ?, finished_at = ?, duration_s = ?, counts_json = ?, message = ? WHERE id = ?",
          )
          .run(
            status,
            new Date().toISOString(),
            (Date.now() - startedAt.getTime()) / 1000,
            counts ? JSON.stringify(counts) : null,
            message,
            stageRow,
          );
      if (!opts.force && !stage.alwaysRun && previous?.inputHash === inputHash) {
        finish("skipped", previous.counts, "inputs and settings unchanged");
        progress.log(`[${id}] unchanged, skipped (${summarize(previous.counts)})`);
        outcomes.push({ stage: id, status: "skipped", seconds: 0, counts: previous.counts });
        continue;
      }
      progress.log(`[${id}] running`);
      await mkdir(ctx.dir(id), { recursive: true });
      try {
        const result = await stage.run(ctx);
        const seconds = (Date.now() - startedAt.getTime()) / 1000;
        const manifest: StageManifest = {
          stage: id,
          inputHash,
          outputHash: await hashFiles(ctx.dir(id), result.outputs),
          counts: result.counts,
          outputs: result.outputs,
          notes: result.notes ?? [],
          startedAt: startedAt.toISOString(),
          durationSeconds: seconds,
        };
        await writeJson(manifestFile, manifest);
        finish("succeeded", result.counts, null);
        for (const note of result.notes ?? []) progress.log(`  note: ${note}`);
        progress.log(`[${id}] done in ${seconds.toFixed(1)}s (${summarize(result.counts)})`);
        outcomes.push({ stage: id, status: "ran", seconds, counts: result.counts });
      } catch (error) {
        finish("failed", null, WayfarerError.isInstance(error) ? error.message : String(error));
        throw error;
      }
    }
    failed = false;
    return outcomes;
  } finally {
    store.db
      .prepare("UPDATE runs SET status = ?, finished_at = ? WHERE id = ?")
      .run(failed ? "failed" : "succeeded", new Date().toISOString(), runId);
    if (runtime) await (await runtime.catch(() => undefined))?.dispose();
  }
}

function summarize(counts: Record<string, number>): string {
  return Object.entries(counts)
    .slice(0, 6)
    .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(3)}`)
    .join(", ");
}
