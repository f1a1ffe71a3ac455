"""Job spec of ``python -m trainer raft --spec JOB.json``: SFT on RAFT data, loss on the completion only.

Fields as ``sft`` (schema ``$defs/RaftJob``, generated from ``src/config/training.ts``). Data: TRL
prompt-completion, ``{"prompt", "completion"}`` as strings (one user turn / one assistant turn) or
message lists, or ``{"messages"}``; RAFT records keep their gorilla fields beside them (ignored).
The prompt (question + oracle and distractor documents) gets no loss; the chain-of-thought answer
with its quotes and ``<ANSWER>:`` line does.
"""

from __future__ import annotations

from dataclasses import dataclass

from .base_config import JobSpec

DATA_FORMAT = "prompt_completion"


@dataclass(frozen=True)
class RaftJobSpec(JobSpec):
    """A validated ``raft`` job."""
