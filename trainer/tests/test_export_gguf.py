import json
import os
import shutil

import numpy as np
import pytest

from trainer.errors import UnsupportedAdapterError
from trainer.export_gguf import export_lora_gguf, permute_qk_rows

from .conftest import run_trainer

R = 4
LAYERS = 30
# HF module -> (GGUF name, out, in) for SmolLM2-135M (hidden 576, 9 heads, 3 kv heads x 64, MLP 1536)
MODULES = {
    "self_attn.q_proj": ("attn_q", 576, 576),
    "self_attn.k_proj": ("attn_k", 192, 576),
    "self_attn.v_proj": ("attn_v", 192, 576),
    "self_attn.o_proj": ("attn_output", 576, 576),
    "mlp.gate_proj": ("ffn_gate", 1536, 576),
    "mlp.up_proj": ("ffn_up", 1536, 576),
    "mlp.down_proj": ("ffn_down", 576, 1536),
}


def test_permutation_interleaves_rotary_halves_per_head():
    rows = np.arange(8, dtype=np.float32)[:, None]  # 2 heads x head_dim 4
    assert permute_qk_rows(rows, 2)[:, 0].tolist() == [0, 2, 1, 3, 4, 6, 5, 7]


def test_permutation_inverts_transformers_gguf_loader():
    from transformers.modeling_gguf_pytorch_utils import LlamaTensorProcessor

    w = np.random.default_rng(0).standard_normal((192, 5)).astype(np.float32)
    loader = LlamaTensorProcessor()
    assert np.array_equal(loader._reverse_permute_weights(permute_qk_rows(w, 3), 9, 3), w)
    assert not np.array_equal(permute_qk_rows(w, 3), w)


@pytest.fixture(scope="module")
def random_adapter(base_dir, tmp_path_factory):
    from trainer.random_adapter import make_random_adapter

    out = str(tmp_path_factory.mktemp("adapter") / "peft")
    info = make_random_adapter(base_dir, out, r=R, alpha=8.0, std=0.02, seed=1)
    assert info["b_abs_mean"] > 1e-3
    return out


def test_export_writes_llama_cpp_lora_layout(random_adapter, base_gguf, tmp_path):
    import gguf
    from safetensors.numpy import load_file

    out = str(tmp_path / "lora.gguf")
    result = export_lora_gguf(random_adapter, base_gguf, out)
    assert result == {"out": out, "architecture": "llama", "alpha": 8.0, "rank": R,
                      "tensor_pairs": LAYERS * 7, "permuted": True}

    reader = gguf.GGUFReader(out)
    assert reader.fields["general.type"].contents() == "adapter"
    assert reader.fields["general.architecture"].contents() == "llama"
    assert reader.fields["adapter.type"].contents() == "lora"
    alpha = reader.fields["adapter.lora.alpha"]
    assert alpha.types == [gguf.GGUFValueType.FLOAT32] and alpha.contents() == 8.0

    tensors = {t.name: t for t in reader.tensors}
    expected = {}
    for layer in range(LAYERS):
        for name, out_dim, in_dim in MODULES.values():
            expected[f"blk.{layer}.{name}.weight.lora_a"] = (R, in_dim)
            expected[f"blk.{layer}.{name}.weight.lora_b"] = (out_dim, R)
    assert set(tensors) == set(expected)
    for name, shape in expected.items():
        t = tensors[name]
        assert tuple(reversed(t.shape.tolist())) == shape, name  # reader reports ggml order
        assert t.tensor_type == gguf.GGMLQuantizationType.F32

    peft = load_file(os.path.join(random_adapter, "adapter_model.safetensors"))

    def peft_b(layer, module):
        return peft[f"base_model.model.model.layers.{layer}.{module}.lora_B.weight"]

    def gguf_t(name):
        return np.asarray(tensors[name].data).reshape(tuple(reversed(tensors[name].shape.tolist())))

    for layer in (0, 29):
        q_b, k_b = gguf_t(f"blk.{layer}.attn_q.weight.lora_b"), gguf_t(f"blk.{layer}.attn_k.weight.lora_b")
        np.testing.assert_array_equal(q_b, permute_qk_rows(peft_b(layer, "self_attn.q_proj"), 9))
        np.testing.assert_array_equal(k_b, permute_qk_rows(peft_b(layer, "self_attn.k_proj"), 3))
        assert not np.array_equal(q_b, peft_b(layer, "self_attn.q_proj"))
        np.testing.assert_array_equal(gguf_t(f"blk.{layer}.attn_v.weight.lora_b"), peft_b(layer, "self_attn.v_proj"))
        np.testing.assert_array_equal(
            gguf_t(f"blk.{layer}.attn_q.weight.lora_a"),
            peft[f"base_model.model.model.layers.{layer}.self_attn.q_proj.lora_A.weight"],
        )


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"use_rslora": True}, "rsLoRA"),
        ({"use_dora": True}, "DoRA"),
        ({"rank_pattern": {"q_proj": 8}}, "rank_pattern"),
        ({"alpha_pattern": {"q_proj": 8}}, "alpha_pattern"),
        ({"modules_to_save": ["lm_head"]}, "modules_to_save"),
        ({"target_modules": ["q_proj", "lm_head"]}, "lm_head"),
        ({"bias": "lora_only"}, "bias"),
    ],
)
def test_unsupported_adapters_are_refused(random_adapter, base_gguf, tmp_path, change, fragment):
    bad = tmp_path / "bad"
    shutil.copytree(random_adapter, bad)
    cfg = json.loads((bad / "adapter_config.json").read_text())
    cfg.update(change)
    (bad / "adapter_config.json").write_text(json.dumps(cfg))
    with pytest.raises(UnsupportedAdapterError, match=fragment):
        export_lora_gguf(str(bad), base_gguf, str(tmp_path / "x.gguf"))
    assert not (tmp_path / "x.gguf").exists()


def test_cli_reports_missing_adapter_as_one_error_line(base_gguf, tmp_path):
    code, events, stderr = run_trainer(
        "export-gguf", "--adapter", str(tmp_path / "nope"), "--base-gguf", base_gguf, "--out", str(tmp_path / "o.gguf")
    )
    assert code == 1
    assert [e["event"] for e in events] == ["start", "error"]
    assert "nope" in events[-1]["message"] and "adapter_config.json" in events[-1]["message"]
    assert "Traceback" not in stderr
