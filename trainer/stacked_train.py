"""What ``dpo`` and ``rlhf`` share: a new LoRA (the *delta*) trained on top of a start adapter.

The start adapter (an ``sft``/``raft`` job's) is merged into the base weights and the delta trains on
top; with the delta disabled the model is the start model, which is DPO's reference and RL's KL anchor.
The served adapter is start + delta as ONE LoRA (``base_train.stack_adapters``), in ``<output_dir>/adapter``;
the delta alone stays in ``<output_dir>/adapter_delta``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from .base_config import JobSpec, check_adapter_for_base
from .base_train import dir_sha256, is_main_process, load_base, log_note, prepare_output_dir, stack_adapters
from .data import load_job_data
from .progress import ProgressReporter


@dataclass
class StackedStart:
    """A stacked job ready to build its TRL trainer.

    Attributes:
        train_rows / eval_rows: examples in the method's format (``eval_rows`` None without an eval file).
        model: the base with the start adapter merged (fp32, or 4-bit NF4 when ``kind == "qlora"``).
        tokenizer: the base's tokenizer (``base_model.load_tokenizer``).
        kind: ``"lora"`` or ``"qlora"``; ``note``: why, plus the merged start adapter.
        resume: checkpoint to resume from, or None; ``resume_note``: why (``base_train.prepare_output_dir``).
        use_cuda: whether training runs on a GPU.
    """

    train_rows: list[dict[str, Any]]
    eval_rows: list[dict[str, Any]] | None
    model: Any
    tokenizer: Any
    kind: str
    note: str
    resume: str | None
    resume_note: str
    use_cuda: bool


def start_stacked_job(spec: JobSpec, reporter: ProgressReporter, data_format: str,
                      inputs: dict[str, str | None]) -> StackedStart:
    """Set up a ``dpo``/``rlhf`` job: threads, start adapter check, data, resume decision, log file, tokenizer,
    base with the start adapter merged (in that order: every check before the model loads).

    Args:
        spec: the job (``start_adapter_dir`` required).
        data_format: the method's ``DATA_FORMAT`` (``data.DataFormat``).
        inputs: content hashes of the job's other inputs (``{"train_file": sha256, ...}``); the start
            adapter's hash is added here. Together with the settings they decide resume vs fresh start.

    Raises:
        InputFileError: the start adapter belongs to another base, or bad data (``data.load_job_data``).
    """
    import torch

    if spec.threads is not None:
        torch.set_num_threads(spec.threads)
    check_adapter_for_base(spec.start_adapter_dir, spec.base_model_dir, "start_adapter_dir")
    train_rows, eval_rows = load_job_data(spec, data_format)  # type: ignore[arg-type]
    resume, resume_note = prepare_output_dir(spec, {**inputs, "start_adapter": dir_sha256(spec.start_adapter_dir)})
    reporter.set_log_path(os.path.join(spec.output_dir, "training_log.jsonl"))

    from .base_model import load_tokenizer

    tokenizer = load_tokenizer(spec.base_model_dir)
    use_cuda = torch.cuda.is_available()
    model, kind, note = load_base(spec, use_cuda, start_adapter_dir=spec.start_adapter_dir)
    log_note(f"{note}; {resume_note}")
    return StackedStart(train_rows, eval_rows, model, tokenizer, kind, note, resume, resume_note, use_cuda)


def finish_stacked_job(spec: JobSpec, reporter: ProgressReporter, done: dict[str, Any], kind: str) -> dict[str, Any]:
    """Write the served adapter (start + delta, on rank 0), point ``adapter_dir`` at it, emit ``done``.

    Args:
        done: ``base_train.run_training``'s fields; its ``adapter_dir`` is the delta's folder.

    Returns:
        ``done`` with ``adapter_dir`` = the served adapter, ``delta_adapter_dir``, ``served_adapter``
        (``{"r", "lora_alpha"}``, rank 0 only) and ``method`` = ``kind``.
    """
    served = os.path.join(spec.output_dir, "adapter")
    if is_main_process():
        done["served_adapter"] = stack_adapters(spec.base_model_dir, spec.start_adapter_dir, done["adapter_dir"], served)
    done["delta_adapter_dir"], done["adapter_dir"] = done["adapter_dir"], served
    done["method"] = kind
    reporter.emit("done", **done)
    return done
