"""Per-token log-probabilities under PyTorch, for the GGUF export parity test.

The same numbers are computed by node-llama-cpp on the exported GGUF base + GGUF LoRA; the two must
agree to a few 1e-3 nats (test/integration/training/lora-export-parity.test.ts).
"""

from __future__ import annotations

import os

from .base_model import load_tokenizer, require_base_dir
from .errors import InputFileError


def load_model(base_model_dir: str, adapter_dir: str | None = None):
    """Load the fp32 base model (eval mode), with the PEFT adapter applied when given.

    Raises:
        InputFileError: a folder is missing or has no config.
    """
    import torch
    from transformers import AutoModelForCausalLM

    require_base_dir(base_model_dir)
    model = AutoModelForCausalLM.from_pretrained(base_model_dir, dtype=torch.float32)
    if adapter_dir is not None:
        if not os.path.isfile(os.path.join(adapter_dir, "adapter_config.json")):
            raise InputFileError(adapter_dir, "not a PEFT adapter folder (no adapter_config.json)")
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, adapter_dir)
    model.eval()
    return model


def token_logprobs(base_model_dir: str, text: str, adapter_dir: str | None = None) -> dict:
    """Log-probability (natural log, nats) of each token of ``text`` given the tokens before it.

    The text is tokenized with the base folder's tokenizer without adding special tokens (the
    SmolLM2 GGUF has ``add_bos_token = false``; write ``<|im_start|>`` etc. into the text to use
    them — they are parsed as special tokens, as node-llama-cpp does with ``specialTokens=true``).

    Returns:
        ``{"tokens": [int] (n ids), "logprobs": [float] (n - 1 values; logprobs[i] is
        log p(tokens[i+1] | tokens[0..i])), "adapter": bool}``.

    Raises:
        InputFileError: missing folders; ValueError: the text has fewer than 2 tokens.
    """
    import torch

    tok = load_tokenizer(base_model_dir)
    ids = tok(text, add_special_tokens=False)["input_ids"]
    if len(ids) < 2:
        raise ValueError("text must have at least 2 tokens")
    model = load_model(base_model_dir, adapter_dir)
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([ids])).logits[0].float()
    lp = torch.log_softmax(logits, dim=-1)
    target = torch.tensor(ids[1:])
    values = lp[:-1].gather(1, target[:, None])[:, 0]
    return {"tokens": ids, "logprobs": [float(v) for v in values], "adapter": adapter_dir is not None}
