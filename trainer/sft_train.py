"""``sft``: LoRA / QLoRA supervised fine-tuning with TRL's SFTTrainer (no hand-written loop).

Data: chat examples are turned into conversational prompt/completion pairs (last assistant turn =
completion) so that the loss covers completion tokens only: SmolLM2's ChatML template has no
``{% generation %}`` markers, so TRL's ``assistant_only_loss`` cannot be used.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from .base_model import load_tokenizer
from .errors import InputFileError, TrainerError
from .progress import ProgressReporter, make_progress_callback
from .sft_config import SftJobSpec

_ROLES = ("system", "user", "assistant", "tool")


def messages_to_prompt_completion(messages: list[dict[str, Any]]) -> dict[str, list[dict[str, str]]]:
    """Split a chat into a conversational prompt/completion pair.

    The last message must be an assistant turn; it becomes ``completion`` (a one-message list) and
    all messages before it become ``prompt``. Only ``role`` and ``content`` are kept.

    Raises:
        ValueError: empty chat, a malformed message, or a last message that is not ``assistant``,
            or no message before it.
    """
    if not isinstance(messages, list) or not messages:
        raise ValueError("'messages' must be a non-empty list")
    clean: list[dict[str, str]] = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or not isinstance(m.get("content"), str) or m.get("role") not in _ROLES:
            raise ValueError(f"message {i} must be {{'role': one of {list(_ROLES)}, 'content': str}}")
        clean.append({"role": m["role"], "content": m["content"]})
    if clean[-1]["role"] != "assistant":
        raise ValueError(f"the last message must have role 'assistant' (got '{clean[-1]['role']}')")
    if len(clean) < 2:
        raise ValueError("a chat needs at least one message before the assistant turn")
    return {"prompt": clean[:-1], "completion": clean[-1:]}


def _check_conversation(value: Any, key: str) -> list[dict[str, str]]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"'{key}' must be a non-empty list of messages")
    out = []
    for i, m in enumerate(value):
        if not isinstance(m, dict) or not isinstance(m.get("content"), str) or m.get("role") not in _ROLES:
            raise ValueError(f"{key}[{i}] must be {{'role': one of {list(_ROLES)}, 'content': str}}")
        out.append({"role": m["role"], "content": m["content"]})
    return out


def load_examples(path: str) -> list[dict[str, list[dict[str, str]]]]:
    """Read a JSONL chat file into conversational prompt/completion examples.

    Each non-blank line is ``{"messages": [...]}`` (converted with
    :func:`messages_to_prompt_completion`) or ``{"prompt": [...], "completion": [...]}`` (kept; the
    completion must hold assistant messages only).

    Raises:
        InputFileError: missing file, invalid JSON or an invalid example, naming ``path:line``;
            or no example at all.
    """
    if not os.path.isfile(path):
        raise InputFileError(path, "data file does not exist")
    examples = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise InputFileError(where, f"invalid JSON ({e.msg})") from None
            try:
                if not isinstance(row, dict):
                    raise ValueError("each line must be a JSON object")
                if "messages" in row:
                    examples.append(messages_to_prompt_completion(row["messages"]))
                elif "prompt" in row and "completion" in row:
                    prompt = _check_conversation(row["prompt"], "prompt")
                    completion = _check_conversation(row["completion"], "completion")
                    if any(m["role"] != "assistant" for m in completion):
                        raise ValueError("'completion' may contain assistant messages only")
                    examples.append({"prompt": prompt, "completion": completion})
                else:
                    raise ValueError("expected {'messages': [...]} or {'prompt': [...], 'completion': [...]}")
            except ValueError as e:
                raise InputFileError(where, str(e)) from None
    if not examples:
        raise InputFileError(path, "no examples (the file is empty)")
    return examples


def _bitsandbytes_status() -> tuple[bool, str]:
    """Whether 4-bit NF4 loading can run here, with a human reason when it cannot."""
    try:
        import bitsandbytes  # noqa: F401
    except Exception as e:  # ImportError or a broken native library
        return False, f"bitsandbytes is not usable ({type(e).__name__}: {e})"
    return True, "bitsandbytes available"


def _load_model(spec: SftJobSpec, use_cuda: bool):
    """Load the base for training; returns ``(model, method, note)``."""
    import torch
    from transformers import AutoModelForCausalLM

    if spec.quantization == "nf4":
        ok, why = _bitsandbytes_status()
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
                model = AutoModelForCausalLM.from_pretrained(
                    spec.base_model_dir, quantization_config=bnb, dtype=compute,
                    device_map={"": 0} if use_cuda else {"": "cpu"},
                )
                model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)
                return model, "qlora", "4-bit NF4 base via bitsandbytes"
            except Exception as e:  # bitsandbytes present but cannot quantize on this device
                why = f"bitsandbytes failed to load the base in 4-bit ({type(e).__name__}: {e})"
        note = f"quantization 'nf4' requested but {why}; running plain LoRA on fp32 weights"
    else:
        note = "LoRA on fp32 weights"
    model = AutoModelForCausalLM.from_pretrained(spec.base_model_dir, dtype=torch.float32)
    return model, "lora", note


def run_sft(spec: SftJobSpec, reporter: ProgressReporter) -> dict[str, Any]:
    """Run one LoRA/QLoRA SFT job and write ``<output_dir>/adapter`` + ``training_log.jsonl``.

    Resumes from the newest ``checkpoint-*`` in ``output_dir`` (Trainer's own resume). Emits
    ``start``, ``progress``, ``eval`` and ``done`` events through ``reporter`` (see
    :mod:`trainer.progress`).

    Returns:
        The ``done`` event's fields.

    Raises:
        InputFileError: unreadable data files or base folder.
        TrainerError: no example fits (all prompts longer than ``max_seq_length``).
    """
    import torch

    if spec.threads is not None:
        torch.set_num_threads(spec.threads)
    os.makedirs(spec.output_dir, exist_ok=True)
    reporter.set_log_path(os.path.join(spec.output_dir, "training_log.jsonl"))

    train_rows = load_examples(spec.train_file)
    eval_rows = load_examples(spec.eval_file) if spec.eval_file else None
    tokenizer = load_tokenizer(spec.base_model_dir)

    from datasets import Dataset
    from peft import LoraConfig
    from transformers.trainer_utils import get_last_checkpoint
    from trl import SFTConfig, SFTTrainer

    use_cuda = torch.cuda.is_available()
    model, method, note = _load_model(spec, use_cuda)
    print(note, file=sys.stderr)
    t = spec.training
    resume = get_last_checkpoint(spec.output_dir) if os.path.isdir(spec.output_dir) else None

    lora_config = LoraConfig(
        r=spec.lora.r,
        lora_alpha=spec.lora.alpha,
        lora_dropout=spec.lora.dropout,
        target_modules=list(spec.lora.target_modules),
        bias="none",
        task_type="CAUSAL_LM",
        use_rslora=False,
        use_dora=False,
    )
    has_eval = eval_rows is not None
    args = SFTConfig(
        output_dir=spec.output_dir,
        num_train_epochs=t.epochs,
        max_steps=t.max_steps,
        learning_rate=t.learning_rate,
        per_device_train_batch_size=t.batch_size,
        per_device_eval_batch_size=t.batch_size,
        gradient_accumulation_steps=t.gradient_accumulation_steps,
        max_length=t.max_seq_length,
        seed=t.seed,
        data_seed=t.seed,
        warmup_steps=t.warmup_ratio,  # a float in [0, 1) is a ratio of total steps (transformers 5)
        lr_scheduler_type=t.lr_scheduler,
        logging_steps=t.logging_steps,
        max_grad_norm=t.max_grad_norm,
        completion_only_loss=True,
        packing=False,
        bf16=False,
        fp16=False,
        use_cpu=not use_cuda,
        gradient_checkpointing=False,
        eval_strategy="epoch" if has_eval else "no",
        eval_on_start=has_eval,
        save_strategy="steps",
        save_steps=50,
        save_total_limit=2,
        report_to="none",
        disable_tqdm=True,
        include_num_input_tokens_seen="non_padding",
        dataloader_num_workers=0,
        dataset_num_proc=None,
    )
    trainer = SFTTrainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_list(train_rows),
        eval_dataset=Dataset.from_list(eval_rows) if has_eval else None,
        processing_class=tokenizer,
        peft_config=lora_config,
    )
    kept = len(trainer.train_dataset)
    if kept == 0:
        raise TrainerError(
            f"{spec.train_file}: no example keeps any completion token within "
            f"training.max_seq_length={t.max_seq_length} (prompts are too long); raise "
            "training.max_seq_length or shorten the prompts"
        )
    callback = make_progress_callback(reporter)
    trainer.add_callback(callback)
    trainable, total = trainer.model.get_nb_trainable_parameters()
    reporter.emit(
        "start",
        command="sft",
        method=method,
        method_note=note,
        requested_quantization=spec.quantization,
        device="cuda" if use_cuda else "cpu",
        threads=torch.get_num_threads(),
        train_examples=len(train_rows),
        train_examples_kept=kept,  # examples with >= 1 completion token after truncation
        eval_examples=len(eval_rows) if eval_rows else 0,
        trainable_parameters=trainable,
        total_parameters=total,
        resume_from=resume,
        spec=spec.to_dict(),
    )
    start_step = 0
    if resume is not None:
        try:
            with open(os.path.join(resume, "trainer_state.json"), encoding="utf-8") as f:
                start_step = int(json.load(f).get("global_step", 0))
        except (OSError, ValueError):
            start_step = 0
    t0 = time.time()
    result = trainer.train(resume_from_checkpoint=resume)
    seconds = time.time() - t0
    adapter_dir = os.path.join(spec.output_dir, "adapter")
    trainer.save_model(adapter_dir)
    steps_run = trainer.state.global_step - start_step
    tokens = trainer.state.num_input_tokens_seen
    losses = callback.losses
    steady_step_s, steady_tok_s = callback.steady_rate()
    done = {
        "adapter_dir": adapter_dir,
        "method": method,
        "train_loss_first": losses[0][1] if losses else None,
        "train_loss_last": losses[-1][1] if losses else None,
        "train_loss_mean": result.training_loss if steps_run > 0 else None,
        "eval_loss_first": callback.eval_losses[0][1] if callback.eval_losses else None,
        "eval_loss_last": callback.eval_losses[-1][1] if callback.eval_losses else None,
        "steps": trainer.state.global_step,
        "steps_this_run": steps_run,
        "seconds": round(seconds, 3),
        "seconds_per_step": round(steady_step_s, 4) if steady_step_s else None,
        "tokens_seen": tokens,
        "tokens_per_second": round(steady_tok_s, 2) if steady_tok_s else None,
    }
    reporter.emit("done", **done)
    return done


__all__ = ["messages_to_prompt_completion", "load_examples", "run_sft", "TrainerError"]
