"""``dpo``: TRL DPOTrainer with a new LoRA on top of the merged start adapter (see ``dpo_config.py``)."""

from __future__ import annotations

import os
from typing import Any

from .base_config import check_adapter_for_base
from .base_train import (
    common_args,
    dir_sha256,
    load_base,
    log_note,
    lora_config,
    prepare_output_dir,
    run_training,
    stack_adapters,
)
from .data import file_sha256, load_dataset_file
from .dpo_config import DATA_FORMAT, DpoJobSpec
from .progress import ProgressReporter


def run_dpo(spec: DpoJobSpec, reporter: ProgressReporter) -> dict[str, Any]:
    """Train the DPO adapter; returns the ``done`` event's fields plus the last logged
    ``rewards/*`` values (``dpo_metrics_last``) and the held-out ones (``eval_metrics_last``)."""
    import torch

    if spec.threads is not None:
        torch.set_num_threads(spec.threads)
    check_adapter_for_base(spec.start_adapter_dir, spec.base_model_dir, "start_adapter_dir")
    train_rows = load_dataset_file(spec.train_file, DATA_FORMAT, "train_file")
    eval_rows = load_dataset_file(spec.eval_file, DATA_FORMAT, "eval_file") if spec.eval_file else None
    resume, resume_note = prepare_output_dir(
        spec,
        {"train_file": file_sha256(spec.train_file), "eval_file": file_sha256(spec.eval_file),
         "start_adapter": dir_sha256(spec.start_adapter_dir)},
    )
    reporter.set_log_path(os.path.join(spec.output_dir, "training_log.jsonl"))

    from datasets import Dataset
    from trl import DPOConfig, DPOTrainer

    from .base_model import load_tokenizer

    tokenizer = load_tokenizer(spec.base_model_dir)
    use_cuda = torch.cuda.is_available()
    model, kind, note = load_base(spec, use_cuda, start_adapter_dir=spec.start_adapter_dir)
    log_note(f"{note}; {resume_note}")
    has_eval = eval_rows is not None
    args = DPOConfig(
        **common_args(spec, use_cuda, len(train_rows), has_eval),
        max_length=spec.training.max_seq_length,
        beta=spec.dpo.beta,
        loss_type=[spec.dpo.loss_type],
        label_smoothing=spec.dpo.label_smoothing,
        dataset_num_proc=None,
    )
    trainer = DPOTrainer(
        model=model,  # plain (merged) model + peft_config: reference = adapter disabled = the start model
        ref_model=None,
        args=args,
        train_dataset=Dataset.from_list(train_rows),
        eval_dataset=Dataset.from_list(eval_rows) if has_eval else None,
        processing_class=tokenizer,
        peft_config=lora_config(spec),
    )
    def dpo_metrics(tr) -> dict[str, Any]:
        hist = [h for h in tr.state.log_history if "rewards/margins" in h and "loss" in h]
        ev = [h for h in tr.state.log_history if "eval_rewards/margins" in h]
        keys = ("rewards/chosen", "rewards/rejected", "rewards/margins", "rewards/accuracies")
        return {
            "dpo_metrics_first": {k: hist[0].get(k) for k in keys} if hist else None,
            "dpo_metrics_last": {k: hist[-1].get(k) for k in keys} if hist else None,
            "eval_metrics_last": {k: ev[-1].get(f"eval_{k}") for k in keys} if ev else None,
        }

    done = run_training(
        trainer, spec, reporter, resume=resume, has_eval=has_eval, adapter_subdir="adapter_delta",
        extra_done=dpo_metrics,
        start_fields=dict(method=kind, method_note=note, resume_note=resume_note,
                          requested_quantization=spec.quantization, train_examples=len(train_rows),
                          train_examples_kept=len(trainer.train_dataset),
                          eval_examples=len(eval_rows) if eval_rows else 0, beta=spec.dpo.beta,
                          loss_type=spec.dpo.loss_type, start_adapter_dir=spec.start_adapter_dir),
    )
    served = os.path.join(spec.output_dir, "adapter")
    if int(os.environ.get("RANK", "0")) == 0:
        done["served_adapter"] = stack_adapters(spec.base_model_dir, spec.start_adapter_dir, done["adapter_dir"], served)
    done["delta_adapter_dir"], done["adapter_dir"] = done["adapter_dir"], served
    done["method"] = kind
    reporter.emit("done", **done)
    return done
