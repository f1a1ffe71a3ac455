"""``reward``: reward model with TRL's RewardTrainer + PEFT LoRA (task SEQ_CLS: the score head is
trained in full and saved with the adapter). See ``reward_config.py`` for data and outputs."""

from __future__ import annotations

import json
import os
from typing import Any

from .base_train import common_args, load_base, log_note, lora_config, prepare_output_dir, run_training
from .data import file_sha256, load_job_data
from .errors import TrainerError
from .progress import ProgressReporter
from .reward_config import DATA_FORMAT, REWARD_MARKER, RewardJobSpec


def load_reward_model(base_model_dir: str, adapter_dir: str, tokenizer=None):
    """Base + trained reward adapter (with its score head) in eval mode; returns ``(model, tokenizer)``.

    Args:
        tokenizer: the base's tokenizer when the caller has it loaded already (Gemma's takes seconds to load);
            else it is loaded from ``base_model_dir``.
    """
    import torch
    from peft import PeftModel
    from transformers import AutoModelForSequenceClassification

    from .base_model import load_tokenizer

    tokenizer = tokenizer if tokenizer is not None else load_tokenizer(base_model_dir)
    base = AutoModelForSequenceClassification.from_pretrained(base_model_dir, num_labels=1, dtype=torch.float32)
    base.config.pad_token_id = tokenizer.pad_token_id
    model = PeftModel.from_pretrained(base, adapter_dir).eval()
    return model, tokenizer


def require_pairs_fit(trainer, spec: RewardJobSpec, n_train: int, n_eval: int) -> tuple[int, int | None]:
    """TRL's RewardTrainer drops every pair whose chosen or rejected text is longer than ``max_length``
    (``training.max_seq_length``) instead of truncating it. Returns ``(train pairs kept, held-out pairs
    kept or None)``; the ``start`` event reports both so the stage can say how many were dropped.

    Raises:
        TrainerError: naming the file, when no training pair (or no held-out pair) fits.
    """
    kept_train = len(trainer.train_dataset)
    kept_eval = len(trainer.eval_dataset) if trainer.eval_dataset is not None else None
    for path, n, kept in ((spec.train_file, n_train, kept_train), (spec.eval_file, n_eval, kept_eval)):
        if kept == 0 and n > 0:
            raise TrainerError(
                f"{path}: all {n} preference pairs are longer than training.max_seq_length="
                f"{spec.training.max_seq_length} tokens (prompt + answer; TRL's RewardTrainer drops such pairs "
                "instead of truncating them); raise training.max_seq_length"
            )
    return kept_train, kept_eval


def run_reward(spec: RewardJobSpec, reporter: ProgressReporter) -> dict[str, Any]:
    """Train a reward model; returns the ``done`` event's fields plus ``eval_accuracy`` and
    ``eval_margin`` (held-out, at the end; ``None`` without an eval file)."""
    import torch

    if spec.threads is not None:
        torch.set_num_threads(spec.threads)
    train_rows, eval_rows = load_job_data(spec, DATA_FORMAT)
    resume, resume_note = prepare_output_dir(
        spec, {"train_file": file_sha256(spec.train_file), "eval_file": file_sha256(spec.eval_file)}
    )
    reporter.set_log_path(os.path.join(spec.output_dir, "training_log.jsonl"))

    from datasets import Dataset
    from transformers import AutoModelForSequenceClassification
    from trl import RewardConfig, RewardTrainer

    from .base_model import load_tokenizer

    tokenizer = load_tokenizer(spec.base_model_dir)
    use_cuda = torch.cuda.is_available()
    model, kind, note = load_base(spec, use_cuda, model_cls=AutoModelForSequenceClassification, num_labels=1)
    model.config.pad_token_id = tokenizer.pad_token_id
    log_note(f"{note}; {resume_note}")
    has_eval = eval_rows is not None
    args = RewardConfig(
        **common_args(spec, use_cuda, len(train_rows), has_eval),
        max_length=spec.training.max_seq_length,
        dataset_num_proc=None,
    )
    trainer = RewardTrainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_list(train_rows),
        eval_dataset=Dataset.from_list(eval_rows) if has_eval else None,
        processing_class=tokenizer,
        peft_config=lora_config(spec, task_type="SEQ_CLS"),
    )

    kept = require_pairs_fit(trainer, spec, len(train_rows), len(eval_rows) if has_eval else 0)

    def final_eval(tr) -> dict[str, Any]:
        if not has_eval:
            return {"eval_accuracy": None, "eval_margin": None}
        logged = [h for h in tr.state.log_history if "eval_accuracy" in h]
        # the Trainer evaluates at the last step when it falls on an eval step; else evaluate now
        m = logged[-1] if logged and logged[-1].get("step") == tr.state.global_step else tr.evaluate()
        return {"eval_accuracy": m.get("eval_accuracy"), "eval_margin": m.get("eval_margin"),
                "eval_loss_final": m.get("eval_loss")}

    done = run_training(
        trainer, spec, reporter, resume=resume, has_eval=has_eval, extra_done=final_eval,
        start_fields=dict(method=kind, method_note=note, resume_note=resume_note,
                          requested_quantization=spec.quantization, train_examples=len(train_rows),
                          train_examples_kept=kept[0], eval_examples=len(eval_rows) if eval_rows else 0,
                          eval_examples_kept=kept[1]),
    )
    with open(os.path.join(done["adapter_dir"], REWARD_MARKER), "w", encoding="utf-8") as f:
        json.dump({"method": "reward", "base_model_dir": spec.base_model_dir}, f)
    done["method"] = kind
    reporter.emit("done", **done)
    return done
