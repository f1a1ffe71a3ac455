"""``dpo``: TRL DPOTrainer with a new LoRA on top of the merged start adapter (see ``dpo_config.py``)."""

from __future__ import annotations

from typing import Any

from .base_train import common_args, lora_config, run_training
from .data import file_sha256
from .dpo_config import DATA_FORMAT, DpoJobSpec
from .progress import ProgressReporter
from .stacked_train import finish_stacked_job, start_stacked_job


def run_dpo(spec: DpoJobSpec, reporter: ProgressReporter) -> dict[str, Any]:
    """Train the DPO adapter; returns the ``done`` event's fields plus the last logged
    ``rewards/*`` values (``dpo_metrics_last``) and the held-out ones (``eval_metrics_last``)."""
    job = start_stacked_job(spec, reporter, DATA_FORMAT,
                            {"train_file": file_sha256(spec.train_file), "eval_file": file_sha256(spec.eval_file)})
    train_rows, eval_rows = job.train_rows, job.eval_rows

    from datasets import Dataset
    from trl import DPOConfig, DPOTrainer

    has_eval = eval_rows is not None
    args = DPOConfig(
        **common_args(spec, job.use_cuda, len(train_rows), has_eval),
        max_length=spec.training.max_seq_length,
        beta=spec.dpo.beta,
        loss_type=[spec.dpo.loss_type],
        label_smoothing=spec.dpo.label_smoothing,
        dataset_num_proc=None,
    )
    trainer = DPOTrainer(
        model=job.model,  # plain (merged) model + peft_config: reference = adapter disabled = the start model
        ref_model=None,
        args=args,
        train_dataset=Dataset.from_list(train_rows),
        eval_dataset=Dataset.from_list(eval_rows) if has_eval else None,
        processing_class=job.tokenizer,
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
        trainer, spec, reporter, resume=job.resume, has_eval=has_eval, adapter_subdir="adapter_delta",
        extra_done=dpo_metrics,
        start_fields=dict(method=job.kind, method_note=job.note, resume_note=job.resume_note,
                          requested_quantization=spec.quantization, train_examples=len(train_rows),
                          train_examples_kept=len(trainer.train_dataset),
                          eval_examples=len(eval_rows) if eval_rows else 0, beta=spec.dpo.beta,
                          loss_type=spec.dpo.loss_type, start_adapter_dir=spec.start_adapter_dir),
    )
    return finish_stacked_job(spec, reporter, done, job.kind)
