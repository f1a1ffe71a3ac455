"""``rlhf``: TRL GRPOTrainer / RLOOTrainer with the trained reward model as the reward function
(see ``rlhf_config.py``)."""

from __future__ import annotations

import math
import os
from typing import Any

from .base_config import check_adapter_for_base
from .base_train import common_args, dir_sha256, lora_config, run_training
from .data import file_sha256
from .errors import InputFileError
from .progress import ProgressReporter
from .reward_config import REWARD_MARKER
from .rlhf_config import DATA_FORMAT, RlhfJobSpec
from .stacked_train import finish_stacked_job, start_stacked_job


def _text(x: Any) -> str:
    """Content of a completion: a string, or the concatenated contents of a message list."""
    if isinstance(x, str):
        return x
    return "".join(m.get("content", "") for m in x if isinstance(m, dict))


class RewardModelFunction:
    """A trained reward model as a TRL reward function ``f(prompts, completions, **kw) -> list[float | None]``.

    Each (prompt, completion) conversation is formatted with the chat template (as RewardTrainer
    formatted the pairs it was trained on) and scored by the scalar head. ``None`` (not 0) for a
    completion that cannot be scored: empty text, or a non-finite score.

    Args:
        model, tokenizer: from ``reward_train.load_reward_model``.
        max_length: tokens kept per scored conversation (the end is cut).
        on_scored: called with ``(prompts, completions, rewards)`` after each batch (sample logging).
    """

    __name__ = "reward_model"  # TRL names the logged metric after the function

    def __init__(self, model, tokenizer, max_length: int, on_scored=None) -> None:
        self.model, self.tokenizer, self.max_length, self.on_scored = model, tokenizer, max_length, on_scored

    def score_texts(self, texts: list[str]) -> list[float]:
        """Raw scalar scores of full formatted conversations (NaN when the model gives one)."""
        import torch

        # right padding as RewardTrainer trained it (the policy's tokenizer, shared here, pads left)
        enc = self.tokenizer(texts, return_tensors="pt", padding=True, truncation=True, max_length=self.max_length,
                             add_special_tokens=False, padding_side="right")
        device = next(self.model.parameters()).device
        with torch.no_grad():
            logits = self.model(**{k: v.to(device) for k, v in enc.items()}).logits
        return [float(v) for v in logits[:, 0].float().cpu()]

    def __call__(self, prompts, completions, **kwargs) -> list[float | None]:
        rewards: list[float | None] = [None] * len(completions)
        texts, idx = [], []
        for i, (p, c) in enumerate(zip(prompts, completions)):
            if not _text(c).strip():
                continue  # nothing to score: excluded from the group baseline, not a 0
            if isinstance(p, list):
                conv = list(p) + (list(c) if isinstance(c, list) else [{"role": "assistant", "content": c}])
                texts.append(self.tokenizer.apply_chat_template(conv, tokenize=False))
            else:
                texts.append(p + _text(c))
            idx.append(i)
        if texts:
            for i, s in zip(idx, self.score_texts(texts)):
                rewards[i] = s if math.isfinite(s) else None
        if self.on_scored is not None:
            self.on_scored(prompts, completions, rewards)
        return rewards


def run_rlhf(spec: RlhfJobSpec, reporter: ProgressReporter) -> dict[str, Any]:
    """Online RL from the start adapter against the reward model; returns the ``done`` fields plus
    ``reward_first`` / ``reward_last`` (mean reward-model score of the sampled groups) and ``kl_last``."""
    spec.check_settings()
    check_adapter_for_base(spec.reward_model_dir, spec.base_model_dir, "reward_model_dir")
    if not os.path.isfile(os.path.join(spec.reward_model_dir, REWARD_MARKER)):
        raise InputFileError(spec.reward_model_dir, "reward_model_dir is not a reward model (train a `reward` job and give its adapter)")
    job = start_stacked_job(spec, reporter, DATA_FORMAT,
                            {"train_file": file_sha256(spec.train_file), "reward_model": dir_sha256(spec.reward_model_dir)})
    train_rows, use_cuda = job.train_rows, job.use_cuda
    job.tokenizer.padding_side = "left"

    from datasets import Dataset

    from .reward_train import load_reward_model

    rm, rm_tok = load_reward_model(spec.base_model_dir, spec.reward_model_dir, tokenizer=job.tokenizer)
    if use_cuda:
        rm = rm.to("cuda")
    box: dict[str, Any] = {}

    def on_scored(prompts, completions, rewards):
        n = spec.rlhf.log_completions
        tr = box.get("trainer")
        if n <= 0 or tr is None:
            return
        reporter.emit("samples", step=tr.state.global_step, samples=[
            {"prompt": _text(p) if not isinstance(p, list) else p[-1]["content"], "completion": _text(c), "reward": r}
            for p, c, r in list(zip(prompts, completions, rewards))[:n]
        ])

    reward_fn = RewardModelFunction(rm, rm_tok, spec.training.max_seq_length + spec.rlhf.max_completion_length, on_scored)
    o = spec.rlhf
    kw = common_args(spec, use_cuda, len(train_rows), False)
    rl = dict(num_generations=o.num_generations, max_completion_length=o.max_completion_length,
              temperature=o.temperature, beta=o.beta, log_completions=False)
    if o.algorithm == "grpo":
        from trl import GRPOConfig as Config, GRPOTrainer as Trainer
    else:
        from trl import RLOOConfig as Config, RLOOTrainer as Trainer
    args = Config(**kw, **rl)
    trainer = Trainer(
        model=job.model,  # merged start + new LoRA: the reference (for KL) is the adapter disabled
        reward_funcs=reward_fn,
        args=args,
        train_dataset=Dataset.from_list(train_rows),
        processing_class=job.tokenizer,
        peft_config=lora_config(spec),
    )
    box["trainer"] = trainer

    def rl_metrics(tr) -> dict[str, Any]:
        hist = [h for h in tr.state.log_history if "reward" in h]
        kl = [h["kl"] for h in tr.state.log_history if "kl" in h]
        return {"reward_first": hist[0]["reward"] if hist else None, "reward_last": hist[-1]["reward"] if hist else None,
                "kl_last": kl[-1] if kl else None, "algorithm": o.algorithm, "beta": o.beta}

    done = run_training(
        trainer, spec, reporter, resume=job.resume, has_eval=False, adapter_subdir="adapter_delta", extra_done=rl_metrics,
        start_fields=dict(method=job.kind, method_note=job.note, resume_note=job.resume_note, requested_quantization=spec.quantization,
                          train_examples=len(train_rows), algorithm=o.algorithm, beta=o.beta,
                          start_adapter_dir=spec.start_adapter_dir, reward_model_dir=spec.reward_model_dir),
    )
    return finish_stacked_job(spec, reporter, done, job.kind)
