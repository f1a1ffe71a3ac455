"""``export-gguf``: PEFT LoRA adapter -> GGUF LoRA adapter that llama.cpp / node-llama-cpp load.

Format (what llama.cpp's ``llama_adapter_lora_init`` reads; mirrors llama.cpp's
``convert_lora_to_gguf.py``):

- metadata ``general.type = "adapter"``, ``general.architecture`` = the base GGUF's,
  ``adapter.type = "lora"``, ``adapter.lora.alpha`` (float32).
- for each adapted linear layer, two f32 tensors ``<base GGUF tensor>.lora_a`` with numpy shape
  ``(r, in)`` and ``<base GGUF tensor>.lora_b`` with shape ``(out, r)`` (PEFT's own shapes).
  llama.cpp computes ``W x + scale * alpha / r * B (A x)`` with ``r`` taken from the tensors.
- llama architecture only: llama.cpp stores q_proj / k_proj with their rows permuted for its RoPE
  layout, so the rows of ``lora_b`` of q (``n_head`` groups) and k (``n_kv_head`` groups) get the same
  permutation. Without it the adapter loads but gives wrong outputs (measured ~1.3 nats off).

rsLoRA (PEFT ``use_rslora``: scale ``alpha / sqrt(r)``) is written as ``alpha' = alpha * sqrt(r)``, so
that llama.cpp's ``alpha' / r`` equals PEFT's ``alpha / sqrt(r)``.

Refused, with a message naming the module or setting (llama.cpp cannot express them; nothing is
ever dropped silently): DoRA, per-module rank/alpha patterns, LoRA on embeddings or lm_head (tied or
not — llama.cpp's LoRA covers linear layers only, and on tied bases such as SmolLM2 and Gemma 3 the
output projection *is* the embedding matrix), trainable token rows (``trainable_token_indices``),
``modules_to_save``, trained biases, ``fan_in_fan_out`` weights, layer replication.
"""

from __future__ import annotations

import json
import math
import os
import re

import numpy as np

from .base_model import read_gguf_arch_info
from .errors import InputFileError, UnsupportedAdapterError

# Architectures whose q/k weights llama.cpp's converter permutes (LlamaModel.permute in
# convert_hf_to_gguf.py). Others (gemma3, qwen2, ...) are stored as in HF.
_PERMUTED_ARCHS = ("llama",)
_LORA_KEY = re.compile(r"^(?:base_model\.model\.)?(?P<module>.+)\.lora_(?P<ab>[AB])(?:\.[^.]+)?\.weight$")
_EMBEDDING_KEY = re.compile(r"\.lora_embedding_[AB]\b|(?:^|\.)(?:embed_tokens|lm_head|wte|embed_out)\.")
_EMBEDDING_NAMES = ("embed_tokens", "lm_head", "wte", "embed_out", "word_embeddings")
_FIX = ("retrain with target_modules limited to the linear layers of the blocks "
        "(q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj)")


def permute_qk_rows(w: np.ndarray, n_head: int) -> np.ndarray:
    """Reorder the rows of a q/k projection (or of its LoRA B) the way llama.cpp stores them.

    HF llama keeps, per head, the rotary pairs as two halves; llama.cpp interleaves them. Rows are
    viewed as ``(n_head, 2, head_dim // 2)`` and the last two axes swapped.

    Args:
        w: array of shape ``(n_head * head_dim, ...)``.
        n_head: heads of this projection (``head_count`` for q, ``head_count_kv`` for k).

    Returns:
        A new array of the same shape and dtype.
    """
    if w.shape[0] % (2 * n_head) != 0:
        raise ValueError(f"cannot permute {w.shape[0]} rows into {n_head} heads x 2 halves")
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def _embedding_refusal(adapter_dir: str, what: str, tied: bool | None) -> UnsupportedAdapterError:
    tie = ""
    if tied:
        tie = (" On this base the output projection is tied to the token embeddings (no output.weight in the "
               "GGUF), so an lm_head adapter would change embed_tokens too.")
    return UnsupportedAdapterError(
        f"{adapter_dir}: {what} cannot be exported to a GGUF LoRA: llama.cpp applies LoRA to linear layers "
        f"only, so the embedding / lm_head update would be lost.{tie} Not exported; {_FIX}"
    )


def _check_config(cfg: dict, adapter_dir: str, tied: bool | None = None) -> None:
    if cfg.get("peft_type", "LORA") != "LORA":
        raise UnsupportedAdapterError(f"{adapter_dir}: peft_type {cfg.get('peft_type')!r} is not LoRA")
    if cfg.get("use_dora"):
        raise UnsupportedAdapterError(f"{adapter_dir}: DoRA adapters cannot be exported to GGUF LoRA; train plain LoRA")
    if cfg.get("rank_pattern") or cfg.get("alpha_pattern"):
        raise UnsupportedAdapterError(
            f"{adapter_dir}: per-module rank_pattern/alpha_pattern is not supported (GGUF LoRA has one alpha)"
        )
    if cfg.get("modules_to_save"):
        mods = cfg["modules_to_save"]
        if any(any(e in m for e in _EMBEDDING_NAMES) for m in mods):
            raise _embedding_refusal(adapter_dir, f"modules_to_save {mods} (fully trained embeddings / lm_head)", tied)
        raise UnsupportedAdapterError(
            f"{adapter_dir}: modules_to_save {mods} (fully trained modules) cannot go into a GGUF LoRA; {_FIX}"
        )
    if cfg.get("trainable_token_indices"):
        raise _embedding_refusal(adapter_dir, "trainable_token_indices (trained embedding rows)", tied)
    if cfg.get("bias", "none") != "none" or cfg.get("lora_bias"):
        raise UnsupportedAdapterError(
            f"{adapter_dir}: trained biases (bias={cfg.get('bias')!r}, lora_bias={cfg.get('lora_bias')!r}) "
            "are not supported by GGUF LoRA; train with bias='none'"
        )
    if cfg.get("fan_in_fan_out"):
        raise UnsupportedAdapterError(f"{adapter_dir}: fan_in_fan_out (Conv1D-style transposed weights) is not supported")
    if cfg.get("layer_replication"):
        raise UnsupportedAdapterError(f"{adapter_dir}: layer_replication is not supported by GGUF LoRA")
    targets = cfg.get("target_modules") or []
    if isinstance(targets, str):
        targets = [targets]
    bad = [t for t in targets if any(x in t for x in _EMBEDDING_NAMES)]
    if bad:
        raise _embedding_refusal(adapter_dir, f"LoRA on embeddings / lm_head (target_modules {bad})", tied)


def _read_adapter(adapter_dir: str) -> tuple[dict, dict[str, np.ndarray]]:
    cfg_path = os.path.join(adapter_dir, "adapter_config.json")
    if not os.path.isfile(cfg_path):
        raise InputFileError(adapter_dir, "not a PEFT adapter folder (no adapter_config.json)")
    with open(cfg_path, encoding="utf-8") as f:
        cfg = json.load(f)
    st_path = os.path.join(adapter_dir, "adapter_model.safetensors")
    if not os.path.isfile(st_path):
        raise InputFileError(adapter_dir, "no adapter_model.safetensors (only safetensors adapters are supported)")
    from safetensors.numpy import load_file

    try:
        tensors = load_file(st_path)
    except Exception:  # bf16 tensors cannot be read by the numpy backend
        from safetensors.torch import load_file as load_torch

        tensors = {k: v.float().numpy() for k, v in load_torch(st_path).items()}
    return cfg, tensors


def export_lora_gguf(adapter_dir: str, base_gguf: str, out_path: str, permute_qk: bool = True) -> dict:
    """Write a PEFT LoRA adapter as a GGUF LoRA for the given base GGUF.

    Args:
        adapter_dir: PEFT folder (``adapter_config.json`` + ``adapter_model.safetensors``).
        base_gguf: the GGUF the adapter will be applied to (architecture, head counts and tensor
            names/shapes are read from it; every adapted tensor must exist there with matching shape).
        out_path: the ``.gguf`` file to write (parent folders are created).
        permute_qk: apply llama.cpp's q/k row permutation to lora_B (llama only). ``False`` exists
            only to demonstrate in tests that the permutation is needed; never use it for real.

    Returns:
        ``{"out", "architecture", "alpha" (written to the GGUF), "peft_alpha" (from adapter_config.json),
        "rslora", "rank", "tensor_pairs", "permuted"}``; ``alpha == peft_alpha * sqrt(rank)`` for rsLoRA.

    Raises:
        InputFileError: missing files.
        UnsupportedAdapterError: DoRA, rank/alpha patterns, embeddings/lm_head (LoRA, modules_to_save
            or trainable token rows), biases, unmatched or mis-shaped tensors. Nothing is written.
    """
    import gguf

    cfg, tensors = _read_adapter(adapter_dir)
    info = read_gguf_arch_info(base_gguf)
    tied = "output.weight" not in info.tensor_shapes
    _check_config(cfg, adapter_dir, tied)
    try:
        arch_enum = next(k for k, v in gguf.MODEL_ARCH_NAMES.items() if v == info.architecture)
    except StopIteration:
        raise UnsupportedAdapterError(f"{base_gguf}: unknown GGUF architecture {info.architecture!r}") from None
    name_map = gguf.get_tensor_name_map(arch_enum, info.block_count)

    pairs: dict[str, dict[str, np.ndarray]] = {}
    embedding_keys = sorted(k for k in tensors if _EMBEDDING_KEY.search(k))
    if embedding_keys:
        raise _embedding_refusal(adapter_dir, f"LoRA tensors on embeddings / lm_head ({embedding_keys[0]}, ...)", tied)
    for key, value in tensors.items():
        m = _LORA_KEY.match(key)
        if m is None:
            raise UnsupportedAdapterError(f"{adapter_dir}: tensor {key!r} is not a LoRA A/B weight")
        pairs.setdefault(m.group("module"), {})[m.group("ab")] = value.astype(np.float32)

    peft_alpha = float(cfg.get("lora_alpha", cfg.get("r", 8)))
    rslora = bool(cfg.get("use_rslora"))
    ranks = {ab["A"].shape[0] for ab in pairs.values() if "A" in ab}
    if len(ranks) > 1:
        raise UnsupportedAdapterError(f"{adapter_dir}: mixed LoRA ranks {sorted(ranks)} are not supported")
    # llama.cpp scales by alpha / r; rsLoRA means alpha / sqrt(r), i.e. alpha' = alpha * sqrt(r).
    alpha = peft_alpha * math.sqrt(next(iter(ranks))) if rslora and ranks else peft_alpha
    ranks = set()
    permuted = info.architecture in _PERMUTED_ARCHS and permute_qk
    writer = gguf.GGUFWriter(out_path, info.architecture)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, alpha)
    count = 0
    for module in sorted(pairs, key=_natural_key):
        ab = pairs[module]
        if "A" not in ab or "B" not in ab:
            raise UnsupportedAdapterError(f"{adapter_dir}: {module} lacks lora_A or lora_B")
        a, b = ab["A"], ab["B"]
        if any(x in module for x in _EMBEDDING_NAMES):
            raise _embedding_refusal(adapter_dir, f"LoRA on {module}", tied)
        base_name = name_map.get_name(module + ".weight", try_suffixes=(".weight",))
        if base_name is None or base_name not in info.tensor_shapes:
            raise UnsupportedAdapterError(f"{adapter_dir}: {module} has no matching tensor in {base_gguf}")
        out_dim, in_dim = info.tensor_shapes[base_name]
        if a.ndim != 2 or b.ndim != 2 or a.shape[1] != in_dim or b.shape[0] != out_dim or a.shape[0] != b.shape[1]:
            raise UnsupportedAdapterError(
                f"{adapter_dir}: {module} A{tuple(a.shape)} B{tuple(b.shape)} does not fit "
                f"{base_name} (out={out_dim}, in={in_dim})"
            )
        ranks.add(a.shape[0])
        if permuted and base_name.endswith("attn_q.weight"):
            b = permute_qk_rows(b, info.head_count)
        elif permuted and base_name.endswith("attn_k.weight"):
            b = permute_qk_rows(b, info.head_count_kv)
        writer.add_tensor(base_name + ".lora_a", np.ascontiguousarray(a))
        writer.add_tensor(base_name + ".lora_b", np.ascontiguousarray(b))
        count += 1
    if count == 0:
        raise UnsupportedAdapterError(f"{adapter_dir}: the adapter has no LoRA tensors")
    if len(ranks) != 1:
        raise UnsupportedAdapterError(f"{adapter_dir}: mixed LoRA ranks {sorted(ranks)} are not supported")
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return {
        "out": out_path,
        "architecture": info.architecture,
        "alpha": alpha,
        "peft_alpha": peft_alpha,
        "rslora": rslora,
        "rank": ranks.pop(),
        "tensor_pairs": count,
        "permuted": permuted,
    }


def _natural_key(s: str) -> list:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", s)]
