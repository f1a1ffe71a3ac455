"""Job spec of ``python -m trainer reward --spec JOB.json``: a reward model on preference pairs.

Fields as ``sft`` (schema ``$defs/RewardJob``). Data: TRL preference pairs with an explicit prompt,
``{"prompt", "chosen", "rejected"}`` (strings or message lists). The model is the base with a
scalar head (``AutoModelForSequenceClassification``, one label) trained with TRL's RewardTrainer
(Bradley-Terry loss ``-log sigmoid(r_chosen - r_rejected)``); the LoRA adapter and the head are
saved together in ``<output_dir>/adapter``. With an eval file the held-out ``accuracy`` (share of
pairs with r_chosen > r_rejected) and ``margin`` (mean r_chosen - r_rejected) are reported.

A reward adapter scores answers; it is never served as a chat model (the experiment schema
refuses it as a generate variant) and it is not exported to GGUF.
"""

from __future__ import annotations

from dataclasses import dataclass

from .base_config import JobSpec

DATA_FORMAT = "preference"
#: Written into the adapter folder so that rlhf can check it was given a reward model.
REWARD_MARKER = "wayfarer-reward.json"


@dataclass(frozen=True)
class RewardJobSpec(JobSpec):
    """A validated ``reward`` job."""
