"""A short real LoRA SFT run on SmolLM2-135M through the CLI, as the TypeScript side runs it.

4 examples, batch 2, 6 steps at lr 1e-3 (3 epochs); the eval file is the train file, so the eval
loss before training (eval_on_start) and after it measure learning on the same tokens.
Loss curve seen on the 2-core dev machine: eval 3.99 -> ~1.5 nats (see the trainer report).
"""

import json
import os

import pytest

from .conftest import run_trainer

QA = [
    ("What is the best time to visit Lisbon?", "Spring: mild weather, fewer crowds and lower hotel prices."),
    ("Do I need cash in Japan?", "Carry some yen: many small restaurants and rural buses only take cash."),
    ("Is tap water safe in Mexico City?", "No, drink bottled or filtered water and avoid ice."),
    ("How do I get from Rome airport to the city?", "Take the Leonardo Express from Fiumicino to Termini."),
]


@pytest.fixture(scope="module")
def sft_run(base_dir, tmp_path_factory):
    work = tmp_path_factory.mktemp("sft")
    data = work / "train.jsonl"
    data.write_text(
        "\n".join(
            json.dumps({"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]})
            for q, a in QA
        )
    )
    spec = {
        "base_model_dir": base_dir,
        "train_file": str(data),
        "eval_file": str(data),
        "output_dir": str(work / "out"),
        "lora": {"r": 8, "alpha": 16, "dropout": 0.0},
        "training": {"max_steps": 6, "batch_size": 2, "learning_rate": 1e-3, "max_seq_length": 64,
                     "warmup_ratio": 0.0, "lr_scheduler": "constant", "seed": 7},
        "threads": 2,
    }
    spec_path = work / "job.json"
    spec_path.write_text(json.dumps(spec))
    code, events, stderr = run_trainer("sft", "--spec", str(spec_path))
    assert code == 0, stderr[-3000:]
    return work, spec_path, events


def test_sft_emits_protocol_and_lowers_the_loss(sft_run):
    work, _, events = sft_run
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "done"
    start, done = events[0], events[-1]
    assert start["command"] == "sft" and start["method"] == "lora" and start["device"] == "cpu"
    progress = [e for e in events if e["event"] == "progress"]
    assert [p["step"] for p in progress] == [1, 2, 3, 4, 5, 6]
    assert all(p["total_steps"] == 6 and p["loss"] > 0 and p["learning_rate"] == pytest.approx(1e-3) for p in progress)
    evals = [e for e in events if e["event"] == "eval"]
    assert evals[0]["step"] == 0 and evals[-1]["step"] == 6
    print("loss curve:", [round(p["loss"], 3) for p in progress], "eval:", [round(e["eval_loss"], 3) for e in evals])
    assert evals[-1]["eval_loss"] < evals[0]["eval_loss"] - 0.5  # learned the 4 answers
    assert done["train_loss_last"] < done["train_loss_first"]
    assert done["steps"] == 6 and done["steps_this_run"] == 6 and done["seconds_per_step"] > 0

    adapter = work / "out" / "adapter"
    cfg = json.loads((adapter / "adapter_config.json").read_text())
    assert cfg["r"] == 8 and cfg["lora_alpha"] == 16 and not cfg.get("use_rslora")
    assert (adapter / "adapter_model.safetensors").stat().st_size > 1_000_000
    logged = [json.loads(line) for line in (work / "out" / "training_log.jsonl").read_text().splitlines()]
    assert [e["event"] for e in logged] == kinds


def test_rerun_resumes_from_the_last_checkpoint(sft_run):
    work, spec_path, _ = sft_run
    assert os.path.isdir(work / "out" / "checkpoint-6")
    code, events, stderr = run_trainer("sft", "--spec", str(spec_path))
    assert code == 0, stderr[-3000:]
    assert events[0]["resume_from"].endswith("checkpoint-6")
    assert events[-1]["steps"] == 6 and events[-1]["steps_this_run"] == 0


def test_sft_missing_train_file_is_one_clear_error(base_dir, tmp_path):
    spec = tmp_path / "job.json"
    spec.write_text(json.dumps({"base_model_dir": base_dir, "train_file": str(tmp_path / "missing.jsonl"),
                                "output_dir": str(tmp_path / "o")}))
    code, events, stderr = run_trainer("sft", "--spec", str(spec))
    assert code == 1
    assert len(events) == 1 and events[0]["event"] == "error"
    assert "missing.jsonl" in events[0]["message"] and "train_file" in events[0]["message"]
    assert "Traceback" not in stderr


def test_nf4_request_falls_back_to_lora_and_says_so(base_dir, tmp_path):
    try:
        import bitsandbytes  # noqa: F401

        pytest.skip("bitsandbytes is installed: the fallback path is not taken here")
    except ImportError:
        pass
    data = tmp_path / "t.jsonl"
    q, a = QA[0]
    data.write_text(json.dumps({"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]}))
    spec = tmp_path / "job.json"
    spec.write_text(json.dumps({"base_model_dir": base_dir, "train_file": str(data), "output_dir": str(tmp_path / "o"),
                                "quantization": "nf4", "lora": {"r": 2},
                                "training": {"max_steps": 1, "batch_size": 1, "max_seq_length": 64}}))
    code, events, stderr = run_trainer("sft", "--spec", str(spec))
    assert code == 0, stderr[-3000:]
    assert events[0]["method"] == "lora" and events[0]["requested_quantization"] == "nf4"
    assert "bitsandbytes" in events[0]["method_note"]


def test_prompts_longer_than_max_seq_length_fail_clearly(base_dir, tmp_path):
    data = tmp_path / "t.jsonl"
    q, a = QA[0]
    data.write_text(json.dumps({"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]}))
    spec = tmp_path / "job.json"
    # SmolLM2's template adds a default system prompt: the prompt alone is > 16 tokens.
    spec.write_text(json.dumps({"base_model_dir": base_dir, "train_file": str(data), "output_dir": str(tmp_path / "o"),
                                "training": {"max_steps": 1, "batch_size": 1, "max_seq_length": 16}}))
    code, events, stderr = run_trainer("sft", "--spec", str(spec))
    assert code == 1
    assert events[-1]["event"] == "error" and "training.max_seq_length=16" in events[-1]["message"]
