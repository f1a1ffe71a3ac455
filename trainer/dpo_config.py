"""Job spec of ``python -m trainer dpo --spec JOB.json``: Direct Preference Optimization (TRL DPOTrainer).

Schema ``$defs/DpoJob`` (generated from ``src/config/training.ts``): the ``sft`` fields plus
``start_adapter_dir`` (required: the sft/raft adapter DPO starts from) and ``dpo``:
``beta`` (default 0.1, the study's), ``loss_type`` (TRL's, default ``sigmoid`` = Rafailov et al.
2023), ``label_smoothing``. LoRA defaults to the study's DPO adapter: r 16, alpha 16, dropout 0.1.

How it runs: the start adapter is merged into the base; a new LoRA trains on top; the reference
policy is that merged start model (the new adapter disabled). ``<output_dir>/adapter_delta`` is the
DPO LoRA alone and ``<output_dir>/adapter`` the served adapter (start + delta concatenated into one
LoRA, exact; ``base_train.stack_adapters``). Logged per step as TRL names them:
``rewards/chosen``, ``rewards/rejected``, ``rewards/margins``, ``rewards/accuracies``.
Data: preference pairs ``{"prompt", "chosen", "rejected"}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .base_config import JobSpec

DATA_FORMAT = "preference"


@dataclass(frozen=True)
class DpoOptions:
    """``dpo`` object of the spec (schema ``$defs/DpoOptions``)."""

    beta: float = 0.1
    loss_type: str = "sigmoid"
    label_smoothing: float = 0.0


@dataclass(frozen=True)
class DpoJobSpec(JobSpec):
    """A validated ``dpo`` job."""

    start_adapter_dir: str = ""
    dpo: DpoOptions = field(default_factory=DpoOptions)

    @classmethod
    def _extra(cls, kw: dict[str, Any]) -> dict[str, Any]:
        kw["dpo"] = DpoOptions(**kw["dpo"])
        return kw
