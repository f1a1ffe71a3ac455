"""JSON-lines progress protocol between the trainer and the TypeScript side.

Contract (one JSON object per line on the process's *original* stdout; nothing else is ever
written there — human-readable text, warnings and tqdm bars go to stderr):

- ``{"event": "start", "command": str, ...}`` once, when a command begins. Training commands add
  ``"method": "lora" | "qlora"`` (what actually runs, not what was asked), ``"device": "cpu" | "cuda"``,
  ``"threads"``, ``"requested_quantization"`` and ``"train_examples"``.
- ``{"event": "progress", "step": int, "total_steps": int, "epoch": float, "loss": float,
  "learning_rate": float, "grad_norm": float | null}`` once per logging step (``training.logging_steps``).
  ``loss`` is the mean token-level cross-entropy (nats) over the completion tokens of the steps since
  the previous report, as computed by the Hugging Face Trainer.
  ``metrics`` holds the method's other logged values under TRL's names (``rewards/chosen``,
  ``rewards/rejected``, ``rewards/margins``, ``rewards/accuracies`` for dpo; ``accuracy``, ``margin``
  for reward; ``reward``, ``reward_std``, ``kl`` for rlhf).
- ``{"event": "eval", "step": int, "eval_loss": float, "metrics": {...}}`` after each evaluation
  (only when an eval file is given); ``metrics`` = TRL's ``eval_*`` values without the prefix.
- ``{"event": "samples", "step": int, "samples": [{"prompt", "completion", "reward"}]}`` (rlhf):
  completions sampled by the policy and their reward-model scores (``null`` = not computed).
- ``{"event": "done", ...}`` once on success; for ``sft``: ``adapter_dir``, ``train_loss_first``,
  ``train_loss_last``, ``eval_loss_first``, ``eval_loss_last``, ``steps`` (global step reached),
  ``steps_this_run`` (0 when a finished job is rerun), ``seconds`` (wall time of ``train()``),
  ``seconds_per_step`` and ``tokens_per_second`` (steady state, see ``steady_rate``).
- ``{"event": "error", "message": str}`` once on failure, followed by exit code 1. Expected errors
  (bad spec field, missing file) carry one sentence naming the field or file; tracebacks of
  unexpected errors go to stderr only.

The same events (except ``error``) are appended to ``<output_dir>/training_log.jsonl`` by the
training commands. In a multi-process run only rank 0 reports.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from typing import IO, Any


def _clean(value: Any) -> Any:
    """Make a value JSON-safe: NaN/inf floats become ``None``, tensors/numpy scalars become floats."""
    if hasattr(value, "item") and callable(value.item):
        try:
            value = value.item()
        except (ValueError, RuntimeError):
            return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


class ProgressReporter:
    """Writes protocol events as JSON lines.

    Args:
        stream: where events go (the original stdout, see :func:`claim_stdout`).
        log_path: optional file that also receives every event (appended, one JSON per line).
    """

    def __init__(self, stream: IO[str], log_path: str | None = None) -> None:
        self._stream = stream
        self._log_path = log_path
        # in a multi-process run (accelerate launch / torchrun) only rank 0 reports
        self._silent = int(os.environ.get("RANK", "0")) != 0

    def set_log_path(self, log_path: str | None) -> None:
        """Start (or stop, with ``None``) mirroring events into ``log_path``."""
        self._log_path = log_path

    def emit(self, event: str, **fields: Any) -> dict[str, Any]:
        """Write one event and return it. ``fields`` must be JSON-serialisable after :func:`_clean`."""
        record = {"event": event, **_clean(fields), "time": round(time.time(), 3)}
        if self._silent:
            return record
        line = json.dumps(record, ensure_ascii=False)
        self._stream.write(line + "\n")
        self._stream.flush()
        if self._log_path is not None and event != "error":
            with open(self._log_path, "a", encoding="utf-8") as f:
                f.write(line + "\n")
        return record


def claim_stdout() -> IO[str]:
    """Reserve the real stdout for JSON events and send everything else to stderr.

    Duplicates file descriptor 1 to a private descriptor, then points fd 1 and ``sys.stdout`` at
    stderr, so that prints from libraries (Trainer's ``tqdm.write``, C++ warnings) can never corrupt
    the protocol. Returns a text stream on the private descriptor.
    """
    sys.stdout.flush()
    private_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(private_fd, "w", buffering=1, encoding="utf-8")


def make_progress_callback(reporter: ProgressReporter):
    """Build a ``transformers.TrainerCallback`` that turns Trainer logs into ``progress``/``eval`` events.

    The callback keeps the histories ``losses`` and ``eval_losses`` (lists of ``(step, loss)``) and
    per-step timestamps (``steady_rate()``) for the ``done`` event and for tests. transformers is imported here, not at module import, so that
    spec validation errors come back in well under a second.
    """
    from transformers import TrainerCallback

    class JsonProgressCallback(TrainerCallback):
        def __init__(self) -> None:
            self.reporter = reporter
            self.losses: list[tuple[int, float]] = []
            self.eval_losses: list[tuple[int, float]] = []
            self.eval_metrics: list[tuple[int, dict]] = []
            # (wall time, global step, tokens seen) at the end of each optimizer step
            self.step_marks: list[tuple[float, int, int]] = []

        def on_step_end(self, args, state, control, **kwargs):
            self.step_marks.append((time.time(), state.global_step, int(state.num_input_tokens_seen or 0)))

        def steady_rate(self) -> tuple[float | None, float | None]:
            """(seconds per optimizer step, non-padding tokens per second) measured from the end of
            this run's first step to the end of its last step. Excludes start-up, the first step
            and the final save; includes evaluations and checkpoint saves in between.
            ``(None, None)`` with fewer than 2 steps."""
            if len(self.step_marks) < 2:
                return None, None
            (t0, s0, n0), (t1, s1, n1) = self.step_marks[0], self.step_marks[-1]
            if t1 <= t0 or s1 <= s0:
                return None, None
            return (t1 - t0) / (s1 - s0), ((n1 - n0) / (t1 - t0)) if n1 > n0 else None

        def on_log(self, args, state, control, logs=None, **kwargs):
            logs = logs or {}
            skip = ("loss", "learning_rate", "grad_norm", "epoch", "eval_loss")
            if "loss" in logs:
                loss = float(logs["loss"])
                self.losses.append((state.global_step, loss))
                self.reporter.emit(
                    "progress",
                    step=state.global_step,
                    total_steps=state.max_steps,
                    epoch=logs.get("epoch", state.epoch),
                    loss=loss,
                    learning_rate=logs.get("learning_rate"),
                    grad_norm=logs.get("grad_norm"),
                    # method metrics as TRL logs them: rewards/margins (dpo), accuracy, margin
                    # (reward), reward, reward_std, kl (rlhf), num_tokens...
                    metrics={k: v for k, v in logs.items() if k not in skip and not k.startswith("eval_")},
                )
            if "eval_loss" in logs:
                eval_loss = float(logs["eval_loss"])
                self.eval_losses.append((state.global_step, eval_loss))
                self.eval_metrics.append((state.global_step, {k: v for k, v in logs.items() if k.startswith("eval_")}))
                self.reporter.emit(
                    "eval",
                    step=state.global_step,
                    eval_loss=eval_loss,
                    metrics={k[5:]: v for k, v in logs.items() if k.startswith("eval_") and k != "eval_loss"},
                )

    return JsonProgressCallback()
