/**
 * Training jobs of an experiment: dependency order, datasets, and the job spec each one hands to
 * `python -m trainer <method>` (contract: trainer/schema/job.schema.json, from src/config/training.ts).
 */
import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { DEFAULT_DATASET, type JobSpec, type TrainAdapterConfig } from "../config/training.ts";
import { ConfigError } from "../errors/config-error.ts";

/** The adapters a job needs before it can start (`from`, `rewardModel`). */
export function jobDeps(a: TrainAdapterConfig): string[] {
  if (a.method === "dpo") return a.from ? [a.from] : [];
  if (a.method === "rlhf") return [a.from, a.rewardModel].filter((x): x is string => x !== undefined);
  return [];
}

/**
 * `adapters` in an order where every job comes after the jobs it depends on; otherwise the order of
 * the experiment file is kept (stable topological sort).
 *
 * @param trainedElsewhere true for a dependency that is not in `adapters` but already trained (the
 *   artifact graph trains one adapter per artifact: a DPO adapter's `from` and an RLHF adapter's
 *   reward model are other artifacts, run before it); default: none.
 * @throws ConfigError naming the adapters of a dependency cycle or an unknown dependency
 *   (the experiment schema rejects both first; this guards direct callers).
 */
export function trainOrder<T extends TrainAdapterConfig>(
  adapters: readonly T[],
  trainedElsewhere: (name: string) => boolean = () => false,
): T[] {
  const byName = new Map(adapters.map((a) => [a.name, a]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const out: T[] = [];
  const visit = (a: T, path: string[]) => {
    if (done.has(a.name)) return;
    if (visiting.has(a.name))
      throw new ConfigError(`train.adapters: dependency cycle ${[...path, a.name].join(" -> ")}`);
    visiting.add(a.name);
    for (const d of jobDeps(a)) {
      const dep = byName.get(d);
      if (!dep && trainedElsewhere(d)) continue;
      if (!dep) throw new ConfigError(`train.adapters: "${a.name}" depends on unknown adapter "${d}"`);
      visit(dep, [...path, a.name]);
    }
    visiting.delete(a.name);
    done.add(a.name);
    out.push(a);
  };
  for (const a of adapters) visit(a, []);
  return out;
}

/** Train and eval files of a job. */
export interface JobData {
  train: string;
  eval: string | null;
}

/**
 * Where a job's data is: `dataset` names a datasets-stage folder (`<datasetsDir>/<name>/train.jsonl`
 * and `validation.jsonl`; default by method: sft, raft, preferences) or a `.jsonl` file
 * (relative to the experiment file's folder), whose sibling `<stem>.validation.jsonl` is the eval set.
 *
 * @throws ConfigError when the train file does not exist (before any model loads).
 */
export function jobData(a: TrainAdapterConfig, datasetsDir: string, experimentFile: string): JobData {
  const ds = a.dataset ?? DEFAULT_DATASET[a.method];
  let train: string;
  let evalFile: string;
  if (ds.endsWith(".jsonl")) {
    train = isAbsolute(ds) ? ds : resolve(dirname(experimentFile), ds);
    evalFile = train.replace(/\.jsonl$/, ".validation.jsonl");
  } else {
    train = join(datasetsDir, ds, "train.jsonl");
    evalFile = join(datasetsDir, ds, "validation.jsonl");
  }
  if (!existsSync(train))
    throw new ConfigError(
      `train.adapters "${a.name}": dataset "${ds}" has no training file ${train} (a ${a.method} job needs ${DATA_FORMATS[a.method]}; the datasets stage writes it, or give dataset: path/to/file.jsonl)`,
    );
  return { train, eval: existsSync(evalFile) ? evalFile : null };
}

/** The TRL dataset format each method reads (for messages). */
export const DATA_FORMATS: Record<TrainAdapterConfig["method"], string> = {
  sft: "chat `messages` lines",
  raft: "prompt/completion lines",
  reward: "prompt/chosen/rejected lines",
  dpo: "prompt/chosen/rejected lines",
  rlhf: "prompt-only lines (any line with a prompt, e.g. preference pairs)",
};

/** Paths a job spec needs besides the adapter's own settings. */
export interface JobPaths {
  baseModelDir: string;
  data: JobData;
  outputDir: string;
  /** Adapter folder of the `from` job (dpo, rlhf). */
  startAdapterDir?: string;
  /** Adapter folder of the `rewardModel` job (rlhf). */
  rewardModelDir?: string;
  seed: number;
  threads?: number | null;
}

/** The job spec of one adapter (validated again by the trainer against the same JSON Schema). */
export function buildJobSpec(a: TrainAdapterConfig, p: JobPaths): JobSpec {
  const common = {
    base_model_dir: p.baseModelDir,
    train_file: p.data.train,
    eval_file: p.data.eval,
    output_dir: p.outputDir,
    quantization: a.quantization,
    threads: p.threads ?? null,
    training: { ...a.training, seed: a.training.seed ?? p.seed },
    lora: a.lora,
  };
  switch (a.method) {
    case "sft":
    case "raft":
    case "reward":
      return { method: a.method, ...common };
    case "dpo":
      return { method: "dpo", ...common, start_adapter_dir: required(p.startAdapterDir, a, "from"), dpo: a.dpo };
    case "rlhf":
      return {
        method: "rlhf",
        ...common,
        start_adapter_dir: required(p.startAdapterDir, a, "from"),
        reward_model_dir: required(p.rewardModelDir, a, "rewardModel"),
        rlhf: a.rlhf,
      };
    default:
      return a satisfies never;
  }
}

function required(v: string | undefined, a: TrainAdapterConfig, field: string): string {
  if (v === undefined) throw new ConfigError(`train.adapters "${a.name}": ${field} is required for ${a.method}`);
  return v;
}

/** sha256 of a file's bytes. */
export function fileSha256(path: string): Promise<string> {
  return new Promise((res, rej) => {
    const h = createHash("sha256");
    createReadStream(path)
      .on("data", (c) => h.update(c))
      .on("error", rej)
      .on("end", () => res(h.digest("hex")));
  });
}

/** sha256 over a folder's files (name + content hash, sorted); what a start adapter "is". */
export async function dirSha256(dir: string): Promise<string> {
  const h = createHash("sha256");
  for (const name of (await readdir(dir)).sort()) {
    const p = join(dir, name);
    try {
      h.update(name);
      h.update(await fileSha256(p));
    } catch {
      // sub-folders are not part of an adapter's identity
    }
  }
  return h.digest("hex");
}

/**
 * Content identity of a job's inputs: the bytes of its data files and of the adapters it starts
 * from. Part of the job hash, so a data change retrains instead of resuming an old checkpoint.
 */
export async function jobInputHashes(spec: JobSpec): Promise<Record<string, string | null>> {
  const s = spec as JobSpec & { start_adapter_dir?: string; reward_model_dir?: string };
  return {
    train: await fileSha256(s.train_file),
    eval: s.eval_file ? await fileSha256(s.eval_file) : null,
    start: s.start_adapter_dir ? await dirSha256(s.start_adapter_dir) : null,
    reward: s.reward_model_dir ? await dirSha256(s.reward_model_dir) : null,
  };
}
