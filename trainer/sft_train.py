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
from .data import file_sha256, load_dataset_file, load_job_data, messages_to_prompt_completion
from .chat_format import end_of_turn, examples_without_end_of_turn_label
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
    """Train and eval examples of a supervised job, read before any model is loaded (``data.load_job_data``)."""
    return load_job_data(spec, fmt)  # type: ignore[arg-type]


def end_of_turn_truncation(trainer, tokenizer, spec, has_eval: bool) -> dict[str, int | None]:
    """Count the prepared (kept) examples whose end-of-turn token lost its label to ``max_seq_length``: on them
    the model learns to go on instead of stopping (``chat_format.examples_without_end_of_turn_label``). Logs a
    line on stderr when any train example is affected.

    Returns:
        ``{"train_examples_eot_truncated": int, "eval_examples_eot_truncated": int or None without eval}``.
    """
    _, eot_id = end_of_turn(tokenizer)
    train_cut = len(examples_without_end_of_turn_label(trainer.train_dataset, eot_id))
    eval_cut = len(examples_without_end_of_turn_label(trainer.eval_dataset, eot_id)) if has_eval else None
    if train_cut:
        log_note(
            f"{train_cut} of {len(trainer.train_dataset)} training examples lose their end-of-turn token to "
            f"training.max_seq_length={spec.training.max_seq_length}: on them the model learns not to stop; raise "
            "max_seq_length or shorten those examples"
        )
    return {"train_examples_eot_truncated": train_cut, "eval_examples_eot_truncated": eval_cut}


def run_supervised(spec, reporter: ProgressReporter, fmt: str) -> dict[str, Any]:
    """SFTTrainer with completion-only loss on ``fmt`` data; shared by ``sft`` and ``raft``.

    Resumes from the newest checkpoint when data and settings are unchanged, else starts fresh
    (``base_train.prepare_output_dir``). Emits ``start``, ``progress``, ``eval`` and ``done``; ``start`` and
    ``done`` carry ``train_examples_eot_truncated`` / ``eval_examples_eot_truncated``
    (:func:`end_of_turn_truncation`).

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
    eot_counts = end_of_turn_truncation(trainer, tokenizer, spec, has_eval)
    done = run_training(
        trainer, spec, reporter, resume=resume, has_eval=has_eval,
        start_fields=dict(
            method=kind, method_note=note, resume_note=resume_note, requested_quantization=spec.quantization,
            train_examples=len(train_rows), train_examples_kept=kept,  # >= 1 completion token after truncation
            eval_examples=len(eval_rows) if eval_rows else 0, **eot_counts,
        ),
    )
    done.update(eot_counts)
    done["method"] = kind
    reporter.emit("done", **done)
    return done


def run_sft(spec: SftJobSpec, reporter: ProgressReporter) -> dict[str, Any]:
    """Run one LoRA/QLoRA SFT job: ``<output_dir>/adapter`` + ``training_log.jsonl`` (see
    :func:`run_supervised`). Returns the ``done`` event's fields."""
    return run_supervised(spec, reporter, "chat")


__all__ = ["messages_to_prompt_completion", "load_examples", "run_sft", "run_supervised", "TrainerError"]
