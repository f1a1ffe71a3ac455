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
    assert result == {"out": out, "architecture": "llama", "alpha": 8.0, "peft_alpha": 8.0, "rslora": False,
                      "rank": R, "tensor_pairs": LAYERS * 7, "permuted": True}

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
        ({"use_dora": True}, "DoRA"),
        ({"rank_pattern": {"q_proj": 8}}, "rank_pattern"),
        ({"alpha_pattern": {"q_proj": 8}}, "alpha_pattern"),
        ({"modules_to_save": ["lm_head"]}, "modules_to_save"),
        ({"modules_to_save": ["score"]}, "modules_to_save"),
        ({"target_modules": ["q_proj", "lm_head"]}, "lm_head"),
        ({"trainable_token_indices": [2, 5]}, "trainable_token_indices"),
        ({"bias": "lora_only"}, "bias"),
        ({"fan_in_fan_out": True}, "fan_in_fan_out"),
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


def test_rslora_scale_is_written_into_alpha(random_adapter, base_gguf, tmp_path):
    import gguf

    bad = tmp_path / "rs"
    shutil.copytree(random_adapter, bad)
    cfg = json.loads((bad / "adapter_config.json").read_text())
    cfg["use_rslora"] = True
    (bad / "adapter_config.json").write_text(json.dumps(cfg))
    result = export_lora_gguf(str(bad), base_gguf, str(tmp_path / "rs.gguf"))
    # llama.cpp scales by alpha'/r; PEFT rsLoRA by alpha/sqrt(r): alpha' = alpha * sqrt(r) = 8 * 2
    assert result["rslora"] is True and result["peft_alpha"] == 8.0 and result["alpha"] == 16.0
    assert result["alpha"] / R == pytest.approx(8.0 / R**0.5)
    assert gguf.GGUFReader(str(tmp_path / "rs.gguf")).fields["adapter.lora.alpha"].contents() == 16.0


@pytest.mark.parametrize(
    ("targets", "fragment"),
    [
        (("q_proj", "embed_tokens"), "embed_tokens"),
        (("q_proj", "lm_head"), "lm_head"),
    ],
)
def test_real_adapters_on_tied_embeddings_are_refused(base_dir, base_gguf, tmp_path, targets, fragment):
    """PEFT adapters really trained on embeddings / the tied lm_head: refused with the reason, nothing written."""
    from trainer.random_adapter import make_random_adapter

    adapter = str(tmp_path / "emb")
    make_random_adapter(base_dir, adapter, r=2, alpha=4.0, target_modules=targets)
    out = tmp_path / "x.gguf"
    with pytest.raises(UnsupportedAdapterError, match=fragment) as err:
        export_lora_gguf(adapter, base_gguf, str(out))
    message = str(err.value)
    assert "linear layers only" in message and "tied to the token embeddings" in message  # SmolLM2 ties them
    assert "retrain with target_modules" in message
    assert not out.exists()


def test_embedding_tensors_are_refused_even_when_the_config_hides_them(base_dir, base_gguf, tmp_path):
    """A config that does not list embed_tokens but whose file holds embedding tensors: refused, not dropped."""
    from trainer.random_adapter import make_random_adapter

    adapter = tmp_path / "emb"
    make_random_adapter(base_dir, str(adapter), r=2, alpha=4.0, target_modules=("q_proj", "embed_tokens"))
    cfg = json.loads((adapter / "adapter_config.json").read_text())
    cfg["target_modules"] = ["q_proj"]
    (adapter / "adapter_config.json").write_text(json.dumps(cfg))
    with pytest.raises(UnsupportedAdapterError, match="embed_tokens.*linear layers only"):
        export_lora_gguf(str(adapter), base_gguf, str(tmp_path / "x.gguf"))
