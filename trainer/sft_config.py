"""Job spec of ``python -m trainer sft --spec JOB.json``: LoRA / QLoRA supervised fine-tuning.

Fields, ranges and defaults: ``trainer/schema/job.schema.json`` (``$defs/SftJob``), generated from
``src/config/training.ts``; every field's meaning is its ``description`` there. Required:
``base_model_dir``, ``train_file``, ``output_dir``. Data: TRL conversational SFT, ``{"messages"}``
or ``{"prompt", "completion"}`` message lists (``trainer/data.py``). Defaults follow the seed study
(LoRA r 64, alpha 16, dropout 0.1; cosine, warm-up 3%, max grad norm 0.3; early stopping patience 3
when an eval file is given). Unknown keys are rejected; ``null`` means "use the default".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .base_config import JobSpec, LoraSpec, TrainingSpec, read_spec_file, validate_job_dict

#: The schema's default LoRA targets (all attention and MLP projections of llama-like models).
DEFAULT_TARGET_MODULES: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
DATA_FORMAT = "chat"


@dataclass(frozen=True)
class SftJobSpec(JobSpec):
    """A validated ``sft`` job (build it with :func:`parse_sft_spec` / :func:`load_sft_spec`)."""


def parse_sft_spec(data: Any, check_paths: bool = True) -> SftJobSpec:
    """Validate a decoded job-spec object (``method`` may be omitted) and return the resolved spec.

    Raises:
        SpecError: the first invalid field, named by its dotted path.
        InputFileError: ``check_paths`` and a referenced file or folder is missing.
    """
    spec = SftJobSpec.from_validated(validate_job_dict(data, "sft"))
    if check_paths:
        spec.check_paths()
    return spec  # type: ignore[return-value]


def load_sft_spec(path: str, check_paths: bool = True) -> SftJobSpec:
    """Read and validate a job-spec JSON file (see :func:`parse_sft_spec`)."""
    return parse_sft_spec(read_spec_file(path), check_paths=check_paths)


__all__ = ["DEFAULT_TARGET_MODULES", "LoraSpec", "SftJobSpec", "TrainingSpec", "load_sft_spec", "parse_sft_spec"]
