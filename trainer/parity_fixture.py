"""Fixtures of the GGUF LoRA export parity test, built in one process (one model load per base).

``python -m trainer.parity_fixture --gguf BASE.gguf --base-dir DIR --f32-gguf FILE --work DIR --text-file T
[--std S]`` prints one JSON line with everything ``test/integration/training/lora-export-parity.test.ts``
compares against node-llama-cpp:

- ``base_dir`` / ``f32_gguf``: the prepared HF folder and the all-F32 GGUF copy (reused when present:
  prepare-base is idempotent, the F32 copy is written atomically), ``prepared``: prepare-base's result;
- ``tokens``: ids of the text (PyTorch tokenizer, no added specials — write ``<bos>`` into the text);
- ``torch``: per-token log-probs (nats) for ``base``, ``lora`` and ``rslora`` (see
  :func:`trainer.logprobs.token_logprobs` for the layout);
- ``exports``: ``export_lora_gguf`` results for ``lora`` (r 8, alpha 16), ``rslora`` (r 8, alpha 16,
  rsLoRA) and, for llama only, ``lora_unpermuted`` (diagnostic: without the q/k permutation).

Hook for ``trainer/__main__.py`` (owned by the trainer methods): none needed, this module is its own
entry point because it is a test fixture, not a user command.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


def _logprobs(model, ids: list[int]) -> list[float]:
    import torch

    with torch.no_grad():
        logits = model(input_ids=torch.tensor([ids])).logits[0].float()
    lp = torch.log_softmax(logits, dim=-1)
    return [float(v) for v in lp[:-1].gather(1, torch.tensor(ids[1:])[:, None])[:, 0]]


def build(gguf_path: str, base_dir: str, f32_gguf: str, work: str, text: str, seed: int = 0,
          std: float = 0.02) -> dict:
    """Build every fixture (see module doc) and return the JSON-able result.

    ``std`` is the spread of the random LoRA entries: 0.02 moves SmolLM2-135M log-probs by ~1 nat,
    Gemma-3-270M needs ~0.008 for a similar effect (0.02 moved it by 3 nats, 16 with rsLoRA).

    Raises:
        InputFileError: missing GGUF; ValueError: the text has fewer than 2 tokens.
    """
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from .base_model import dequantize_gguf, load_tokenizer, prepare_base, read_gguf_arch_info
    from .export_gguf import export_lora_gguf
    from .random_adapter import random_lora_on

    t0 = time.time()
    prepared = prepare_base(gguf_path, base_dir, log=lambda s: print(s, file=sys.stderr))
    if not os.path.isfile(f32_gguf) or os.path.getsize(f32_gguf) < os.path.getsize(gguf_path):
        dequantize_gguf(gguf_path, f32_gguf)
    arch = read_gguf_arch_info(gguf_path).architecture

    tok = load_tokenizer(base_dir)
    ids = tok(text, add_special_tokens=False)["input_ids"]
    if len(ids) < 2:
        raise ValueError("text must have at least 2 tokens")
    model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32).eval()
    result: dict = {"base_dir": base_dir, "f32_gguf": f32_gguf, "architecture": arch, "prepared": prepared,
                    "tokens": ids, "torch": {"base": _logprobs(model, ids)}, "exports": {}, "adapters": {}}

    variants = {"lora": False, "rslora": True}
    for name, rslora in variants.items():
        adapter_dir = os.path.join(work, name)
        model, info = random_lora_on(model, adapter_dir, r=8, alpha=16.0, std=std, seed=seed, use_rslora=rslora)
        result["adapters"][name] = info
        peft_model = PeftModel.from_pretrained(model, adapter_dir).eval()
        result["torch"][name] = _logprobs(peft_model, ids)
        model = peft_model.unload()
        result["exports"][name] = export_lora_gguf(adapter_dir, gguf_path, os.path.join(work, f"{name}.gguf"))
    if arch == "llama":
        result["exports"]["lora_unpermuted"] = export_lora_gguf(
            os.path.join(work, "lora"), gguf_path, os.path.join(work, "lora-unpermuted.gguf"), permute_qk=False
        )
    result["seconds"] = round(time.time() - t0, 2)
    return result


def main(argv: list[str] | None = None) -> int:
    """CLI; prints the result as one JSON line on stdout (errors: one line on stderr, exit 1)."""
    from .errors import TrainerError

    p = argparse.ArgumentParser(prog="python -m trainer.parity_fixture", description=__doc__.splitlines()[0])
    p.add_argument("--gguf", required=True)
    p.add_argument("--base-dir", required=True, help="prepared HF folder (reused when already prepared)")
    p.add_argument("--f32-gguf", required=True, help="all-F32 copy of the GGUF (reused when present)")
    p.add_argument("--work", required=True, help="folder for the adapters and their GGUF exports")
    p.add_argument("--text-file", required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--std", type=float, default=0.02)
    args = p.parse_args(argv)
    try:
        with open(args.text_file, encoding="utf-8") as f:
            text = f.read()
        result = build(args.gguf, args.base_dir, args.f32_gguf, args.work, text, seed=args.seed, std=args.std)
    except (TrainerError, OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
