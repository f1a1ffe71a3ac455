"""Job spec of ``python -m trainer sft --spec JOB.json`` — the contract with the TypeScript side.

The JSON file holds one object. Unknown keys are rejected (a typo must not silently fall back to a
default). ``null`` means "use the default" for every optional field. Example with every default::

    {
      "base_model_dir": "runs/base/smollm2-135m",      # required: HF folder written by prepare-base
      "train_file": "runs/data/train.jsonl",           # required
      "eval_file": null,
      "output_dir": "runs/sft/job-1",                  # required
      "lora": {"r": 16, "alpha": 32, "dropout": 0.05,
               "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj",
                                  "gate_proj", "up_proj", "down_proj"]},
      "quantization": "none",
      "training": {"epochs": 2, "max_steps": -1, "learning_rate": 2e-4, "batch_size": 4,
                   "gradient_accumulation_steps": 1, "max_seq_length": 256, "seed": 42,
                   "warmup_ratio": 0.03, "lr_scheduler": "cosine", "logging_steps": 1,
                   "max_grad_norm": 0.3},
      "threads": null
    }

Top-level fields
----------------
base_model_dir (str, required)
    Folder with a Hugging Face model + tokenizer (``config.json``), normally written by
    ``python -m trainer prepare-base``. Relative paths resolve against the working directory.
train_file (str, required)
    JSONL file, one example per line, either ``{"messages": [{"role", "content"}, ...]}`` (the
    last message must be the assistant turn; it becomes the completion, everything before it the
    prompt) or conversational ``{"prompt": [messages...], "completion": [messages...]}``. Loss is
    computed on completion tokens only. At least one example.
eval_file (str | null, default null)
    Same format as ``train_file``; when given, eval loss is computed at the end of every epoch
    (and at the end when ``max_steps`` stops training early) and reported as ``eval`` events.
output_dir (str, required)
    Created if missing. Receives Trainer checkpoints (``checkpoint-<step>/``; training resumes
    from the newest one when rerun), the final PEFT adapter in ``adapter/`` and
    ``training_log.jsonl`` (the progress events).
quantization ("none" | "nf4", default "none")
    ``"nf4"`` asks for QLoRA: the base is loaded in 4-bit NF4 through bitsandbytes. When
    bitsandbytes is not installed or cannot run here, plain LoRA on fp32 weights runs instead; the
    ``start`` event's ``method`` ("lora" | "qlora") always says what actually ran.
threads (int | null, default null)
    CPU threads for torch (``torch.set_num_threads``); 1..1024. ``null`` keeps torch's default
    (all cores).

lora (object)
-------------
r (int, default 16)
    LoRA rank, 1..1024.
alpha (float, default 32)
    LoRA alpha (> 0); the update is scaled by ``alpha / r`` (no rsLoRA: the GGUF export needs it).
dropout (float, default 0.05)
    Dropout on the LoRA input, 0 <= dropout < 1.
target_modules (list[str], default all attention and MLP projections of llama-like models)
    Names of the linear modules to adapt; non-empty. ``embed_tokens`` and ``lm_head`` are refused
    because llama.cpp's LoRA loader cannot take them.

training (object)
-----------------
epochs (float, default 2)
    Passes over ``train_file`` (> 0). Ignored when ``max_steps`` > 0.
max_steps (int, default -1)
    Optimizer steps to run; -1 = derive from ``epochs``. Must be -1 or >= 1.
learning_rate (float, default 2e-4)
    Peak AdamW learning rate, 0 < lr <= 1.
batch_size (int, default 4)
    Examples per device per forward pass, 1..4096.
gradient_accumulation_steps (int, default 1)
    Forward passes per optimizer step, 1..4096. Effective batch = batch_size x this.
max_seq_length (int, default 256)
    Tokens per example after the chat template (longer ones are cut at the end), 16..131072.
seed (int, default 42)
    Seed for torch, data order and LoRA init, 0..2**32-1.
warmup_ratio (float, default 0.03)
    Fraction of total steps with linear warm-up, 0 <= ratio < 1.
lr_scheduler ("linear" | "cosine" | "constant" | "constant_with_warmup", default "cosine")
    Learning-rate schedule after warm-up.
logging_steps (int, default 1)
    Emit a ``progress`` event every this many optimizer steps, >= 1.
max_grad_norm (float, default 0.3)
    Gradient clipping norm, > 0 (QLoRA paper's 0.3).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from .errors import InputFileError, SpecError

QuantizationKind = Literal["none", "nf4"]
LrSchedulerKind = Literal["linear", "cosine", "constant", "constant_with_warmup"]

_QUANTIZATIONS: tuple[str, ...] = ("none", "nf4")
_SCHEDULERS: tuple[str, ...] = ("linear", "cosine", "constant", "constant_with_warmup")
_FORBIDDEN_TARGETS: tuple[str, ...] = ("embed_tokens", "lm_head", "wte", "token_embd", "output")
DEFAULT_TARGET_MODULES: tuple[str, ...] = (
    "q_proj",
    "k_proj",
    "v_proj",
    "o_proj",
    "gate_proj",
    "up_proj",
    "down_proj",
)


@dataclass(frozen=True)
class LoraSpec:
    """LoRA hyper-parameters; see the module docstring for meaning and ranges."""

    r: int = 16
    alpha: float = 32.0
    dropout: float = 0.05
    target_modules: tuple[str, ...] = DEFAULT_TARGET_MODULES


@dataclass(frozen=True)
class TrainingSpec:
    """Optimisation hyper-parameters; see the module docstring for meaning and ranges."""

    epochs: float = 2.0
    max_steps: int = -1
    learning_rate: float = 2e-4
    batch_size: int = 4
    gradient_accumulation_steps: int = 1
    max_seq_length: int = 256
    seed: int = 42
    warmup_ratio: float = 0.03
    lr_scheduler: LrSchedulerKind = "cosine"
    logging_steps: int = 1
    max_grad_norm: float = 0.3


@dataclass(frozen=True)
class SftJobSpec:
    """A validated ``sft`` job. Build it with :func:`parse_sft_spec` / :func:`load_sft_spec`."""

    base_model_dir: str
    train_file: str
    output_dir: str
    eval_file: str | None = None
    lora: LoraSpec = field(default_factory=LoraSpec)
    quantization: QuantizationKind = "none"
    training: TrainingSpec = field(default_factory=TrainingSpec)
    threads: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The resolved spec (defaults filled in) as plain JSON-able data."""
        d = asdict(self)
        d["lora"]["target_modules"] = list(self.lora.target_modules)
        return d


# --- field checks -------------------------------------------------------------------------------


def _int(d: dict, key: str, path: str, default: int, lo: int, hi: int | None = None, extra: tuple[int, ...] = ()) -> int:
    v = d.get(key)
    if v is None:
        return default
    if isinstance(v, bool) or not isinstance(v, int):
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        else:
            raise SpecError(path, f"must be an integer, got {json.dumps(v)}")
    if v in extra:
        return v
    if v < lo or (hi is not None and v > hi):
        rng = f"{lo}..{hi}" if hi is not None else f">= {lo}"
        allowed = f" (or {', '.join(map(str, extra))})" if extra else ""
        raise SpecError(path, f"must be in {rng}{allowed}, got {v}")
    return v


def _float(
    d: dict,
    key: str,
    path: str,
    default: float,
    lo: float,
    hi: float | None = None,
    lo_open: bool = False,
    hi_open: bool = False,
) -> float:
    v = d.get(key)
    if v is None:
        return default
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise SpecError(path, f"must be a number, got {json.dumps(v)}")
    v = float(v)
    bad_lo = v <= lo if lo_open else v < lo
    bad_hi = hi is not None and (v >= hi if hi_open else v > hi)
    if bad_lo or bad_hi or v != v:
        left = "(" if lo_open else "["
        right = ")" if hi_open else "]"
        raise SpecError(path, f"must be in {left}{lo}, {hi if hi is not None else 'inf'}{right}, got {v}")
    return v


def _str(d: dict, key: str, path: str, required: bool) -> str | None:
    v = d.get(key)
    if v is None:
        if required:
            raise SpecError(path, "is required (a path string)")
        return None
    if not isinstance(v, str) or not v.strip():
        raise SpecError(path, f"must be a non-empty string, got {json.dumps(v)}")
    return v


def _choice(d: dict, key: str, path: str, default: str, choices: tuple[str, ...]) -> str:
    v = d.get(key)
    if v is None:
        return default
    if v not in choices:
        raise SpecError(path, f"must be one of {', '.join(json.dumps(c) for c in choices)}, got {json.dumps(v)}")
    return v


def _object(d: dict, key: str, path: str) -> dict:
    v = d.get(key)
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise SpecError(path, f"must be an object, got {json.dumps(v)}")
    return v


def _no_unknown(d: dict, known: tuple[str, ...], prefix: str) -> None:
    for k in d:
        if k not in known:
            raise SpecError(f"{prefix}{k}", f"unknown field (known: {', '.join(known)})")


def _parse_lora(d: dict) -> LoraSpec:
    _no_unknown(d, ("r", "alpha", "dropout", "target_modules"), "lora.")
    tm = d.get("target_modules")
    if tm is None:
        targets = DEFAULT_TARGET_MODULES
    else:
        if not isinstance(tm, list) or not tm or not all(isinstance(t, str) and t for t in tm):
            raise SpecError("lora.target_modules", f"must be a non-empty list of module names, got {json.dumps(tm)}")
        bad = [t for t in tm if t in _FORBIDDEN_TARGETS]
        if bad:
            raise SpecError(
                "lora.target_modules",
                f"{', '.join(bad)} cannot be adapted: llama.cpp LoRA adapters support linear layers only "
                "(remove embeddings / lm_head)",
            )
        targets = tuple(tm)
    return LoraSpec(
        r=_int(d, "r", "lora.r", 16, 1, 1024),
        alpha=_float(d, "alpha", "lora.alpha", 32.0, 0.0, lo_open=True),
        dropout=_float(d, "dropout", "lora.dropout", 0.05, 0.0, 1.0, hi_open=True),
        target_modules=targets,
    )


def _parse_training(d: dict) -> TrainingSpec:
    _no_unknown(d, tuple(TrainingSpec.__dataclass_fields__), "training.")
    return TrainingSpec(
        epochs=_float(d, "epochs", "training.epochs", 2.0, 0.0, lo_open=True),
        max_steps=_int(d, "max_steps", "training.max_steps", -1, 1, extra=(-1,)),
        learning_rate=_float(d, "learning_rate", "training.learning_rate", 2e-4, 0.0, 1.0, lo_open=True),
        batch_size=_int(d, "batch_size", "training.batch_size", 4, 1, 4096),
        gradient_accumulation_steps=_int(
            d, "gradient_accumulation_steps", "training.gradient_accumulation_steps", 1, 1, 4096
        ),
        max_seq_length=_int(d, "max_seq_length", "training.max_seq_length", 256, 16, 131072),
        seed=_int(d, "seed", "training.seed", 42, 0, 2**32 - 1),
        warmup_ratio=_float(d, "warmup_ratio", "training.warmup_ratio", 0.03, 0.0, 1.0, hi_open=True),
        lr_scheduler=_choice(d, "lr_scheduler", "training.lr_scheduler", "cosine", _SCHEDULERS),  # type: ignore[arg-type]
        logging_steps=_int(d, "logging_steps", "training.logging_steps", 1, 1),
        max_grad_norm=_float(d, "max_grad_norm", "training.max_grad_norm", 0.3, 0.0, lo_open=True),
    )


def parse_sft_spec(data: Any, check_paths: bool = True) -> SftJobSpec:
    """Validate a decoded job-spec object and return the resolved spec.

    Args:
        data: the decoded JSON object.
        check_paths: also check that ``base_model_dir`` holds a ``config.json`` and that
            ``train_file`` / ``eval_file`` exist (cheap ``os.path`` checks, no file is read).

    Raises:
        SpecError: the first invalid field, named by its dotted path.
        InputFileError: a referenced file or folder is missing.
    """
    if not isinstance(data, dict):
        raise SpecError("<root>", "the job spec must be a JSON object")
    _no_unknown(
        data,
        ("base_model_dir", "train_file", "eval_file", "output_dir", "lora", "quantization", "training", "threads"),
        "",
    )
    spec = SftJobSpec(
        base_model_dir=_str(data, "base_model_dir", "base_model_dir", True),  # type: ignore[arg-type]
        train_file=_str(data, "train_file", "train_file", True),  # type: ignore[arg-type]
        eval_file=_str(data, "eval_file", "eval_file", False),
        output_dir=_str(data, "output_dir", "output_dir", True),  # type: ignore[arg-type]
        lora=_parse_lora(_object(data, "lora", "lora")),
        quantization=_choice(data, "quantization", "quantization", "none", _QUANTIZATIONS),  # type: ignore[arg-type]
        training=_parse_training(_object(data, "training", "training")),
        threads=None if data.get("threads") is None else _int(data, "threads", "threads", 0, 1, 1024),
    )
    if check_paths:
        if not os.path.isfile(os.path.join(spec.base_model_dir, "config.json")):
            raise InputFileError(
                spec.base_model_dir,
                "base_model_dir has no config.json; create it with `python -m trainer prepare-base --gguf FILE --out DIR`",
            )
        for name, path in (("train_file", spec.train_file), ("eval_file", spec.eval_file)):
            if path is not None and not os.path.isfile(path):
                raise InputFileError(path, f"{name} does not exist")
    return spec


def load_sft_spec(path: str, check_paths: bool = True) -> SftJobSpec:
    """Read and validate a job-spec JSON file (see :func:`parse_sft_spec`).

    Raises:
        InputFileError: the file is missing or is not valid JSON.
        SpecError: an invalid field.
    """
    if not os.path.isfile(path):
        raise InputFileError(path, "job spec file does not exist")
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except json.JSONDecodeError as e:
        raise InputFileError(path, f"job spec is not valid JSON ({e.msg} at line {e.lineno} column {e.colno})") from None
    return parse_sft_spec(data, check_paths=check_paths)
