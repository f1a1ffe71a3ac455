"""Every method end to end on both small bases through the CLI, CI-sized, chained as an experiment chains them:
sft -> dpo, raft, reward -> rlhf (LoRA r 4). SmolLM2-135M runs 2 optimizer steps per job on the 8-example
fixtures; Gemma-3-270M (262k vocabulary: every token costs 2x SmolLM2's compute) runs on their first 2
examples, batch 1, 1 step per job (2 for DPO: the margin must move after an update), 6-token RL samples.
A Gemma test skips, with the reason, when the Gemma GGUF is absent.

Values asserted, not "it ran": DPO's first logged rewards are exactly 0 (the reference IS the start
adapter: policy == reference before the first update); the served adapter of a stacked job equals
start + delta; the reward model reports held-out accuracy and margin; RL samples carry reward-model
scores; an unscorable completion gets None, never 0; RAFT examples whose end-of-turn falls beyond
max_seq_length are counted exactly as ``chat_format.end_of_turn_label`` predicts; every chat adapter
exports to a GGUF LoRA of the base's architecture.
"""

import json
import math
import os
from dataclasses import dataclass, field

import pytest

from .conftest import ROOT, run_trainer

FIX = os.path.join(ROOT, "test", "fixtures", "training")
TRAIN = {"max_steps": 2, "batch_size": 2, "learning_rate": 1e-3, "max_seq_length": 64, "warmup_ratio": 0.0,
         "lr_scheduler": "constant", "seed": 3}


@dataclass
class Base:
    """One small base and the CI-sized settings its jobs run with."""

    name: str
    base_dir: str
    gguf: str
    files: dict[str, str]  # fixture name -> path (a cut-down copy for Gemma)
    training: dict
    raft_max_seq_length: int  # cuts the end-of-turn of some RAFT examples (their documents are long)
    architecture: str
    layers: int
    rl_completion_tokens: int
    n_train: int = field(init=False)

    def __post_init__(self):
        with open(self.files["sft"], encoding="utf-8") as f:
            self.n_train = sum(1 for line in f if line.strip())


def _head(src: str, dst, n: int) -> str:
    with open(src, encoding="utf-8") as f:
        lines = [line for line in f if line.strip()][:n]
    dst.write_text("".join(lines))
    return str(dst)


NAMES = ("sft", "raft", "preferences", "preferences.validation", "prompts")


@pytest.fixture(scope="module", params=["smollm2", "gemma"])
def base(request, tmp_path_factory) -> Base:
    if request.param == "smollm2":
        return Base("smollm2", request.getfixturevalue("base_dir"), request.getfixturevalue("base_gguf"),
                    {n: os.path.join(FIX, f"{n}.jsonl") for n in NAMES}, TRAIN, 160, "llama", 30, 12)
    gemma_dir, gguf = request.getfixturevalue("gemma_dir"), request.getfixturevalue("gemma_gguf")
    d = tmp_path_factory.mktemp("gemma-data")
    files = {n: _head(os.path.join(FIX, f"{n}.jsonl"), d / f"{n}.jsonl", 2) for n in NAMES}
    return Base("gemma", gemma_dir, gguf, files, {**TRAIN, "batch_size": 1, "max_steps": 1}, 120, "gemma3", 18, 6)


@pytest.fixture(scope="module")
def work(base, tmp_path_factory):
    return tmp_path_factory.mktemp(f"methods-{base.name}")


def _run(base: Base, work, method, **spec):
    spec.setdefault("lora", {"r": 4, "alpha": 8, "dropout": 0.0})
    spec["training"] = {**base.training, **spec.get("training", {})}
    spec.setdefault("threads", 2)
    spec["base_model_dir"] = base.base_dir
    spec["output_dir"] = str(work / method)
    p = work / f"{method}.json"
    p.write_text(json.dumps(spec))
    code, events, stderr = run_trainer(method, "--spec", str(p), timeout=3600)
    assert code == 0, stderr[-4000:]
    assert events[0]["event"] == "start" and events[-1]["event"] == "done"
    return events


@pytest.fixture(scope="module")
def sft(base, work):
    return _run(base, work, "sft", train_file=base.files["sft"])


@pytest.fixture(scope="module")
def raft(base, work):
    return _run(base, work, "raft", train_file=base.files["raft"],
                training={"max_seq_length": base.raft_max_seq_length})


@pytest.fixture(scope="module")
def reward(base, work):
    return _run(base, work, "reward", train_file=base.files["preferences"],
                eval_file=base.files["preferences.validation"], training={"early_stopping_patience": None})


@pytest.fixture(scope="module")
def dpo(base, work, sft):
    return _run(base, work, "dpo", start_adapter_dir=sft[-1]["adapter_dir"], train_file=base.files["preferences"],
                dpo={"beta": 0.1}, training={"max_steps": 2})


@pytest.fixture(scope="module")
def rlhf(base, work, sft, reward):
    return _run(base, work, "rlhf", start_adapter_dir=sft[-1]["adapter_dir"], reward_model_dir=reward[-1]["adapter_dir"],
                train_file=base.files["prompts"], training={"batch_size": 2},  # a multiple of num_generations
                rlhf={"num_generations": 2, "max_completion_length": base.rl_completion_tokens, "beta": 0.05,
                      "log_completions": 2})


def test_sft_trains_and_every_end_of_turn_keeps_its_label(base, sft):
    start, done = sft[0], sft[-1]
    assert start["command"] == "sft" and start["train_examples"] == start["train_examples_kept"] == base.n_train
    assert start["train_examples_eot_truncated"] == done["train_examples_eot_truncated"] == 0  # all fit in 64
    assert done["steps"] == base.training["max_steps"] and 0 < done["train_loss_last"] < 10
    assert os.path.isfile(os.path.join(done["adapter_dir"], "adapter_model.safetensors"))


def test_raft_trains_on_completion_only_and_counts_cut_end_of_turns(base, raft):
    from trainer.base_model import load_tokenizer
    from trainer.chat_format import end_of_turn_label
    from trainer.data import load_dataset_file

    start, done = raft[0], raft[-1]
    assert start["command"] == "raft" and start["train_examples"] == start["train_examples_kept"] == base.n_train
    steps = base.training["max_steps"]
    assert [e["step"] for e in raft if e["event"] == "progress"] == list(range(1, steps + 1))
    assert done["steps"] == steps and 0 < done["train_loss_last"] < 10
    assert os.path.isfile(os.path.join(done["adapter_dir"], "adapter_model.safetensors"))
    # the run counts on TRL's prepared data; end_of_turn_label predicts the same from the rows
    tok = load_tokenizer(base.base_dir)
    rows = load_dataset_file(base.files["raft"], "prompt_completion")
    lost = sum(not end_of_turn_label(tok, r["prompt"], r["completion"][0]["content"], base.raft_max_seq_length)["eot_labelled"]
               for r in rows)
    assert 0 < lost < len(rows)  # the fixture really has both kinds at this max_seq_length
    assert start["train_examples_eot_truncated"] == done["train_examples_eot_truncated"] == lost
    assert done["eval_examples_eot_truncated"] is None


def test_reward_model_reports_held_out_accuracy_and_margin(base, reward):
    done = reward[-1]
    evals = [e for e in reward if e["event"] == "eval"]
    assert [e["step"] for e in evals] == [0, base.training["max_steps"]]  # before training and at the end
    assert all(0.0 <= e["metrics"]["accuracy"] <= 1.0 and math.isfinite(e["metrics"]["margin"]) for e in evals)
    assert 0.0 <= done["eval_accuracy"] <= 1.0 and math.isfinite(done["eval_margin"])
    assert all(math.isfinite(e["loss"]) for e in reward if e["event"] == "progress")
    assert os.path.isfile(os.path.join(done["adapter_dir"], "wayfarer-reward.json"))
    cfg = json.load(open(os.path.join(done["adapter_dir"], "adapter_config.json")))
    assert cfg["task_type"] == "SEQ_CLS" and "score" in cfg["modules_to_save"]


def test_reward_pairs_longer_than_max_seq_length_fail_clearly(base_dir, tmp_path):
    spec = tmp_path / "job.json"
    spec.write_text(json.dumps({"base_model_dir": base_dir, "train_file": os.path.join(FIX, "preferences.jsonl"),
                                "output_dir": str(tmp_path / "o"), "training": {**TRAIN, "max_seq_length": 16}}))
    code, events, stderr = run_trainer("reward", "--spec", str(spec))
    assert code == 1 and "Traceback" not in stderr
    msg = events[-1]["message"]
    assert events[-1]["event"] == "error" and "preferences.jsonl: all 8 preference pairs" in msg
    assert "training.max_seq_length=16" in msg


def test_dpo_reference_is_the_start_adapter_and_margins_are_logged(dpo):
    start, done = dpo[0], dpo[-1]
    assert start["beta"] == 0.1 and start["loss_type"] == "sigmoid"
    progress = [e for e in dpo if e["event"] == "progress"]
    keys = ("rewards/chosen", "rewards/rejected", "rewards/margins", "rewards/accuracies")
    assert len(progress) == 2 and all(all(math.isfinite(p["metrics"][k]) for k in keys) for p in progress)
    # before the first update the new LoRA is zero: policy == reference (= base + sft) exactly
    first = progress[0]["metrics"]
    assert first["rewards/chosen"] == pytest.approx(0, abs=1e-5) and first["rewards/margins"] == pytest.approx(0, abs=1e-5)
    assert progress[0]["loss"] == pytest.approx(math.log(2), abs=1e-4)  # -log sigmoid(0)
    assert done["dpo_metrics_last"]["rewards/margins"] != 0
    served = json.load(open(os.path.join(done["adapter_dir"], "adapter_config.json")))
    assert served["r"] == 8 and served["lora_alpha"] == 8  # start r 4 + delta r 4, concatenated
    assert os.path.isfile(os.path.join(done["delta_adapter_dir"], "adapter_model.safetensors"))


def test_served_adapter_equals_start_plus_delta(base, sft, dpo):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    done = dpo[-1]
    ids = torch.tensor([[1, 504, 3458, 314, 260, 1183, 2]])
    served = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base.base_dir), done["adapter_dir"])
    a = served(ids).logits
    m = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base.base_dir), sft[-1]["adapter_dir"]).merge_and_unload()
    b = PeftModel.from_pretrained(m, done["delta_adapter_dir"])(ids).logits
    assert torch.max(torch.abs(a - b)).item() < 1e-3


def test_rlhf_scores_samples_with_the_reward_model(base, rlhf):
    start, done = rlhf[0], rlhf[-1]
    assert start["algorithm"] == "grpo" and start["beta"] == 0.05
    samples = [s for e in rlhf if e["event"] == "samples" for s in e["samples"]]
    assert samples and all(isinstance(s["completion"], str) and s["prompt"] for s in samples)
    assert all(s["reward"] is None or math.isfinite(s["reward"]) for s in samples)
    assert any(s["reward"] is not None for s in samples)
    progress = [e for e in rlhf if e["event"] == "progress"]
    steps = base.training["max_steps"]
    assert len(progress) == steps and all("kl" in p["metrics"] and "reward" in p["metrics"] for p in progress)
    assert math.isfinite(done["reward_last"]) and done["steps"] == steps
    served = json.load(open(os.path.join(done["adapter_dir"], "adapter_config.json")))
    assert served["r"] == 8


def test_unscorable_completion_is_none_not_zero(base, reward):
    from trainer.reward_train import load_reward_model
    from trainer.rlhf_train import RewardModelFunction

    model, tok = load_reward_model(base.base_dir, reward[-1]["adapter_dir"])
    seen = []
    fn = RewardModelFunction(model, tok, 128, on_scored=lambda p, c, r: seen.append(r))
    prompt = [{"role": "user", "content": "Do I need cash in Japan?"}]
    out = fn([prompt, prompt], [[{"role": "assistant", "content": "Carry some yen."}], [{"role": "assistant", "content": "  "}]])
    assert isinstance(out[0], float) and math.isfinite(out[0]) and out[1] is None and seen == [out]


def test_chat_adapters_export_to_gguf_lora(base, work, sft, raft, dpo, rlhf):
    import gguf

    from trainer.export_gguf import export_lora_gguf

    for method, events, rank in (("sft", sft, 4), ("raft", raft, 4), ("dpo", dpo, 8), ("rlhf", rlhf, 8)):
        out = str(work / f"{method}.gguf")
        result = export_lora_gguf(events[-1]["adapter_dir"], base.gguf, out)
        assert (result["architecture"], result["rank"], result["tensor_pairs"]) == (base.architecture, rank, base.layers * 7)
        reader = gguf.GGUFReader(out)
        assert len(reader.tensors) == 2 * base.layers * 7  # lora_a + lora_b per adapted matrix
