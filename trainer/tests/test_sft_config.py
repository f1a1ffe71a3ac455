"""Job-spec validation against trainer/schema/job.schema.json (no model, no torch)."""

import json

import pytest

from trainer.errors import InputFileError, SpecError
from trainer.sft_config import DEFAULT_TARGET_MODULES, load_sft_spec, parse_sft_spec

MIN = {"base_model_dir": "b", "train_file": "t.jsonl", "output_dir": "o"}


def parse(**over):
    return parse_sft_spec({**MIN, **over}, check_paths=False)


def test_defaults_are_the_studys_and_come_from_the_schema():
    spec = parse()
    assert spec.method == "sft"
    assert (spec.lora.r, spec.lora.alpha, spec.lora.dropout) == (64, 16, 0.1)
    assert spec.lora.target_modules == DEFAULT_TARGET_MODULES
    t = spec.training
    assert (t.epochs, t.max_steps, t.learning_rate, t.batch_size) == (2, -1, 2e-4, 4)
    assert (t.max_seq_length, t.lr_scheduler, t.warmup_ratio, t.max_grad_norm) == (256, "cosine", 0.03, 0.3)
    assert (t.early_stopping_patience, t.eval_steps, t.save_steps, t.seed) == (3, None, 50, 42)
    assert spec.quantization == "none" and spec.threads is None and spec.eval_file is None
    assert spec.to_dict()["lora"]["target_modules"] == list(DEFAULT_TARGET_MODULES)


def test_nulls_mean_default():
    spec = parse(eval_file=None, threads=None, training={"seed": None, "max_steps": None}, lora=None)
    assert spec.training.seed == 42 and spec.training.max_steps == -1 and spec.lora.r == 64


@pytest.mark.parametrize(
    ("over", "field", "fragment"),
    [
        ({"base_model_dir": None}, "base_model_dir", "is required"),
        ({"train_file": ""}, "train_file", "non-empty string"),
        ({"output_dir": 3}, "output_dir", "must be a string"),
        ({"quantization": "int8"}, "quantization", '"none", "nf4"'),
        ({"threads": 0}, "threads", "CPU threads"),
        ({"lora": {"r": 0}}, "lora.r", ">= 1"),
        ({"lora": {"r": 2.5}}, "lora.r", "integer"),
        ({"lora": {"r": True}}, "lora.r", "integer"),
        ({"lora": {"alpha": 0}}, "lora.alpha", "> 0"),
        # the four values the TypeScript schema used to accept
        ({"lora": {"dropout": 1.0}}, "lora.dropout", "< 1"),
        ({"lora": {"target_modules": ["q_proj", "lm_head"]}}, "lora.target_modules", "lm_head"),
        ({"training": {"max_steps": 0}}, "training.max_steps", "-1 = derive from epochs"),
        ({"training": {"lr_scheduler": "cosine_restarts"}}, "training.lr_scheduler", '"cosine"'),
        ({"lora": {"target_modules": ["model.embed_tokens"]}}, "lora.target_modules", "embed_tokens"),
        ({"lora": {"target_modules": []}}, "lora.target_modules", "at least 1"),
        ({"lora": {"rank": 8}}, "lora.rank", "unknown field"),
        ({"training": {"learning_rate": 0}}, "training.learning_rate", "> 0"),
        ({"training": {"learning_rate": "2e-4"}}, "training.learning_rate", "must be a number"),
        ({"training": {"batch_size": 0}}, "training.batch_size", ">= 1"),
        ({"training": {"max_seq_length": 8}}, "training.max_seq_length", ">= 16"),
        ({"training": {"warmup_ratio": 1.0}}, "training.warmup_ratio", "< 1"),
        ({"training": {"epochs": -1}}, "training.epochs", "> 0"),
        ({"training": {"early_stopping_patience": 0}}, "training.early_stopping_patience", "(Stop when eval loss"),
        ({"training": {"lr": 1e-4}}, "training.lr", "unknown field"),
        ({"training": []}, "training", "must be an object"),
        ({"extra": 1}, "extra", "unknown field"),
        ({"method": "dpo"}, "method", "the command is 'sft'"),
        ({"method": "ppo"}, "method", 'unknown method "ppo" (known: sft, raft, reward, dpo, rlhf)'),
    ],
)
def test_invalid_fields_are_named_with_the_fix(over, field, fragment):
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
