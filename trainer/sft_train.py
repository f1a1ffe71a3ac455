"""``sft``: LoRA / QLoRA supervised fine-tuning with TRL's SFTTrainer (no hand-written loop).

Data: chat examples become conversational prompt/completion pairs (last assistant turn =
completion) so that the loss covers completion tokens only: SmolLM2's ChatML template has no
``{% generation %}`` markers, so TRL's ``assistant_only_loss`` cannot be used. ``raft`` runs the
same trainer on prompt/completion data (``raft_train.py``).
"""

from __future__ import annotations

import os
from typing import Any

from .base_train import common_args, lora_config, load_base, log_note, prepare_output_dir, require_some, run_training
from .data import file_sha256, load_dataset_file, messages_to_prompt_completion
from .errors import TrainerError
from .progress import ProgressReporter
from .sft_config import SftJobSpec


def load_examples(path: str) -> list[dict[str, Any]]:
    """Read a JSONL chat file into conversational prompt/completion examples (format ``chat``).

    Raises:
        InputFileError: missing file, invalid JSON or an invalid example, naming ``path:line``.
    """
    return load_dataset_file(path, "chat")


def load_supervised_data(spec, fmt: str) -> tuple[list[dict], list[dict] | None]:
    """Train and eval examples of a supervised job, read before any model is loaded."""
    train = load_dataset_file(spec.train_file, fmt, "train_file")  # type: ignore[arg-type]
    ev = load_dataset_file(spec.eval_file, fmt, "eval_file") if spec.eval_file else None  # type: ignore[arg-type]
    return train, ev


def run_supervised(spec, reporter: ProgressReporter, fmt: str) -> dict[str, Any]:
    """SFTTrainer with completion-only loss on ``fmt`` data; shared by ``sft`` and ``raft``.

    Resumes from the newest checkpoint when data and settings are unchanged, else starts fresh
    (``base_train.prepare_output_dir``). Emits ``start``, ``progress``, ``eval`` and ``done``.

    Raises:
        InputFileError: unreadable data files or base folder.
        TrainerError: no example fits (all prompts longer than ``max_seq_length``).
    """
    import torch

    if spec.threads is not None:
        torch.set_num_threads(spec.threads)
    train_rows, eval_rows = load_supervised_data(spec, fmt)
    resume, resume_note = prepare_output_dir(
        spec, {"train_file": file_sha256(spec.train_file), "eval_file": file_sha256(spec.eval_file)}
    )
    reporter.set_log_path(os.path.join(spec.output_dir, "training_log.jsonl"))

    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    from .base_model import load_tokenizer

    tokenizer = load_tokenizer(spec.base_model_dir)
    use_cuda = torch.cuda.is_available()
    model, kind, note = load_base(spec, use_cuda)
    log_note(f"{note}; {resume_note}")
    has_eval = eval_rows is not None
    args = SFTConfig(
        **common_args(spec, use_cuda, len(train_rows), has_eval),
        max_length=spec.training.max_seq_length,
        completion_only_loss=True,
        packing=False,
        dataset_num_proc=None,
    )
    trainer = SFTTrainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_list(train_rows),
        eval_dataset=Dataset.from_list(eval_rows) if has_eval else None,
        processing_class=tokenizer,
        peft_config=lora_config(spec),
    )
    kept = len(trainer.train_dataset)
    require_some(kept, spec)
    done = run_training(
        trainer, spec, reporter, resume=resume, has_eval=has_eval,
        start_fields=dict(
            method=kind, method_note=note, resume_note=resume_note, requested_quantization=spec.quantization,
            train_examples=len(train_rows), train_examples_kept=kept,  # >= 1 completion token after truncation
            eval_examples=len(eval_rows) if eval_rows else 0,
        ),
    )
    done["method"] = kind
    reporter.emit("done", **done)
    return done


def run_sft(spec: SftJobSpec, reporter: ProgressReporter) -> dict[str, Any]:
    """Run one LoRA/QLoRA SFT job: ``<output_dir>/adapter`` + ``training_log.jsonl`` (see
    :func:`run_supervised`). Returns the ``done`` event's fields."""
    return run_supervised(spec, reporter, "chat")


__all__ = ["messages_to_prompt_completion", "load_examples", "run_sft", "run_supervised", "TrainerError"]
