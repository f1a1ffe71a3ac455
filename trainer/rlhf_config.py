"""Job spec of ``python -m trainer rlhf --spec JOB.json``: online RL against a trained reward model.

Schema ``$defs/RlhfJob`` (generated from ``src/config/training.ts``): the ``sft`` fields plus
``start_adapter_dir`` (required: the sft/raft adapter the policy starts from), ``reward_model_dir``
(required: a ``reward`` job's adapter) and ``rlhf``: ``algorithm`` (``grpo`` = TRL GRPOTrainer,
``rloo`` = RLOOTrainer; PPO is no longer in TRL), ``beta`` (KL coefficient to the reference = the
start policy, i.e. the new adapter disabled; 0 = no KL control), ``num_generations`` (group size),
``max_completion_length``, ``temperature``, ``log_completions`` (samples per logging step).

Data: prompt-only ``{"prompt"}`` (a string = one user turn, or messages ending with a user turn).
Each sampled completion is scored by the reward model; a completion that cannot be scored (empty,
or a non-finite score) gets ``None``, which TRL (1.13, ``_generate_and_score_completions``) keeps out
of the group's baseline and gives zero advantage: it is never counted as a reward of 0.
Outputs as ``dpo``: ``adapter_delta`` (the RL LoRA) and ``adapter`` (start + delta, served).
The eval file is not used (online RL has no held-out loss); the reward curve is the signal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .base_config import JobSpec
from .errors import SpecError

DATA_FORMAT = "prompt_only"


@dataclass(frozen=True)
class RlhfOptions:
    """``rlhf`` object of the spec (schema ``$defs/RlhfOptions``)."""

    algorithm: str = "grpo"
    beta: float = 0.05
    num_generations: int = 4
    max_completion_length: int = 128
    temperature: float = 1.0
    log_completions: int = 2


@dataclass(frozen=True)
class RlhfJobSpec(JobSpec):
    """A validated ``rlhf`` job."""

    start_adapter_dir: str = ""
    reward_model_dir: str = ""
    rlhf: RlhfOptions = field(default_factory=RlhfOptions)

    @classmethod
    def _extra(cls, kw: dict[str, Any]) -> dict[str, Any]:
        kw["rlhf"] = RlhfOptions(**kw["rlhf"])
        return kw

    def check_settings(self) -> None:
        """Cross-field rule TRL enforces only after loading the model: every generation batch holds
        whole prompt groups (batch_size x gradient_accumulation_steps divisible by num_generations).

        Raises:
            SpecError: naming the fields and a working value.
        """
        t, g = self.training, self.rlhf.num_generations
        total = t.batch_size * t.gradient_accumulation_steps
        if total % g:
            raise SpecError(
                "training.batch_size",
                f"batch_size x gradient_accumulation_steps = {total} must be a multiple of rlhf.num_generations = {g} "
                f"(each prompt's {g} completions are scored as one group); e.g. set training.batch_size to {g}",
            )
