import json

import pytest

from trainer.errors import InputFileError, SpecError
from trainer.sft_config import DEFAULT_TARGET_MODULES, load_sft_spec, parse_sft_spec

MIN = {"base_model_dir": "b", "train_file": "t.jsonl", "output_dir": "o"}


def parse(**over):
    return parse_sft_spec({**MIN, **over}, check_paths=False)


def test_defaults_are_filled_in():
    spec = parse()
    assert spec.lora.r == 16 and spec.lora.alpha == 32.0 and spec.lora.dropout == 0.05
    assert spec.lora.target_modules == DEFAULT_TARGET_MODULES
    assert spec.training.epochs == 2.0 and spec.training.max_steps == -1
    assert spec.training.learning_rate == 2e-4 and spec.training.batch_size == 4
    assert spec.training.max_seq_length == 256 and spec.training.lr_scheduler == "cosine"
    assert spec.training.max_grad_norm == 0.3 and spec.quantization == "none" and spec.threads is None
    assert spec.eval_file is None
    assert spec.to_dict()["lora"]["target_modules"] == list(DEFAULT_TARGET_MODULES)


def test_nulls_mean_default():
    spec = parse(eval_file=None, threads=None, training={"seed": None}, lora=None)
    assert spec.training.seed == 42 and spec.lora.r == 16


@pytest.mark.parametrize(
    ("over", "field", "fragment"),
    [
        ({"base_model_dir": None}, "base_model_dir", "required"),
        ({"train_file": ""}, "train_file", "non-empty string"),
        ({"output_dir": 3}, "output_dir", "non-empty string"),
        ({"quantization": "int8"}, "quantization", '"none", "nf4"'),
        ({"threads": 0}, "threads", "1..1024"),
        ({"lora": {"r": 0}}, "lora.r", "1..1024"),
        ({"lora": {"r": 2.5}}, "lora.r", "integer"),
        ({"lora": {"r": True}}, "lora.r", "integer"),
        ({"lora": {"alpha": 0}}, "lora.alpha", "(0.0"),
        ({"lora": {"dropout": 1.0}}, "lora.dropout", "1.0)"),
        ({"lora": {"target_modules": []}}, "lora.target_modules", "non-empty list"),
        ({"lora": {"target_modules": ["q_proj", "lm_head"]}}, "lora.target_modules", "lm_head"),
        ({"lora": {"rank": 8}}, "lora.rank", "unknown field"),
        ({"training": {"learning_rate": 0}}, "training.learning_rate", "(0.0, 1.0]"),
        ({"training": {"learning_rate": "2e-4"}}, "training.learning_rate", "number"),
        ({"training": {"max_steps": 0}}, "training.max_steps", "(or -1)"),
        ({"training": {"batch_size": 0}}, "training.batch_size", "1..4096"),
        ({"training": {"max_seq_length": 8}}, "training.max_seq_length", "16..131072"),
        ({"training": {"warmup_ratio": 1.0}}, "training.warmup_ratio", "1.0)"),
        ({"training": {"lr_scheduler": "cosine_restarts"}}, "training.lr_scheduler", "must be one of"),
        ({"training": {"epochs": -1}}, "training.epochs", "(0.0"),
        ({"training": {"lr": 1e-4}}, "training.lr", "unknown field"),
        ({"training": []}, "training", "object"),
        ({"extra": 1}, "extra", "unknown field"),
    ],
)
def test_invalid_fields_are_named(over, field, fragment):
    with pytest.raises(SpecError) as info:
        parse(**over)
    assert info.value.field == field
    assert f"'{field}'" in str(info.value)
    assert fragment in str(info.value)


def test_max_steps_minus_one_and_positive_are_valid():
    assert parse(training={"max_steps": -1}).training.max_steps == -1
    assert parse(training={"max_steps": 6}).training.max_steps == 6


def test_missing_paths_name_the_file(tmp_path):
    with pytest.raises(InputFileError) as info:
        parse_sft_spec({**MIN, "base_model_dir": str(tmp_path)})
    assert str(tmp_path) in str(info.value) and "prepare-base" in str(info.value)
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(InputFileError) as info:
        parse_sft_spec({**MIN, "base_model_dir": str(tmp_path), "train_file": str(tmp_path / "nope.jsonl")})
    assert "nope.jsonl" in str(info.value) and "train_file" in str(info.value)


def test_load_rejects_bad_json(tmp_path):
    p = tmp_path / "job.json"
    p.write_text("{not json")
    with pytest.raises(InputFileError, match="not valid JSON"):
        load_sft_spec(str(p))
    p.write_text(json.dumps([1]))
    with pytest.raises(SpecError, match="JSON object"):
        load_sft_spec(str(p))
