"""The method table: ``python -m trainer <method> --spec JOB.json`` for every training method.

Each method has ``<method>_config.py`` (its spec dataclass and data format; fields come from
``schema/job.schema.json``) and ``<method>_train.py`` (a TRL trainer run). Adding a method = one
entry here + those two files + its branch in ``src/config/training.ts``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable

from .base_config import SCHEMA_DEFS, JobSpec, read_spec_file, validate_job_dict


@dataclass(frozen=True)
class Method:
    """One training method: its spec class, data format, runner (``module:function``) and help."""

    spec_cls: str
    data_format: str
    runner: str
    help: str


METHODS: dict[str, Method] = {
    "sft": Method("sft_config:SftJobSpec", "chat", "sft_train:run_sft",
                  "LoRA/QLoRA supervised fine-tuning (TRL SFTTrainer) on chat messages"),
    "raft": Method("raft_config:RaftJobSpec", "prompt_completion", "raft_train:run_raft",
                   "RAFT: SFT on prompt/completion data, loss on the completion only"),
    "reward": Method("reward_config:RewardJobSpec", "preference", "reward_train:run_reward",
                     "reward model (TRL RewardTrainer) on preference pairs"),
    "dpo": Method("dpo_config:DpoJobSpec", "preference", "dpo_train:run_dpo",
                  "DPO (TRL DPOTrainer) from an sft/raft adapter; reference = that adapter"),
    "rlhf": Method("rlhf_config:RlhfJobSpec", "prompt_only", "rlhf_train:run_rlhf",
                   "online RL (TRL GRPO/RLOO) from an sft/raft adapter against a trained reward model"),
}
assert tuple(METHODS) == tuple(SCHEMA_DEFS), "method table and schema branches must list the same methods"


def _load(ref: str) -> Any:
    module, name = ref.split(":")
    return getattr(importlib.import_module(f"trainer.{module}"), name)


def parse_job(data: Any, method: str, check_paths: bool = True) -> JobSpec:
    """Validate a decoded spec for ``method`` and build its dataclass; no model, no torch.

    Checks, in order: schema (fields, ranges, defaults), method cross-field rules, then files:
    base folder, data files (existence), start adapter / reward model folders.

    Raises:
        SpecError / InputFileError: one sentence naming the field or file and the fix.
    """
    m = METHODS[method]
    spec = _load(m.spec_cls).from_validated(validate_job_dict(data, method))
    check = getattr(spec, "check_settings", None)
    if check is not None:
        check()
    if check_paths:
        spec.check_paths()
    return spec


def load_job(path: str, method: str, check_paths: bool = True) -> JobSpec:
    """Read ``path`` and :func:`parse_job` it."""
    return parse_job(read_spec_file(path), method, check_paths)


def check_data(spec: JobSpec) -> int:
    """Read and check the job's data files in the method's format (before any model loads).

    Returns:
        The number of training examples.
    Raises:
        InputFileError: naming file, line and the expected format, or the answers that carry the base's
            end-of-turn token (``data.load_job_data``).
    """
    from .data import load_job_data

    train, _ = load_job_data(spec, METHODS[spec.method].data_format)  # type: ignore[arg-type]
    return len(train)


def runner(method: str) -> Callable[[JobSpec, Any], dict[str, Any]]:
    """The ``run_<method>(spec, reporter)`` function (imports torch/TRL lazily)."""
    return _load(METHODS[method].runner)
