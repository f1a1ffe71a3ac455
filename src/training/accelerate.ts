/**
 * `launcher: accelerate`: the Hugging Face Accelerate config file for N processes / nodes and the
 * `accelerate launch` command line that runs `python -m trainer <method>` in every process.
 * Trainers (TRL on transformers' Trainer) read the distributed setup from the environment that
 * `accelerate launch` sets; only rank 0 reports progress (trainer/progress.py).
 *
 * Config keys are Accelerate 1.15's (`accelerate config` writes the same ones).
 */
import type { AccelerateConfig } from "../config/training.ts";

/** The accelerate config (JSON; accelerate reads .json and .yaml) for one training job. */
export function accelerateConfig(
  a: AccelerateConfig,
  training: { gradient_accumulation_steps: number; max_grad_norm: number },
): Record<string, unknown> {
  const common = {
    compute_environment: "LOCAL_MACHINE",
    debug: false,
    num_processes: a.num_processes,
    num_machines: a.num_machines,
    machine_rank: a.machine_rank,
    main_process_ip: a.main_process_ip,
    main_process_port: a.main_process_port,
    rdzv_backend: "static",
    same_network: true,
    main_training_function: "main",
    downcast_bf16: "no",
    tpu_use_cluster: false,
    tpu_use_sudo: false,
  };
  switch (a.strategy) {
    case "ddp":
      return a.cpu
        ? { ...common, distributed_type: "MULTI_CPU", mixed_precision: "no", use_cpu: true }
        : { ...common, distributed_type: "MULTI_GPU", mixed_precision: "bf16", use_cpu: false, gpu_ids: "all" };
    case "deepspeed-zero2":
    case "deepspeed-zero3": {
      const stage = a.strategy === "deepspeed-zero3" ? 3 : 2;
      return {
        ...common,
        distributed_type: "DEEPSPEED",
        mixed_precision: "bf16",
        use_cpu: false,
        deepspeed_config: {
          zero_stage: stage,
          gradient_accumulation_steps: training.gradient_accumulation_steps,
          gradient_clipping: training.max_grad_norm,
          offload_optimizer_device: "none",
          offload_param_device: "none",
          zero3_init_flag: stage === 3,
          ...(stage === 3 ? { zero3_save_16bit_model: true } : {}),
        },
      };
    }
    case "fsdp":
      return {
        ...common,
        distributed_type: "FSDP",
        mixed_precision: "bf16",
        use_cpu: false,
        fsdp_config: {
          fsdp_version: 2,
          fsdp_auto_wrap_policy: "TRANSFORMER_BASED_WRAP",
          fsdp_cpu_ram_efficient_loading: true,
          fsdp_offload_params: false,
          fsdp_reshard_after_forward: true,
          fsdp_state_dict_type: "FULL_STATE_DICT",
          fsdp_activation_checkpointing: false,
        },
      };
    default:
      return a.strategy satisfies never;
  }
}

/**
 * Python arguments (after the interpreter) that run `trainer <args>` in every process; pass them as
 * the launch prefix of `runTrainerCommand`. GPUs: `accelerate launch --config_file <configFile>`.
 * CPU data parallel (`cpu: true`, strategy ddp): `torch.distributed.run` (torchrun, gloo backend):
 * Accelerate 1.15 starts several CPU processes only through mpirun, and for GPUs it hands over to
 * torch.distributed.run itself, so the processes see the same environment either way.
 */
export function accelerateLaunchPrefix(a: AccelerateConfig, configFile: string): string[] {
  if (a.cpu) {
    return [
      "-m",
      "torch.distributed.run",
      `--nproc_per_node=${Math.max(1, Math.floor(a.num_processes / a.num_machines))}`,
      `--nnodes=${a.num_machines}`,
      `--node_rank=${a.machine_rank}`,
      `--master_addr=${a.main_process_ip}`,
      `--master_port=${a.main_process_port}`,
      "-m",
      "trainer",
    ];
  }
  return ["-m", "accelerate.commands.launch", "--config_file", configFile, "-m", "trainer"];
}
