import json
import os

import pytest

from trainer.base_model import MARKER_FILE, prepare_base, read_gguf_arch_info
from trainer.errors import InputFileError


def test_gguf_arch_info_of_smollm2(base_gguf):
    info = read_gguf_arch_info(base_gguf)
    assert (info.architecture, info.block_count, info.head_count, info.head_count_kv) == ("llama", 30, 9, 3)
    assert info.tensor_shapes["blk.0.attn_k.weight"] == (192, 576)  # numpy order (out, in)
    assert info.tensor_shapes["blk.0.ffn_down.weight"] == (576, 1536)


def test_prepared_base_is_trainable_chatml(base_dir):
    from transformers import AutoConfig, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(base_dir)
    assert tok.eos_token == "<|im_end|>" and tok.pad_token == "<|endoftext|>"  # GGUF trap 1: eos was <|im_start|>
    cfg = AutoConfig.from_pretrained(base_dir)
    assert getattr(cfg, "quantization_config", None) is None  # GGUF trap 2: quantized flag cleared
    assert cfg.eos_token_id == tok.convert_tokens_to_ids("<|im_end|>") == 2
    marker = json.loads(open(os.path.join(base_dir, MARKER_FILE)).read())
    assert len(marker["source"]["sha256"]) == 64


def test_prepare_base_is_idempotent(base_gguf, base_dir):
    before = os.stat(os.path.join(base_dir, "model.safetensors")).st_mtime_ns
    result = prepare_base(base_gguf, base_dir, log=lambda s: None)
    assert result["skipped"] is True and result["eos_token"] == "<|im_end|>"
    assert os.stat(os.path.join(base_dir, "model.safetensors")).st_mtime_ns == before


def test_prepare_base_refuses_a_foreign_folder(base_gguf, tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(InputFileError, match="no wayfarer-base.json"):
        prepare_base(base_gguf, str(tmp_path), log=lambda s: None)
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_missing_gguf_is_named(tmp_path):
    with pytest.raises(InputFileError, match="nope.gguf: GGUF file does not exist"):
        read_gguf_arch_info(str(tmp_path / "nope.gguf"))
