"""``raft``: Retrieval-Augmented Fine-Tuning = TRL SFTTrainer on prompt/completion RAFT examples with
completion-only loss (``sft_train.run_supervised`` with the ``prompt_completion`` format)."""

from __future__ import annotations

from typing import Any

from .progress import ProgressReporter
from .raft_config import DATA_FORMAT, RaftJobSpec
from .sft_train import run_supervised


def run_raft(spec: RaftJobSpec, reporter: ProgressReporter) -> dict[str, Any]:
    """Train a RAFT adapter; returns the ``done`` event's fields (as ``sft``)."""
    return run_supervised(spec, reporter, DATA_FORMAT)
