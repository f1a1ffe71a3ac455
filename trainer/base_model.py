"""Base models: GGUF -> trainable Hugging Face folder, and GGUF metadata helpers.

Facts this relies on (checked with transformers 5.17, see shared/reference/models-and-training.md):
- ``from_pretrained(dir, gguf_file=...)`` dequantizes Q4_1/Q4_K/Q5_0/Q6_K/Q8_0 GGUF weights to fp32.
- The rebuilt tokenizer sets ``eos_token`` to the BOS token (``<|im_start|>`` for SmolLM2) or to the
  GGUF's document end (``<eos>`` for Gemma); a chat model must end turns with the template's
  end-of-turn token (``<|im_end|>`` for ChatML, ``<end_of_turn>`` for Gemma), so it is set explicitly.
- The loaded model is flagged as quantized (``hf_quantizer``, ``is_quantized``,
  ``config.quantization_config``): TRL refuses to train it and ``save_pretrained`` fails until the
  flags are cleared.
- Gemma's SentencePiece-BPE vocabulary is rebuilt as Unigram and segments text differently from
  llama.cpp; it is replaced by :func:`trainer.gguf_tokenizer.spm_bpe_tokenizer` (same ids as llama.cpp).
- The Gemma-3-270M GGUF we ship (``gemma-3-270m-q4_k_m``, converted from ``google/gemma-3-270m``, the
  pretrained *base* model, not ``-it``) has no ``tokenizer.chat_template``; Gemma 3's instruction
  template (``trainer/chat_templates/gemma3.jinja``) is written into the prepared tokenizer, and
  node-llama-cpp serves the same file (``src/models/chat-template.ts``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass

from .errors import InputFileError, TrainerError

MARKER_FILE = "wayfarer-base.json"
MARKER_VERSION = 2  # 2: Gemma tokenizer rebuilt as llama.cpp's BPE, chat template and end-of-turn recorded
CHATML_END = "<|im_end|>"
CHATML_START = "<|im_start|>"
GEMMA_END = "<end_of_turn>"
# End-of-turn tokens of the chat formats we know, in the order they are looked for in a chat template.
END_OF_TURN_TOKENS = (CHATML_END, GEMMA_END, "<|eot_id|>", "<|end|>")
# Chat templates for GGUFs that carry none, by general.architecture (files in trainer/chat_templates/).
FALLBACK_CHAT_TEMPLATES = {"gemma3": "gemma3.jinja", "gemma2": "gemma3.jinja"}
CHAT_TEMPLATE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "chat_templates")


@dataclass(frozen=True)
class GgufArchInfo:
    """Architecture facts read from a GGUF header (no tensor data is read).

    Attributes:
        architecture: ``general.architecture`` (e.g. ``"llama"``, ``"gemma3"``).
        block_count: number of transformer blocks.
        head_count: attention heads (``<arch>.attention.head_count``).
        head_count_kv: key/value heads (``<arch>.attention.head_count_kv``; = head_count if absent).
        tensor_shapes: GGUF tensor name -> shape in numpy/PyTorch order ``(out, in)`` for matrices.
    """

    architecture: str
    block_count: int
    head_count: int
    head_count_kv: int
    tensor_shapes: dict[str, tuple[int, ...]]


def _field_value(reader, key: str):
    f = reader.fields.get(key)
    if f is None:
        return None
    return f.contents()


def read_gguf_arch_info(gguf_path: str) -> GgufArchInfo:
    """Read architecture, block/head counts and tensor shapes from a GGUF file.

    Cached per process on (real path, size, mtime): ``gguf.GGUFReader`` parses every metadata array, which
    for Gemma's 262k-token vocabulary takes seconds, and exporting several adapters reads the same base.

    Raises:
        InputFileError: the file is missing or is not a GGUF model.
    """
    if not os.path.isfile(gguf_path):
        raise InputFileError(gguf_path, "GGUF file does not exist")
    st = os.stat(gguf_path)
    return _read_gguf_arch_info(os.path.realpath(gguf_path), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _read_gguf_arch_info(gguf_path: str, size: int, mtime_ns: int) -> GgufArchInfo:
    import gguf

    try:
        reader = gguf.GGUFReader(gguf_path)
    except Exception as e:  # the gguf package raises ValueError/struct errors on bad files
        raise InputFileError(gguf_path, f"not a readable GGUF file ({e})") from None
    arch = _field_value(reader, "general.architecture")
    if not isinstance(arch, str):
        raise InputFileError(gguf_path, "GGUF has no general.architecture")
    blocks = _field_value(reader, f"{arch}.block_count")
    heads = _field_value(reader, f"{arch}.attention.head_count")
    heads_kv = _field_value(reader, f"{arch}.attention.head_count_kv")
    if blocks is None or heads is None:
        raise InputFileError(gguf_path, f"GGUF lacks {arch}.block_count or {arch}.attention.head_count")
    # GGUFReader reports ggml order (ne0 = innermost); reverse to numpy order.
    shapes = {t.name: tuple(int(x) for x in reversed(t.shape.tolist())) for t in reader.tensors}
    return GgufArchInfo(
        architecture=arch,
        block_count=int(blocks),
        head_count=int(heads),
        head_count_kv=int(heads_kv if heads_kv is not None else heads),
        tensor_shapes=shapes,
    )


def _gguf_fingerprint(gguf_path: str, with_sha256: bool) -> dict:
    st = os.stat(gguf_path)
    fp = {"gguf_name": os.path.basename(gguf_path), "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    if with_sha256:
        h = hashlib.sha256()
        with open(gguf_path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        fp["sha256"] = h.hexdigest()
    return fp


def _marker_matches(out_dir: str, gguf_path: str) -> bool:
    """True when ``out_dir`` has a completion marker for this GGUF.

    Matches on size + mtime first (free); if the mtime changed (copied file) falls back to sha256.
    """
    try:
        with open(os.path.join(out_dir, MARKER_FILE), encoding="utf-8") as f:
            marker = json.load(f)
    except (OSError, json.JSONDecodeError):
        return False
    if marker.get("version") != MARKER_VERSION:
        return False
    src = marker.get("source", {})
    cheap = _gguf_fingerprint(gguf_path, with_sha256=False)
    if src.get("size") != cheap["size"]:
        return False
    if src.get("mtime_ns") == cheap["mtime_ns"]:
        return True
    return src.get("sha256") == _gguf_fingerprint(gguf_path, with_sha256=True)["sha256"]


def _check_out_dir(out_dir: str) -> None:
    """Refuse to replace a non-empty folder that prepare-base did not write (no marker file)."""
    if os.path.isfile(out_dir):
        raise InputFileError(out_dir, "--out must be a folder, not a file")
    if os.path.isdir(out_dir) and os.listdir(out_dir) and not os.path.isfile(os.path.join(out_dir, MARKER_FILE)):
        raise InputFileError(
            out_dir, f"folder exists, is not empty and has no {MARKER_FILE}; choose an empty or new folder"
        )


def _pick_eos(tokenizer) -> str | None:
    """The end-of-turn token the chat template closes every turn with (first of END_OF_TURN_TOKENS found in
    both the vocabulary and the template), or None for a model without a known chat format."""
    vocab = tokenizer.get_vocab()
    template = tokenizer.chat_template or ""
    return next((t for t in END_OF_TURN_TOKENS if t in vocab and t in template), None)


def fallback_chat_template(architecture: str) -> tuple[str, str] | None:
    """``(template text, file name)`` for an architecture whose GGUFs may lack a chat template, else None."""
    name = FALLBACK_CHAT_TEMPLATES.get(architecture)
    if name is None:
        return None
    with open(os.path.join(CHAT_TEMPLATE_DIR, name), encoding="utf-8") as f:
        return f.read(), name


def _load_gguf_tokenizer(gguf_path: str):
    """Tokenizer for a GGUF whose ids match llama.cpp's (see module doc); returns ``(tokenizer, note)``."""
    import gguf
    from transformers import AutoTokenizer
    from transformers.tokenization_utils_tokenizers import TokenizersBackend

    from .gguf_tokenizer import is_spm_without_merges, spm_bpe_tokenizer

    folder, name = os.path.split(gguf_path)
    if not is_spm_without_merges(gguf_path):
        return AutoTokenizer.from_pretrained(folder, gguf_file=name), "transformers GGUF tokenizer"
    reader = gguf.GGUFReader(gguf_path)
    tokens = reader.fields["tokenizer.ggml.tokens"].contents()

    def token(key: str) -> str | None:
        v = _field_value(reader, f"tokenizer.ggml.{key}")
        return tokens[int(v)] if v is not None else None

    add_bos = _field_value(reader, "tokenizer.ggml.add_bos_token")
    add_eos = _field_value(reader, "tokenizer.ggml.add_eos_token")
    tok = TokenizersBackend(
        tokenizer_object=spm_bpe_tokenizer(gguf_path),
        bos_token=token("bos_token_id"),
        eos_token=token("eos_token_id"),
        unk_token=token("unknown_token_id"),
        pad_token=token("padding_token_id"),
        add_bos_token=bool(add_bos) if add_bos is not None else True,
        add_eos_token=bool(add_eos) if add_eos is not None else False,
    )
    chat_template = _field_value(reader, "tokenizer.chat_template")
    if isinstance(chat_template, str):
        tok.chat_template = chat_template
    return tok, "SentencePiece-BPE rebuilt from GGUF scores (llama.cpp segmentation)"


def prepare_base(gguf_path: str, out_dir: str, log=None) -> dict:
    """Turn a GGUF model into a trainable Hugging Face folder (fp32 weights + tokenizer).

    Steps: load with ``from_pretrained(dirname, gguf_file=basename)`` (dequantized to fp32); build the
    tokenizer so its ids equal llama.cpp's (SentencePiece-BPE GGUFs such as Gemma are rebuilt, see
    :mod:`trainer.gguf_tokenizer`); give a GGUF without a chat template its architecture's template
    (Gemma 3: ``trainer/chat_templates/gemma3.jinja``); set ``eos_token`` to the template's end-of-turn
    token (``<|im_end|>`` for ChatML, ``<end_of_turn>`` for Gemma; also in ``config`` /
    ``generation_config``); set the pad token to ``<|endoftext|>`` when present, else the GGUF's own pad
    token (Gemma ``<pad>``), else eos; clear the quantized flags; save model + tokenizer, then write
    ``wayfarer-base.json`` last as the completion marker.

    Idempotent: when ``out_dir`` already has a marker for this GGUF (same size and mtime, or same
    sha256), nothing is loaded and ``{"skipped": True, ...}`` is returned.

    Args:
        gguf_path: the base model GGUF file.
        out_dir: destination folder. Created; a folder from an earlier prepare-base (other GGUF)
            is replaced; a non-empty folder without the marker is refused.
        log: optional ``callable(str)`` for human-readable notes (stderr in the CLI).

    Returns:
        ``{"out_dir", "skipped", "architecture", "eos_token", "eos_token_id", "pad_token", "bos_token",
        "add_bos_token", "chat_template_source" ("gguf", a trainer/chat_templates file, or None), "tokenizer",
        "parameters"}``.

    Raises:
        InputFileError: the GGUF is missing or unreadable.
    """
    log = log or (lambda s: print(s, file=sys.stderr))
    gguf_path = os.path.abspath(gguf_path)
    if not os.path.isfile(gguf_path):
        raise InputFileError(gguf_path, "GGUF file does not exist")
    # the marker check comes first: parsing a GGUF's metadata (Gemma: a 262k-token vocabulary) takes seconds
    if _marker_matches(out_dir, gguf_path):
        with open(os.path.join(out_dir, MARKER_FILE), encoding="utf-8") as f:
            marker = json.load(f)
        log(f"{out_dir} already prepared from {os.path.basename(gguf_path)}; skipping")
        return {"out_dir": out_dir, "skipped": True, **marker.get("result", {})}
    info = read_gguf_arch_info(gguf_path)

    _check_out_dir(out_dir)
    from transformers import AutoModelForCausalLM

    folder, name = os.path.split(gguf_path)
    log(f"loading {name} (dequantizing to fp32)")
    tokenizer, tokenizer_note = _load_gguf_tokenizer(gguf_path)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name)

    template_source = "gguf" if tokenizer.chat_template else None
    if not tokenizer.chat_template:
        fallback = fallback_chat_template(info.architecture)
        if fallback is not None:
            tokenizer.chat_template, template_file = fallback
            template_source = f"trainer/chat_templates/{template_file}"
            log(f"{name} has no chat template; using {template_source}")
    eos = _pick_eos(tokenizer)
    if eos is not None:
        tokenizer.eos_token = eos
    vocab = tokenizer.get_vocab()
    own_pad = tokenizer.pad_token
    if "<|endoftext|>" in vocab and "<|endoftext|>" != tokenizer.eos_token:
        pad = "<|endoftext|>"
    elif own_pad is not None and own_pad != tokenizer.eos_token:
        pad = own_pad  # Gemma: <pad> (id 0), from tokenizer.ggml.padding_token_id
    else:
        pad = tokenizer.eos_token
    tokenizer.pad_token = pad
    eos_id = tokenizer.convert_tokens_to_ids(tokenizer.eos_token)
    pad_id = tokenizer.convert_tokens_to_ids(pad)
    model.config.eos_token_id = eos_id
    model.config.pad_token_id = pad_id
    if model.generation_config is not None:
        model.generation_config.eos_token_id = eos_id
        model.generation_config.pad_token_id = pad_id

    # Trap 2: clear the GGUF "quantized" flags so TRL trains it and save_pretrained works.
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    if getattr(model, "quantization_method", None) is not None:
        model.quantization_method = None

    # Written to a sibling folder and renamed, so an interrupted run never leaves a half folder.
    parent = os.path.dirname(os.path.abspath(out_dir))
    os.makedirs(parent, exist_ok=True)
    partial = tempfile.mkdtemp(prefix=f".{os.path.basename(os.path.abspath(out_dir))}.partial-", dir=parent)
    os.chmod(partial, 0o755)
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    result = {
        "architecture": info.architecture,
        "eos_token": tokenizer.eos_token,
        "eos_token_id": eos_id,
        "pad_token": pad,
        "bos_token": tokenizer.bos_token,
        "add_bos_token": bool(getattr(tokenizer, "add_bos_token", False)),
        "chat_template_source": template_source,
        "tokenizer": tokenizer_note,
        "parameters": sum(p.numel() for p in model.parameters()),
    }
    marker = {
        "version": MARKER_VERSION,
        "source": {"path": gguf_path, **_gguf_fingerprint(gguf_path, with_sha256=True)},
        "result": result,
    }
    with open(os.path.join(partial, MARKER_FILE), "w", encoding="utf-8") as f:
        json.dump(marker, f, indent=2)
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)  # only ever one of ours: checked by _check_out_dir before loading
    os.replace(partial, out_dir)
    log(f"saved {out_dir} ({result['parameters']} parameters, eos={tokenizer.eos_token!r}, pad={pad!r})")
    return {"out_dir": out_dir, "skipped": False, **result}


def require_base_dir(base_model_dir: str) -> None:
    """Raise :class:`InputFileError` unless ``base_model_dir`` holds a HF model (``config.json``)."""
    if not os.path.isfile(os.path.join(base_model_dir, "config.json")):
        raise InputFileError(
            base_model_dir,
            "not a Hugging Face model folder (no config.json); create it with "
            "`python -m trainer prepare-base --gguf FILE --out DIR`",
        )


def load_tokenizer(base_model_dir: str):
    """Load the tokenizer saved by :func:`prepare_base` (eos/pad already fixed)."""
    from transformers import AutoTokenizer

    require_base_dir(base_model_dir)
    tok = AutoTokenizer.from_pretrained(base_model_dir)
    if tok.pad_token is None:
        raise TrainerError(f"{base_model_dir}: tokenizer has no pad token; rerun prepare-base")
    return tok


def dequantize_gguf(src_gguf: str, out_gguf: str) -> dict:
    """Write an all-F32 copy of a GGUF model: same metadata and tensor names, every tensor dequantized.

    The values are exactly what ``from_pretrained(gguf_file=...)`` trains on, so llama.cpp on the
    copy computes in f32 like PyTorch. On the quantized original, llama.cpp's CPU kernels also
    quantize the *activations* (Q8) for Q4/Q8 weights, which moves SmolLM2-135M log-probs by up to
    ~0.3 nat vs PyTorch — too much to test a LoRA export against. Used by the export parity test.

    Args:
        src_gguf: quantized GGUF model.
        out_gguf: destination (about 4 bytes x parameters; 540 MB for SmolLM2-135M).

    Returns:
        ``{"out", "tensors", "bytes"}``.

    Raises:
        InputFileError: missing or unreadable source.
    """
    import gguf
    import numpy as np

    if not os.path.isfile(src_gguf):
        raise InputFileError(src_gguf, "GGUF file does not exist")
    reader = gguf.GGUFReader(src_gguf)
    arch = _field_value(reader, "general.architecture")
    tmp = out_gguf + ".tmp"
    writer = gguf.GGUFWriter(tmp, arch, use_temp_file=False)
    for key, f in reader.fields.items():
        if key.startswith("GGUF.") or key in ("general.architecture", "general.file_type", "general.alignment"):
            continue
        vtype = f.types[0]
        sub = f.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(key, f.contents(), vtype, sub_type=sub)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    for t in reader.tensors:
        shape = tuple(int(x) for x in reversed(t.shape.tolist()))
        arr = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32).reshape(shape)
        writer.add_tensor(t.name, np.ascontiguousarray(arr))
    os.makedirs(os.path.dirname(os.path.abspath(out_gguf)), exist_ok=True)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    os.replace(tmp, out_gguf)
    return {"out": out_gguf, "tensors": len(reader.tensors), "bytes": os.path.getsize(out_gguf)}
