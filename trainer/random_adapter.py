"""``random-adapter``: a PEFT LoRA adapter with random, non-zero A and B (test fixture only).

A freshly initialised LoRA has B = 0 and changes nothing, so export tests could not tell a right
GGUF from a wrong one. This writes an adapter whose update is large enough to move log-probs by
tenths of a nat, in seconds and without training.
"""

from __future__ import annotations

import os

from .base_model import require_base_dir

# The linear layers of llama- and gemma-shaped decoders (what the trainers adapt by default).
LINEAR_MODULES: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def random_lora_on(
    model,
    out_dir: str,
    r: int = 8,
    alpha: float = 16.0,
    std: float = 0.02,
    seed: int = 0,
    target_modules: tuple[str, ...] = LINEAR_MODULES,
    use_rslora: bool = False,
):
    """Save a random LoRA for an already loaded ``model`` to ``out_dir`` and return ``(base model, info)``.

    The LoRA layers are removed again (``unload``), so the returned model is the untouched base and can
    be reused (one model load for several fixtures). Every A and B entry is i.i.d. N(0, std^2) under
    ``torch.manual_seed(seed)``; ``use_rslora`` sets PEFT's rsLoRA scaling (alpha / sqrt(r)).

    Returns:
        ``(model, {"adapter_dir", "tensors", "b_abs_mean", "use_rslora"})``.
    """
    import torch
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(seed)
    cfg = LoraConfig(r=r, lora_alpha=alpha, lora_dropout=0.0, target_modules=list(target_modules),
                     bias="none", task_type="CAUSAL_LM", use_rslora=use_rslora)
    peft_model = get_peft_model(model, cfg)
    count, b_sum, b_n = 0, 0.0, 0
    with torch.no_grad():
        for name, p in peft_model.named_parameters():
            if "lora_A" in name or "lora_B" in name:
                p.normal_(0.0, std)
                count += 1
                if "lora_B" in name:
                    b_sum += float(p.abs().sum())
                    b_n += p.numel()
    os.makedirs(out_dir, exist_ok=True)
    peft_model.save_pretrained(out_dir)
    base = peft_model.unload()
    return base, {"adapter_dir": out_dir, "tensors": count, "b_abs_mean": b_sum / max(b_n, 1), "use_rslora": use_rslora}


def make_random_adapter(
    base_model_dir: str,
    out_dir: str,
    r: int = 8,
    alpha: float = 16.0,
    std: float = 0.02,
    seed: int = 0,
    target_modules: tuple[str, ...] = LINEAR_MODULES,
    use_rslora: bool = False,
) -> dict:
    """Create ``out_dir`` with a LoRA adapter whose A and B are i.i.d. N(0, std^2).

    Args:
        base_model_dir: HF folder from ``prepare-base``.
        out_dir: PEFT adapter folder to write (``adapter_config.json`` + safetensors).
        r, alpha: LoRA rank and alpha (scale alpha / r; alpha / sqrt(r) with ``use_rslora``).
        std: standard deviation of every A and B entry; 0.02 shifts SmolLM2-135M log-probs by
            about 0.1-1 nat per token.
        seed: torch seed.
        target_modules: module names to adapt (may include ``embed_tokens`` / ``lm_head`` to build
            adapters the GGUF export must refuse).
        use_rslora: PEFT rsLoRA scaling.

    Returns:
        ``{"adapter_dir", "tensors", "b_abs_mean", "use_rslora"}``.
    """
    import torch
    from transformers import AutoModelForCausalLM

    require_base_dir(base_model_dir)
    model = AutoModelForCausalLM.from_pretrained(base_model_dir, dtype=torch.float32)
    _, info = random_lora_on(model, out_dir, r=r, alpha=alpha, std=std, seed=seed,
                             target_modules=target_modules, use_rslora=use_rslora)
    return info
