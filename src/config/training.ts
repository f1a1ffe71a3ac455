/**
 * Training settings: the single source of the job-spec contract between the train stage and the
 * Python trainer (`trainer/`).
 *
 * The zod schemas below are written once; `npm run gen:training-schema` turns them into
 * `trainer/schema/job.schema.json` (JSON Schema 2020-12, committed), which the Python trainer
 * validates every job spec against (`trainer/base_config.py`, library `jsonschema`). A unit test
 * fails when the committed file is not what these schemas generate, so TypeScript and Python can
 * never disagree on a range, a default or an allowed value.
 *
 * Defaults follow the seed study (shared/reference/seed-system.md): QLoRA r 64, alpha 16,
 * dropout 0.1, cosine schedule, 3% warm-up, max grad norm 0.3, early stopping with patience 3;
 * DPO beta 0.1 with LoRA r 16. CPU experiments set small values explicitly.
 */
import { z } from "zod";

/** Training methods, in the order the trainer's method table lists them (`trainer/methods.py`). */
export const TRAIN_METHODS = ["sft", "raft", "reward", "dpo", "rlhf"] as const;
export type TrainMethod = (typeof TRAIN_METHODS)[number];

/** Methods whose adapter is a chat model (served as a generate variant). `reward` is a scorer. */
export const CHAT_METHODS: readonly TrainMethod[] = ["sft", "raft", "dpo", "rlhf"];
/** Methods a `dpo` / `rlhf` job may start from (`from:`). */
export const START_METHODS: readonly TrainMethod[] = ["sft", "raft"];

export const LR_SCHEDULERS = ["linear", "cosine", "constant", "constant_with_warmup"] as const;

/** DPO losses of TRL 1.13 (`DPOConfig.loss_type`) offered here (the pairwise ones). */
export const DPO_LOSS_TYPES = [
  "sigmoid",
  "hinge",
  "ipo",
  "exo_pair",
  "nca_pair",
  "robust",
  "bco_pair",
  "sppo_hard",
  "aot",
  "aot_pair",
  "apo_zero",
  "apo_down",
  "discopop",
] as const;

/**
 * A LoRA target module name that llama.cpp's LoRA loader can take: a linear layer, not an embedding
 * or the output head (`embed_tokens`, `lm_head`, `wte`, `token_embd`, `output`, also as the last
 * part of a dotted name). ECMAScript and Python `re` read this pattern the same way.
 */
export const TARGET_MODULE_PATTERN = "^(?!(.*\\.)?(embed_tokens|lm_head|wte|token_embd|output)$)[A-Za-z0-9_.-]+$";

const DEFAULT_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

function loraSchema(id: string, d: { r: number; alpha: number; dropout: number }) {
  return z
    .object({
      r: z.number().int().min(1).max(1024).default(d.r).describe("LoRA rank, 1..1024."),
      alpha: z
        .number()
        .positive()
        .default(d.alpha)
        .describe(
          "LoRA alpha (> 0); the update is scaled by alpha / r (no rsLoRA: the GGUF export needs plain scaling).",
        ),
      dropout: z.number().min(0).lt(1).default(d.dropout).describe("Dropout on the LoRA input, 0 <= dropout < 1."),
      target_modules: z
        .array(
          z
            .string()
            .regex(
              new RegExp(TARGET_MODULE_PATTERN),
              "embeddings and lm_head cannot be adapted (llama.cpp LoRA takes linear layers only): remove them",
            ),
        )
        .min(1)
        .default(DEFAULT_TARGETS)
        .describe(
          "Linear layers that get adapters, non-empty; no embed_tokens / lm_head / output (llama.cpp cannot load adapters on them): remove those names.",
        ),
    })
    .strict()
    .meta({ id });
}

/** LoRA settings of sft, raft, reward and rlhf jobs (the study's QLoRA: r 64, alpha 16, dropout 0.1). */
export const LoraSchema = loraSchema("Lora", { r: 64, alpha: 16, dropout: 0.1 });
/** LoRA settings of dpo jobs (the study's DPO: r 16). */
export const DpoLoraSchema = loraSchema("DpoLora", { r: 16, alpha: 16, dropout: 0.1 });

export const TrainingSchema = z
  .object({
    epochs: z
      .number()
      .positive()
      .default(2)
      .describe("Passes over the training set (> 0); ignored when max_steps > 0."),
    max_steps: z
      .union([z.literal(-1), z.number().int().min(1)])
      .default(-1)
      .describe("Optimizer steps to run: -1 = derive from epochs, else >= 1 (0 would train nothing)."),
    learning_rate: z.number().positive().max(1).default(2e-4).describe("Peak AdamW learning rate, 0 < lr <= 1."),
    batch_size: z.number().int().min(1).max(4096).default(4).describe("Examples per device per forward pass, 1..4096."),
    gradient_accumulation_steps: z
      .number()
      .int()
      .min(1)
      .max(4096)
      .default(1)
      .describe("Forward passes per optimizer step, 1..4096; effective batch = batch_size x this x processes."),
    max_seq_length: z
      .number()
      .int()
      .min(16)
      .max(131072)
      .default(256)
      .describe("Tokens per example after the chat template (longer ones are cut), 16..131072."),
    seed: z
      .number()
      .int()
      .min(0)
      .max(4294967295)
      .optional()
      .describe(
        "Seed for torch, data order and LoRA init, 0..2^32-1 (default: the experiment seed; 42 for a bare job).",
      ),
    warmup_ratio: z
      .number()
      .min(0)
      .lt(1)
      .default(0.03)
      .describe("Fraction of the steps with linear warm-up, 0 <= x < 1."),
    lr_scheduler: z.enum(LR_SCHEDULERS).default("cosine").describe("Learning-rate schedule after warm-up."),
    logging_steps: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe("Report the loss every this many optimizer steps, >= 1."),
    max_grad_norm: z.number().positive().default(0.3).describe("Gradient clipping norm, > 0 (QLoRA paper: 0.3)."),
    save_steps: z
      .number()
      .int()
      .min(1)
      .default(50)
      .describe(
        "Checkpoint every this many optimizer steps (a killed run resumes from the last one); with an eval set, checkpoints follow eval_steps.",
      ),
    eval_steps: z
      .number()
      .int()
      .min(1)
      .nullable()
      .default(null)
      .describe("Evaluate (and checkpoint) every this many steps when there is an eval set; null = once per epoch."),
    early_stopping_patience: z
      .number()
      .int()
      .min(1)
      .nullable()
      .default(3)
      .describe(
        "Stop when eval loss has not improved for this many evaluations and keep the best checkpoint (study: 3); null = off. Needs an eval set (ignored without one).",
      ),
  })
  .strict()
  .meta({ id: "Training" });

export const DpoOptionsSchema = z
  .object({
    beta: z
      .number()
      .positive()
      .default(0.1)
      .describe("DPO beta (> 0): strength of the implicit KL penalty to the reference (study: 0.1)."),
    loss_type: z.enum(DPO_LOSS_TYPES).default("sigmoid").describe("TRL DPO loss (sigmoid = the DPO paper's)."),
    label_smoothing: z
      .number()
      .min(0)
      .max(0.5)
      .default(0)
      .describe("Conservative-DPO label smoothing, 0..0.5 (sigmoid/robust losses)."),
  })
  .strict()
  .meta({ id: "DpoOptions" });

export const RlhfOptionsSchema = z
  .object({
    algorithm: z
      .enum(["grpo", "rloo"])
      .default("grpo")
      .describe("TRL online RL trainer: grpo (GRPOTrainer) or rloo (RLOOTrainer)."),
    beta: z
      .number()
      .min(0)
      .default(0.05)
      .describe("KL coefficient to the reference policy (the start adapter), >= 0; 0 turns KL control off."),
    num_generations: z
      .number()
      .int()
      .min(2)
      .max(64)
      .default(4)
      .describe("Completions sampled per prompt (the group whose mean reward is the baseline), 2..64."),
    max_completion_length: z
      .number()
      .int()
      .min(1)
      .max(8192)
      .default(128)
      .describe("Tokens per sampled completion, 1..8192."),
    temperature: z.number().positive().max(2).default(1).describe("Sampling temperature, 0 < t <= 2."),
    log_completions: z
      .number()
      .int()
      .min(0)
      .default(2)
      .describe("Sampled completions (with their rewards) written to the log at each logging step; 0 = none."),
  })
  .strict()
  .meta({ id: "RlhfOptions" });

export const QuantizationSchema = z
  .enum(["none", "nf4"])
  .default("none")
  .describe(
    "none = LoRA on full-precision weights; nf4 = QLoRA (4-bit NF4 base via bitsandbytes; falls back to LoRA when bitsandbytes cannot run, and the log says so).",
  );

const Path = z.string().min(1);

/** Fields every job spec has. Paths are absolute or relative to the trainer's working directory. */
const jobCommon = {
  base_model_dir: Path.describe("Hugging Face base folder (config.json), written by `python -m trainer prepare-base`."),
  train_file: Path.describe("Training JSONL in the method's TRL format."),
  eval_file: Path.nullable()
    .default(null)
    .describe("Held-out JSONL in the same format; enables eval loss (and early stopping, accuracy for reward)."),
  output_dir: Path.describe("Checkpoints, the final adapter (adapter/) and training_log.jsonl go here."),
  quantization: QuantizationSchema,
  threads: z
    .number()
    .int()
    .min(1)
    .max(1024)
    .nullable()
    .default(null)
    .describe("CPU threads for torch; null = torch's default."),
  training: TrainingSchema.prefault({}),
};

const StartAdapter = Path.describe(
  "PEFT adapter folder of the sft/raft job this one starts from; it is merged into the base, the new LoRA trains on top and the reference model is that merged start (adapter disabled).",
);

export const SftJobSchema = z
  .object({ method: z.literal("sft"), ...jobCommon, lora: LoraSchema.prefault({}) })
  .strict()
  .meta({ id: "SftJob" });
export const RaftJobSchema = z
  .object({ method: z.literal("raft"), ...jobCommon, lora: LoraSchema.prefault({}) })
  .strict()
  .meta({ id: "RaftJob" });
export const RewardJobSchema = z
  .object({ method: z.literal("reward"), ...jobCommon, lora: LoraSchema.prefault({}) })
  .strict()
  .meta({ id: "RewardJob" });
export const DpoJobSchema = z
  .object({
    method: z.literal("dpo"),
    ...jobCommon,
    lora: DpoLoraSchema.prefault({}),
    start_adapter_dir: StartAdapter,
    dpo: DpoOptionsSchema.prefault({}),
  })
  .strict()
  .meta({ id: "DpoJob" });
export const RlhfJobSchema = z
  .object({
    method: z.literal("rlhf"),
    ...jobCommon,
    lora: LoraSchema.prefault({}),
    start_adapter_dir: StartAdapter,
    reward_model_dir: Path.describe("Folder of a trained `reward` job's adapter (its output_dir/adapter)."),
    rlhf: RlhfOptionsSchema.prefault({}),
  })
  .strict()
  .meta({ id: "RlhfJob" });

/** The job spec `python -m trainer <method> --spec job.json` reads (one branch per method). */
export const JobSpecSchema = z
  .discriminatedUnion("method", [SftJobSchema, RaftJobSchema, RewardJobSchema, DpoJobSchema, RlhfJobSchema])
  .meta({ id: "JobSpec" });
export type JobSpec = z.input<typeof JobSpecSchema>;

/** The JSON Schema committed as `trainer/schema/job.schema.json` (inputs: fields with defaults are optional). */
export function jobJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(JobSpecSchema, { io: "input", target: "draft-2020-12" });
  return { title: "Wayfarer trainer job spec (generated from src/config/training.ts; do not edit)", ...schema };
}

// --- experiment file: train.adapters[] -------------------------------------------------------------------

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const Name = z.string().regex(NAME, "use letters, digits, '.', '_' or '-' (no spaces)");

/** Default dataset (a datasets-stage folder) per method. */
export const DEFAULT_DATASET: Record<TrainMethod, string> = {
  sft: "sft",
  raft: "raft",
  reward: "preferences",
  dpo: "preferences",
  rlhf: "preferences", // prompt-only: the prompts of the preference pairs (their answers are ignored)
};

export const AccelerateSchema = z
  .object({
    strategy: z
      .enum(["ddp", "deepspeed-zero2", "deepspeed-zero3", "fsdp"])
      .default("deepspeed-zero2")
      .describe("Data parallel (ddp), DeepSpeed ZeRO stage 2 or 3, or FSDP (FULL_SHARD)."),
    num_processes: z.number().int().min(1).default(1).describe("Processes in total over all machines (one per GPU)."),
    num_machines: z.number().int().min(1).default(1).describe("Nodes."),
    machine_rank: z.number().int().min(0).default(0).describe("This node's rank (0 = main)."),
    main_process_ip: z.string().default("127.0.0.1").describe("Address of the rank-0 node."),
    main_process_port: z.number().int().min(1).max(65535).default(29500),
    cpu: z.boolean().default(false).describe("Run the processes on CPU (gloo backend); ddp only."),
  })
  .strict();
export type AccelerateConfig = z.output<typeof AccelerateSchema>;

const adapterCommon = {
  name: Name.describe("Adapter name; variants and other adapters (from, rewardModel) refer to it."),
  base: Name.describe("A key of `models` (provider llama): the base model to train."),
  dataset: z
    .string()
    .min(1)
    .optional()
    .describe(
      "A datasets-stage folder (sft, raft, preferences; default by method: sft, raft, preferences for reward/dpo/rlhf) or a .jsonl file (relative to the experiment file; a sibling <name>.validation.jsonl is the eval set).",
    ),
  quantization: QuantizationSchema,
  training: TrainingSchema.prefault({}),
  launcher: z
    .enum(["local", "accelerate"])
    .default("local")
    .describe("local = one Python process; accelerate = `accelerate launch` with a generated config (see accelerate)."),
  accelerate: AccelerateSchema.prefault({}).describe("Used when launcher is accelerate."),
};
const fromField = Name.optional().describe("dpo/rlhf: the sft or raft adapter this one starts from.");

/** One `train.adapters` entry of the experiment file; `method` defaults to sft. */
export const TrainAdapterSchema = z.preprocess(
  (v) => (v && typeof v === "object" && !Array.isArray(v) && !("method" in v) ? { ...v, method: "sft" } : v),
  z.discriminatedUnion(
    "method",
    [
      z.object({ method: z.literal("sft"), ...adapterCommon, lora: LoraSchema.prefault({}) }).strict(),
      z.object({ method: z.literal("raft"), ...adapterCommon, lora: LoraSchema.prefault({}) }).strict(),
      z.object({ method: z.literal("reward"), ...adapterCommon, lora: LoraSchema.prefault({}) }).strict(),
      z
        .object({
          method: z.literal("dpo"),
          ...adapterCommon,
          from: fromField,
          lora: DpoLoraSchema.prefault({}),
          dpo: DpoOptionsSchema.prefault({}),
        })
        .strict(),
      z
        .object({
          method: z.literal("rlhf"),
          ...adapterCommon,
          from: fromField,
          rewardModel: Name.optional().describe("rlhf: the trained reward adapter that scores the samples."),
          lora: LoraSchema.prefault({}),
          rlhf: RlhfOptionsSchema.prefault({}),
        })
        .strict(),
    ],
    { error: `unknown training method: use one of ${TRAIN_METHODS.join(", ")}` },
  ),
);
export type TrainAdapterConfig = z.output<typeof TrainAdapterSchema>;

/** What {@link checkTrainAdapters} reads of the experiment. */
interface TrainRefs {
  train: { adapters: readonly TrainAdapterConfig[] };
  generate: { variants: readonly { name: string; adapter?: string | undefined }[] };
  /** Selection rules (src/config/study.ts): `from` may name one; its candidates are checked here. */
  selections?: Record<string, { among: readonly string[] }>;
}

/**
 * Cross-entry rules zod cannot express per entry; call from the experiment's superRefine.
 * - dpo/rlhf need `from:` naming an sft/raft adapter on the same base;
 * - rlhf needs `rewardModel:` naming a reward adapter on the same base;
 * - a reward adapter is never a chat variant (generate.variants[].adapter).
 */
export function checkTrainAdapters(x: TrainRefs, ctx: z.RefinementCtx): void {
  const byName = new Map(x.train.adapters.map((a) => [a.name, a]));
  const at = (i: number, key: string) => ["train", "adapters", i, key];
  x.train.adapters.forEach((a, i) => {
    if (a.method === "dpo" || a.method === "rlhf") {
      const what = a.method === "dpo" ? "DPO" : "RLHF";
      if (a.from === undefined) {
        ctx.addIssue({
          code: "custom",
          path: at(i, "from"),
          message: `${what} starts from a supervised adapter: add \`from: <name of an sft or raft adapter>\``,
        });
      } else if (x.selections?.[a.from]) {
        // a selection rule: every candidate variant's adapter must be a valid start (the pick is made at run time)
        for (const v of x.selections[a.from]!.among) {
          const name = x.generate.variants.find((g) => g.name === v)?.adapter;
          const s = name === undefined ? undefined : byName.get(name);
          if (!s || !START_METHODS.includes(s.method) || s.base !== a.base)
            ctx.addIssue({
              code: "custom",
              path: at(i, "from"),
              message: `selection "${a.from}" may pick variant "${v}", which is not an sft or raft adapter on "${a.base}" (${what} starts from one)`,
            });
        }
      } else {
        const s = byName.get(a.from);
        if (!s)
          ctx.addIssue({ code: "custom", path: at(i, "from"), message: `no adapter "${a.from}" in train.adapters` });
        else if (!START_METHODS.includes(s.method))
          ctx.addIssue({
            code: "custom",
            path: at(i, "from"),
            message: `adapter "${a.from}" is a ${s.method} adapter; ${what} starts from an sft or raft adapter`,
          });
        else if (s.base !== a.base)
          ctx.addIssue({
            code: "custom",
            path: at(i, "from"),
            message: `adapter "${a.from}" was trained on "${s.base}", not "${a.base}" (an adapter only fits its own base)`,
          });
      }
    }
    if (a.method === "rlhf") {
      if (a.rewardModel === undefined) {
        ctx.addIssue({
          code: "custom",
          path: at(i, "rewardModel"),
          message: "RLHF needs a trained reward model: add `rewardModel: <name of a reward adapter>`",
        });
      } else {
        const r = byName.get(a.rewardModel);
        if (!r)
          ctx.addIssue({
            code: "custom",
            path: at(i, "rewardModel"),
            message: `no adapter "${a.rewardModel}" in train.adapters`,
          });
        else if (r.method !== "reward")
          ctx.addIssue({
            code: "custom",
            path: at(i, "rewardModel"),
            message: `adapter "${a.rewardModel}" is a ${r.method} adapter, not a reward model (method: reward)`,
          });
        else if (r.base !== a.base)
          ctx.addIssue({
            code: "custom",
            path: at(i, "rewardModel"),
            message: `reward model "${a.rewardModel}" was trained on "${r.base}", not "${a.base}"`,
          });
      }
    }
    if (a.launcher === "accelerate" && a.accelerate.cpu && a.accelerate.strategy !== "ddp")
      ctx.addIssue({
        code: "custom",
        path: at(i, "accelerate"),
        message: "on CPU only strategy ddp runs (DeepSpeed and FSDP need GPUs): set strategy: ddp or cpu: false",
      });
  });
  x.generate.variants.forEach((v, i) => {
    if (v.adapter !== undefined && byName.get(v.adapter)?.method === "reward")
      ctx.addIssue({
        code: "custom",
        path: ["generate", "variants", i, "adapter"],
        message: `adapter "${v.adapter}" is a reward model (it scores answers, it does not chat): a variant needs a chat adapter (${CHAT_METHODS.join(", ")})`,
      });
  });
}
