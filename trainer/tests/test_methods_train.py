"""Every method end to end on SmolLM2-135M through the CLI, CI-sized (2 optimizer steps each, short
sequences, LoRA r 4), chained as an experiment chains them: sft -> dpo, raft, reward -> rlhf.

Values asserted, not "it ran": DPO's first logged rewards are exactly 0 (the reference IS the start
adapter: policy == reference before the first update); the served adapter of a stacked job equals
start + delta; the reward model reports held-out accuracy and margin; RL samples carry reward-model
scores; an unscorable completion gets None, never 0.
"""

import json
import math
import os

import pytest

from .conftest import ROOT, run_trainer

FIX = os.path.join(ROOT, "test", "fixtures", "training")
TRAIN = {"max_steps": 2, "batch_size": 2, "learning_rate": 1e-3, "max_seq_length": 64, "warmup_ratio": 0.0,
         "lr_scheduler": "constant", "seed": 3}


def _run(work, method, **spec):
    spec.setdefault("lora", {"r": 4, "alpha": 8, "dropout": 0.0})
    spec.setdefault("training", TRAIN)
    spec.setdefault("threads", 2)
    spec["output_dir"] = str(work / method)
    p = work / f"{method}.json"
    p.write_text(json.dumps(spec))
    code, events, stderr = run_trainer(method, "--spec", str(p), timeout=3600)
    assert code == 0, stderr[-4000:]
    assert events[0]["event"] == "start" and events[-1]["event"] == "done"
    return events


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("methods")


@pytest.fixture(scope="module")
def sft(base_dir, work):
    return _run(work, "sft", base_model_dir=base_dir, train_file=os.path.join(FIX, "sft.jsonl"))


@pytest.fixture(scope="module")
def reward(base_dir, work):
    return _run(work, "reward", base_model_dir=base_dir, train_file=os.path.join(FIX, "preferences.jsonl"),
                eval_file=os.path.join(FIX, "preferences.validation.jsonl"),
                training={**TRAIN, "early_stopping_patience": None})


def test_raft_trains_on_completion_only(base_dir, work):
    events = _run(work, "raft", base_model_dir=base_dir, train_file=os.path.join(FIX, "raft.jsonl"),
                  training={**TRAIN, "max_seq_length": 192})
    start, done = events[0], events[-1]
    assert start["command"] == "raft" and start["train_examples"] == 8 and start["train_examples_kept"] == 8
    assert [e["step"] for e in events if e["event"] == "progress"] == [1, 2]
    assert done["steps"] == 2 and 0 < done["train_loss_last"] < 10
    assert os.path.isfile(os.path.join(done["adapter_dir"], "adapter_model.safetensors"))


def test_reward_model_reports_held_out_accuracy_and_margin(reward):
    done = reward[-1]
    evals = [e for e in reward if e["event"] == "eval"]
    assert [e["step"] for e in evals] == [0, 2]  # before training and after (eval once per epoch = 4 steps > 2)
    assert all(0.0 <= e["metrics"]["accuracy"] <= 1.0 and math.isfinite(e["metrics"]["margin"]) for e in evals)
    assert 0.0 <= done["eval_accuracy"] <= 1.0 and math.isfinite(done["eval_margin"])
    assert os.path.isfile(os.path.join(done["adapter_dir"], "wayfarer-reward.json"))
    cfg = json.load(open(os.path.join(done["adapter_dir"], "adapter_config.json")))
    assert cfg["task_type"] == "SEQ_CLS" and "score" in cfg["modules_to_save"]


def test_dpo_reference_is_the_start_adapter_and_margins_are_logged(base_dir, work, sft):
    events = _run(work, "dpo", base_model_dir=base_dir, start_adapter_dir=sft[-1]["adapter_dir"],
                  train_file=os.path.join(FIX, "preferences.jsonl"), dpo={"beta": 0.1})
    start, done = events[0], events[-1]
    assert start["beta"] == 0.1 and start["loss_type"] == "sigmoid"
    progress = [e for e in events if e["event"] == "progress"]
    keys = ("rewards/chosen", "rewards/rejected", "rewards/margins", "rewards/accuracies")
    assert all(all(k in p["metrics"] for k in keys) for p in progress)
    # before the first update the new LoRA is zero: policy == reference (= base + sft) exactly
    first = progress[0]["metrics"]
    assert first["rewards/chosen"] == pytest.approx(0, abs=1e-5) and first["rewards/margins"] == pytest.approx(0, abs=1e-5)
    assert progress[0]["loss"] == pytest.approx(math.log(2), abs=1e-4)  # -log sigmoid(0)
    assert done["dpo_metrics_last"]["rewards/margins"] != 0
    served = json.load(open(os.path.join(done["adapter_dir"], "adapter_config.json")))
    assert served["r"] == 8 and served["lora_alpha"] == 8  # start r 4 + delta r 4, concatenated
    assert os.path.isfile(os.path.join(done["delta_adapter_dir"], "adapter_model.safetensors"))


def test_served_adapter_equals_start_plus_delta(base_dir, work, sft):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    dpo_out = work / "dpo"
    if not (dpo_out / "adapter").is_dir():
        pytest.skip("needs the dpo run")
    ids = torch.tensor([[1, 504, 3458, 314, 260, 1183, 2]])
    served = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base_dir), str(dpo_out / "adapter"))
    a = served(ids).logits
    m = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base_dir), sft[-1]["adapter_dir"]).merge_and_unload()
    b = PeftModel.from_pretrained(m, str(dpo_out / "adapter_delta"))(ids).logits
    assert torch.max(torch.abs(a - b)).item() < 1e-3


def test_rlhf_scores_samples_with_the_reward_model(base_dir, work, sft, reward):
    events = _run(work, "rlhf", base_model_dir=base_dir, start_adapter_dir=sft[-1]["adapter_dir"],
                  reward_model_dir=reward[-1]["adapter_dir"], train_file=os.path.join(FIX, "prompts.jsonl"),
                  rlhf={"num_generations": 2, "max_completion_length": 12, "beta": 0.05, "log_completions": 2})
    start, done = events[0], events[-1]
    assert start["algorithm"] == "grpo" and start["beta"] == 0.05
    samples = [s for e in events if e["event"] == "samples" for s in e["samples"]]
    assert samples and all(isinstance(s["completion"], str) for s in samples)
    assert all(s["reward"] is None or math.isfinite(s["reward"]) for s in samples)
    progress = [e for e in events if e["event"] == "progress"]
    assert len(progress) == 2 and all("kl" in p["metrics"] and "reward" in p["metrics"] for p in progress)
    assert math.isfinite(done["reward_last"]) and done["steps"] == 2


def test_unscorable_completion_is_none_not_zero(base_dir, reward):
    from trainer.reward_train import load_reward_model
    from trainer.rlhf_train import RewardModelFunction

    model, tok = load_reward_model(base_dir, reward[-1]["adapter_dir"])
    seen = []
    fn = RewardModelFunction(model, tok, 128, on_scored=lambda p, c, r: seen.append(r))
    prompt = [{"role": "user", "content": "Do I need cash in Japan?"}]
    out = fn([prompt, prompt], [[{"role": "assistant", "content": "Carry some yen."}], [{"role": "assistant", "content": "  "}]])
    assert isinstance(out[0], float) and out[1] is None and seen == [out]
