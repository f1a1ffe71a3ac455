"""What every method's ``<method>_train.py`` shares: output folder and resume, model loading
(LoRA / QLoRA, a start adapter merged in), TRL argument defaults for CPU and GPU, early stopping,
the train-and-save run with its ``start``/``done`` events, and the served adapter of stacked jobs.

Resume rule (the job's identity is its *content*): ``<output_dir>/wayfarer-job.json`` records a
fingerprint of the resolved spec (less ``output_dir`` and ``threads``) plus the sha256 of every
input file (train, eval, start adapter, reward model). A rerun with the same fingerprint resumes
from the newest complete ``checkpoint-*`` (a run killed with SIGKILL continues where it stopped);
a different fingerprint (data or settings changed) deletes the old checkpoints and adapter and
trains from scratch.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import sys
import time
from typing import Any, Callable

from .base_config import JobSpec
from .data import file_sha256
from .errors import TrainerError
from .progress import ProgressReporter, make_progress_callback

FINGERPRINT_FILE = "wayfarer-job.json"


def is_main_process() -> bool:
    """True in a plain run and on rank 0 of an ``accelerate launch`` / torchrun group."""
    return int(os.environ.get("RANK", "0")) == 0


def dir_sha256(path: str | None) -> str | None:
    """sha256 over the files of an adapter folder (names and bytes, sorted); None for None."""
    if path is None:
        return None
    h = hashlib.sha256()
    for f in sorted(glob.glob(os.path.join(path, "*"))):
        if os.path.isfile(f):
            h.update(os.path.basename(f).encode())
            h.update((file_sha256(f) or "").encode())
    return h.hexdigest()


def job_fingerprint(spec: JobSpec, inputs: dict[str, str | None]) -> dict[str, Any]:
    """The identity of a job: resolved settings + content hashes of its inputs.

    Args:
        inputs: name -> sha256 of each input (files and adapter folders), ``None`` when absent.
    """
    settings = spec.to_dict()
    for k in ("output_dir", "threads", "train_file", "eval_file", "start_adapter_dir", "reward_model_dir"):
        settings.pop(k, None)
    body = {"settings": settings, "inputs": inputs}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    return {"version": 1, "fingerprint": digest, **body}


def complete_checkpoints(output_dir: str) -> list[str]:
    """``checkpoint-<step>`` folders that hold a ``trainer_state.json`` (newest last); a folder a
    killed run was still writing lacks it and is skipped."""
    found = []
    for d in glob.glob(os.path.join(output_dir, "checkpoint-*")):
        step = d.rsplit("-", 1)[-1]
        if step.isdigit() and os.path.isfile(os.path.join(d, "trainer_state.json")):
            found.append((int(step), d))
    return [d for _, d in sorted(found)]


def prepare_output_dir(spec: JobSpec, inputs: dict[str, str | None]) -> tuple[str | None, str]:
    """Create ``output_dir`` and decide resume vs fresh start (see the module docstring).

    Returns:
        ``(checkpoint to resume from or None, a one-line note saying why)``.
    """
    out = spec.output_dir
    os.makedirs(out, exist_ok=True)
    fp = job_fingerprint(spec, inputs)
    path = os.path.join(out, FINGERPRINT_FILE)
    old = None
    if os.path.isfile(path):
        try:
            with open(path, encoding="utf-8") as f:
                old = json.load(f).get("fingerprint")
        except (OSError, ValueError):
            old = None
    checkpoints = complete_checkpoints(out)
    if old is not None and old != fp["fingerprint"] or (old is None and checkpoints):
        if is_main_process():
            for d in glob.glob(os.path.join(out, "checkpoint-*")) + [os.path.join(out, "adapter"), os.path.join(out, "adapter_delta")]:
                shutil.rmtree(d, ignore_errors=True)
            for f in ("training_log.jsonl",):
                if os.path.exists(os.path.join(out, f)):
                    os.remove(os.path.join(out, f))
        note = "data or settings changed since the last run: old checkpoints removed, training from scratch"
        checkpoints = []
    elif checkpoints:
        note = f"same data and settings: resuming from {os.path.basename(checkpoints[-1])}"
    else:
        note = "fresh start"
    if is_main_process():
        with open(path, "w", encoding="utf-8") as f:
            json.dump(fp, f, indent=1)
    return (checkpoints[-1] if checkpoints else None), note


def bitsandbytes_status() -> tuple[bool, str]:
    """Whether 4-bit NF4 loading can run here, with a human reason when it cannot."""
    try:
        import bitsandbytes  # noqa: F401
    except Exception as e:  # ImportError or a broken native library
        return False, f"bitsandbytes is not usable ({type(e).__name__}: {e})"
    return True, "bitsandbytes available"


def load_base(spec: JobSpec, use_cuda: bool, model_cls=None, start_adapter_dir: str | None = None, **kwargs):
    """Load the base for training; returns ``(model, kind, note)``.

    ``kind`` is ``"qlora"`` when the base really loaded in 4-bit NF4, else ``"lora"``; ``note``
    says why (e.g. bitsandbytes missing). With ``start_adapter_dir`` that adapter is merged into the
    weights (the new LoRA trains on top; disabling it gives the start model = the reference).
    """
    import torch
    from transformers import AutoModelForCausalLM

    model_cls = model_cls or AutoModelForCausalLM
    model = None
    kind, note = "lora", "LoRA on fp32 weights"
    if spec.quantization == "nf4":
        ok, why = bitsandbytes_status()
        if ok:
            from peft import prepare_model_for_kbit_training
            from transformers import BitsAndBytesConfig

            compute = torch.bfloat16 if use_cuda else torch.float32
            bnb = BitsAndBytesConfig(
                load_in_4bit=True,
                bnb_4bit_quant_type="nf4",
                bnb_4bit_compute_dtype=compute,
                bnb_4bit_use_double_quant=True,
            )
            try:
                model = model_cls.from_pretrained(
                    spec.base_model_dir, quantization_config=bnb, dtype=compute,
                    device_map={"": 0} if use_cuda else {"": "cpu"}, **kwargs,
                )
                model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=use_cuda)
                kind, note = "qlora", "4-bit NF4 base via bitsandbytes"
            except Exception as e:  # bitsandbytes present but cannot quantize on this device
                why = f"bitsandbytes failed to load the base in 4-bit ({type(e).__name__}: {e})"
                model = None
        if model is None:
            note = f"quantization 'nf4' requested but {why}; running plain LoRA on fp32 weights"
    if model is None:
        model = model_cls.from_pretrained(spec.base_model_dir, dtype=torch.float32, **kwargs)
    if start_adapter_dir is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, start_adapter_dir).merge_and_unload()
        note += f"; start adapter {start_adapter_dir} merged into the base"
    return model, kind, note


def lora_config(spec: JobSpec, task_type: str = "CAUSAL_LM"):
    """PEFT ``LoraConfig`` of the spec (plain scaling alpha / r: no rsLoRA, no DoRA)."""
    from peft import LoraConfig

    return LoraConfig(
        r=spec.lora.r,
        lora_alpha=spec.lora.alpha,
        lora_dropout=spec.lora.dropout,
        target_modules=list(spec.lora.target_modules),
        bias="none",
        task_type=task_type,
        use_rslora=False,
        use_dora=False,
    )


def steps_per_epoch(n_examples: int, spec: JobSpec, world_size: int = 1) -> int:
    """Optimizer steps in one pass over ``n_examples`` (at least 1)."""
    t = spec.training
    per_step = t.batch_size * t.gradient_accumulation_steps * max(1, world_size)
    return max(1, -(-n_examples // per_step))


def common_args(spec: JobSpec, use_cuda: bool, n_train: int, has_eval: bool) -> dict[str, Any]:
    """Keyword arguments every TRL ``<Method>Config`` takes, from the spec.

    CPU: ``bf16=False``, ``use_cpu=True``, no gradient checkpointing. With an eval set, evaluation and
    checkpoints happen every ``training.eval_steps`` (default: once per epoch) and, when
    ``early_stopping_patience`` is set, the best checkpoint by eval loss is kept at the end.
    """
    t = spec.training
    world = int(os.environ.get("WORLD_SIZE", "1"))
    kw: dict[str, Any] = dict(
        output_dir=spec.output_dir,
        num_train_epochs=t.epochs,
        max_steps=t.max_steps,
        learning_rate=t.learning_rate,
        per_device_train_batch_size=t.batch_size,
        per_device_eval_batch_size=t.batch_size,
        gradient_accumulation_steps=t.gradient_accumulation_steps,
        seed=t.seed,
        data_seed=t.seed,
        warmup_steps=t.warmup_ratio,  # a float in [0, 1) is a ratio of total steps (transformers 5)
        lr_scheduler_type=t.lr_scheduler,
        logging_steps=t.logging_steps,
        max_grad_norm=t.max_grad_norm,
        bf16=use_cuda,
        fp16=False,
        use_cpu=not use_cuda,
        gradient_checkpointing=False,
        save_strategy="steps",
        save_steps=t.save_steps,
        save_total_limit=2,
        report_to="none",
        disable_tqdm=True,
        dataloader_num_workers=0,
        include_num_input_tokens_seen="non_padding",
        ddp_backend=None if use_cuda else ("gloo" if world > 1 else None),
    )
    if has_eval:
        every = t.eval_steps or steps_per_epoch(n_train, spec, world)
        kw.update(eval_strategy="steps", eval_steps=every, save_steps=every, eval_on_start=True)
        if t.early_stopping_patience:
            kw.update(load_best_model_at_end=True, metric_for_best_model="eval_loss", greater_is_better=False)
    else:
        kw.update(eval_strategy="no")
    return kw


def add_early_stopping(trainer, spec: JobSpec, has_eval: bool) -> bool:
    """Attach ``EarlyStoppingCallback(patience)`` when there is an eval set and patience is set."""
    if has_eval and spec.training.early_stopping_patience:
        from transformers import EarlyStoppingCallback

        trainer.add_callback(EarlyStoppingCallback(early_stopping_patience=spec.training.early_stopping_patience))
        return True
    return False


def start_step_of(checkpoint: str | None) -> int:
    """``global_step`` recorded in a checkpoint (0 without one)."""
    if checkpoint is None:
        return 0
    try:
        with open(os.path.join(checkpoint, "trainer_state.json"), encoding="utf-8") as f:
            return int(json.load(f).get("global_step", 0))
    except (OSError, ValueError):
        return 0


def run_training(
    trainer,
    spec: JobSpec,
    reporter: ProgressReporter,
    *,
    resume: str | None,
    start_fields: dict[str, Any],
    has_eval: bool,
    adapter_subdir: str = "adapter",
    extra_done: Callable[[Any], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Emit ``start``, train (resuming from ``resume``), save the adapter, emit ``done``.

    Returns:
        The ``done`` event's fields (see :mod:`trainer.progress`).
    """
    callback = make_progress_callback(reporter)
    trainer.add_callback(callback)
    early = add_early_stopping(trainer, spec, has_eval)
    trainable, total = trainer.model.get_nb_trainable_parameters()
    import torch

    reporter.emit(
        "start",
        command=spec.method,
        device="cuda" if torch.cuda.is_available() else "cpu",
        threads=torch.get_num_threads(),
        world_size=int(os.environ.get("WORLD_SIZE", "1")),
        trainable_parameters=trainable,
        total_parameters=total,
        resume_from=resume,
        early_stopping_patience=spec.training.early_stopping_patience if early else None,
        spec=spec.to_dict(),
        **start_fields,
    )
    start_step = start_step_of(resume)
    t0 = time.time()
    result = trainer.train(resume_from_checkpoint=resume)
    seconds = time.time() - t0
    adapter_dir = os.path.join(spec.output_dir, adapter_subdir)
    trainer.save_model(adapter_dir)
    steps_run = trainer.state.global_step - start_step
    losses = callback.losses
    steady_step_s, steady_tok_s = callback.steady_rate()
    done = {
        "adapter_dir": adapter_dir,
        "train_loss_first": losses[0][1] if losses else None,
        "train_loss_last": losses[-1][1] if losses else None,
        "train_loss_mean": result.training_loss if steps_run > 0 else None,
        "eval_loss_first": callback.eval_losses[0][1] if callback.eval_losses else None,
        "eval_loss_last": callback.eval_losses[-1][1] if callback.eval_losses else None,
        "best_checkpoint": trainer.state.best_model_checkpoint,
        "stopped_early": bool(early and trainer.state.global_step < trainer.state.max_steps),
        "steps": trainer.state.global_step,
        "max_steps": trainer.state.max_steps,
        "steps_this_run": steps_run,
        "seconds": round(seconds, 3),
        "seconds_per_step": round(steady_step_s, 4) if steady_step_s else None,
        "tokens_seen": int(trainer.state.num_input_tokens_seen or 0),
        "tokens_per_second": round(steady_tok_s, 2) if steady_tok_s else None,
    }
    if extra_done is not None:
        done.update(extra_done(trainer))
    return done


def stack_adapters(base_model_dir: str, start_adapter_dir: str, delta_dir: str, out_dir: str) -> dict[str, Any]:
    """Write the served adapter of a stacked job: start (sft/raft) + delta (dpo/rlhf) as ONE LoRA.

    PEFT ``add_weighted_adapter(combination_type="cat")`` concatenates the ranks (r = r1 + r2,
    alpha = r, each A scaled by its own alpha / r): exactly ``W + s1 B1 A1 + s2 B2 A2``, the weights
    the delta was trained on. The result exports to GGUF like any adapter.

    Returns:
        ``{"r": combined rank, "lora_alpha": ...}``.
    """
    import tempfile

    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(base_model_dir, dtype=torch.float32)
    model = PeftModel.from_pretrained(base, start_adapter_dir, adapter_name="start")
    model.load_adapter(delta_dir, adapter_name="delta")
    model.add_weighted_adapter(["start", "delta"], [1.0, 1.0], adapter_name="served", combination_type="cat")
    model.delete_adapter("start")
    model.delete_adapter("delta")
    with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(out_dir))) as tmp:
        model.save_pretrained(tmp, selected_adapters=["served"])
        src = os.path.join(tmp, "served")
        shutil.rmtree(out_dir, ignore_errors=True)
        shutil.move(src, out_dir)
    # record the base folder the adapter belongs to (PEFT writes the base's name_or_path)
    cfg_path = os.path.join(out_dir, "adapter_config.json")
    with open(cfg_path, encoding="utf-8") as f:
        cfg = json.load(f)
    cfg["base_model_name_or_path"] = base_model_dir
    with open(cfg_path, "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=2)
    return {"r": cfg["r"], "lora_alpha": cfg["lora_alpha"]}


def log_note(note: str) -> None:
    """Human-readable line on stderr (stdout is reserved for JSON events)."""
    print(note, file=sys.stderr)


def require_some(kept: int, spec: JobSpec) -> None:
    """Fail clearly when truncation left no trainable example."""
    if kept == 0:
        raise TrainerError(
            f"{spec.train_file}: no example keeps any completion token within "
            f"training.max_seq_length={spec.training.max_seq_length} (prompts are too long); raise "
            "training.max_seq_length or shorten the prompts"
        )
