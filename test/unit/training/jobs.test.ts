import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TrainAdapterSchema } from "../../../src/config/training.ts";
import { ConfigError } from "../../../src/errors/config-error.ts";
import { accelerateConfig, accelerateLaunchPrefix } from "../../../src/training/accelerate.ts";
import { buildJobSpec, jobData, jobInputHashes, trainOrder } from "../../../src/training/jobs.ts";

const A = (x: Record<string, unknown>) => TrainAdapterSchema.parse({ base: "m", ...x });

describe("trainOrder", () => {
  it("runs start adapters and reward models before the jobs that need them, else keeps the file order", () => {
    const list = [
      A({ name: "p", method: "rlhf", from: "d0", rewardModel: "r" }),
      A({ name: "d", method: "dpo", from: "s" }),
      A({ name: "r", method: "reward" }),
      A({ name: "s" }),
      A({ name: "d0", method: "raft" }),
    ];
    expect(trainOrder(list).map((a) => a.name)).toEqual(["d0", "r", "p", "s", "d"]);
  });

  it("refuses an unknown dependency (direct callers; the schema catches it first)", () => {
    expect(() => trainOrder([A({ name: "d", method: "dpo", from: "nope" })])).toThrow(
      new ConfigError('train.adapters: "d" depends on unknown adapter "nope"'),
    );
  });

  it("takes a dependency trained by another artifact (one adapter per artifact in the graph)", () => {
    const rlhf = A({ name: "p", method: "rlhf", from: "s", rewardModel: "r" });
    const trained = new Set(["s", "r"]);
    expect(trainOrder([rlhf], (n) => trained.has(n)).map((a) => a.name)).toEqual(["p"]);
    // a dependency neither listed nor trained is still refused
    expect(() => trainOrder([rlhf], (n) => n === "s")).toThrow(
      new ConfigError('train.adapters: "p" depends on unknown adapter "r"'),
    );
  });
});

describe("job data and specs", () => {
  const dir = mkdtempSync(join(tmpdir(), "wf-jobs-"));
  mkdirSync(join(dir, "datasets", "sft"), { recursive: true });
  writeFileSync(join(dir, "datasets", "sft", "train.jsonl"), '{"messages": []}\n');
  writeFileSync(join(dir, "mine.jsonl"), "{}\n");
  writeFileSync(join(dir, "mine.validation.jsonl"), "{}\n");

  it("finds datasets-stage folders (default by method) and .jsonl files with their validation sibling", () => {
    expect(jobData(A({ name: "s" }), join(dir, "datasets"), join(dir, "e.yaml"))).toEqual({
      train: join(dir, "datasets", "sft", "train.jsonl"),
      eval: null,
    });
    expect(jobData(A({ name: "s", dataset: "mine.jsonl" }), join(dir, "datasets"), join(dir, "e.yaml"))).toEqual({
      train: join(dir, "mine.jsonl"),
      eval: join(dir, "mine.validation.jsonl"),
    });
  });

  it("a missing dataset fails with the file, the format the method needs and the fix", () => {
    expect(() =>
      jobData(A({ name: "d", method: "dpo", from: "s" }), join(dir, "datasets"), join(dir, "e.yaml")),
    ).toThrow(
      `train.adapters "d": dataset "preferences" has no training file ${join(dir, "datasets", "preferences", "train.jsonl")} (a dpo job needs prompt/chosen/rejected lines; the datasets stage writes it, or give dataset: path/to/file.jsonl)`,
    );
  });

  it("builds the method's job spec with the experiment seed", () => {
    const spec = buildJobSpec(A({ name: "d", method: "dpo", from: "s", dpo: { beta: 0.2 } }), {
      baseModelDir: "/b",
      data: { train: "/t.jsonl", eval: null },
      outputDir: "/o",
      startAdapterDir: "/s/adapter",
      seed: 7,
    });
    expect(spec).toMatchObject({
      method: "dpo",
      start_adapter_dir: "/s/adapter",
      dpo: { beta: 0.2, loss_type: "sigmoid", label_smoothing: 0 },
      lora: { r: 16 },
      training: { seed: 7, max_steps: -1 },
    });
  });

  it("the job identity follows file contents, not paths", async () => {
    const spec = buildJobSpec(A({ name: "s", dataset: "mine.jsonl" }), {
      baseModelDir: "/b",
      data: { train: join(dir, "mine.jsonl"), eval: null },
      outputDir: "/o",
      seed: 1,
    });
    const before = await jobInputHashes(spec);
    writeFileSync(join(dir, "mine.jsonl"), '{"changed": true}\n');
    const after = await jobInputHashes(spec);
    expect(after.train).not.toBe(before.train);
    expect(before.train).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("accelerate launcher", () => {
  const training = { gradient_accumulation_steps: 2, max_grad_norm: 0.3 };
  it("DeepSpeed ZeRO-3 on 2 nodes x 8 GPUs", () => {
    const a = A({
      name: "s",
      launcher: "accelerate",
      accelerate: {
        strategy: "deepspeed-zero3",
        num_processes: 16,
        num_machines: 2,
        machine_rank: 1,
        main_process_ip: "10.0.0.1",
      },
    });
    expect(accelerateConfig(a.accelerate, training)).toMatchObject({
      distributed_type: "DEEPSPEED",
      num_processes: 16,
      num_machines: 2,
      machine_rank: 1,
      main_process_ip: "10.0.0.1",
      mixed_precision: "bf16",
      deepspeed_config: {
        zero_stage: 3,
        gradient_accumulation_steps: 2,
        gradient_clipping: 0.3,
        zero3_init_flag: true,
      },
    });
  });
  it("FSDP and CPU data parallel", () => {
    const f = A({ name: "s", accelerate: { strategy: "fsdp", num_processes: 4 } });
    expect(accelerateConfig(f.accelerate, training)).toMatchObject({
      distributed_type: "FSDP",
      fsdp_config: { fsdp_version: 2 },
    });
    const c = A({ name: "s", accelerate: { strategy: "ddp", num_processes: 2, cpu: true } });
    expect(accelerateConfig(c.accelerate, training)).toMatchObject({
      distributed_type: "MULTI_CPU",
      use_cpu: true,
      num_processes: 2,
    });
    expect(accelerateLaunchPrefix(c.accelerate, "/x/acc.json")).toEqual([
      "-m",
      "torch.distributed.run",
      "--nproc_per_node=2",
      "--nnodes=1",
      "--node_rank=0",
      "--master_addr=127.0.0.1",
      "--master_port=29500",
      "-m",
      "trainer",
    ]);
    expect(accelerateLaunchPrefix(f.accelerate, "/x/acc.json")).toEqual([
      "-m",
      "accelerate.commands.launch",
      "--config_file",
      "/x/acc.json",
      "-m",
      "trainer",
    ]);
  });
});
