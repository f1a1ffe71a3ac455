"""Bad specs fail before any model loads, one clear message each (CLI, as the TypeScript side runs it)."""

import json
import os

import pytest

from trainer.base_config import check_adapter_for_base
from trainer.base_train import complete_checkpoints, prepare_output_dir
from trainer.data import load_dataset_file, parse_example
from trainer.errors import InputFileError, SpecError
from trainer.methods import METHODS, parse_job

from .conftest import ROOT, run_trainer

FIX = os.path.join(ROOT, "test", "fixtures", "training")


@pytest.fixture()
def fake_base(tmp_path):
    base = tmp_path / "base"
    base.mkdir()
    (base / "config.json").write_text("{}")
    return str(base)


def spec_file(tmp_path, **spec):
    p = tmp_path / "job.json"
    p.write_text(json.dumps(spec))
    return str(p)


def test_method_table_matches_schema():
    assert list(METHODS) == ["sft", "raft", "reward", "dpo", "rlhf"]


@pytest.mark.parametrize(
    ("method", "train", "fragment"),
    [
        ("sft", "preferences.jsonl", 'preferences.jsonl:1: expected {"messages": [...]}'),
        ("raft", "prompts.jsonl", "prompts.jsonl:1: expected {\"prompt\": ..., \"completion\": ...}"),
        ("reward", "sft.jsonl", 'sft.jsonl:1: expected {"prompt": ..., "chosen": ..., "rejected": ...}'),
        ("dpo", "raft.jsonl", "raft.jsonl:1: expected {\"prompt\": ..., \"chosen\""),
    ],
)
def test_wrong_format_dataset_names_file_line_and_format(tmp_path, fake_base, method, train, fragment):
    extra = {"start_adapter_dir": str(tmp_path)} if method == "dpo" else {}
    f = spec_file(tmp_path, base_model_dir=fake_base, train_file=os.path.join(FIX, train), output_dir=str(tmp_path / "o"), **extra)
    code, events, stderr = run_trainer(method, "--spec", f, "--check-only")
    assert code == 1 and len(events) == 1 and events[0]["event"] == "error"
    assert fragment in events[0]["message"]
    assert "Traceback" not in stderr and not (tmp_path / "o").exists()


def test_every_fixture_passes_check_only(tmp_path, fake_base):
    for method, train in [("sft", "sft.jsonl"), ("raft", "raft.jsonl"), ("reward", "preferences.jsonl")]:
        f = spec_file(tmp_path, base_model_dir=fake_base, train_file=os.path.join(FIX, train), output_dir=str(tmp_path / "o"))
        code, events, stderr = run_trainer(method, "--spec", f, "--check-only")
        assert code == 0, stderr[-2000:]
        assert events[-1]["valid"] is True and events[-1]["train_examples"] == 8


@pytest.mark.parametrize(
    ("method", "extra", "field", "fragment"),
    [
        ("dpo", {}, "start_adapter_dir", "is required (PEFT adapter folder of the sft/raft job"),
        ("rlhf", {"start_adapter_dir": "s"}, "reward_model_dir", "is required"),
        ("dpo", {"start_adapter_dir": "s", "dpo": {"beta": 0}}, "dpo.beta", "> 0"),
        ("dpo", {"start_adapter_dir": "s", "dpo": {"loss_type": "kto"}}, "dpo.loss_type", '"sigmoid"'),
        ("rlhf", {"start_adapter_dir": "s", "reward_model_dir": "r", "rlhf": {"num_generations": 1}}, "rlhf.num_generations", ">= 2"),
        ("rlhf", {"start_adapter_dir": "s", "reward_model_dir": "r", "rlhf": {"num_generations": 3}}, "training.batch_size",
         "multiple of rlhf.num_generations = 3"),
        ("sft", {"dpo": {"beta": 0.1}}, "dpo", "unknown field"),
    ],
)
def test_method_fields(method, extra, field, fragment):
    with pytest.raises(SpecError) as info:
        parse_job({"base_model_dir": "b", "train_file": "t", "output_dir": "o", **extra}, method, check_paths=False)
    assert info.value.field == field and fragment in str(info.value)


def test_adapter_for_another_base_is_refused(tmp_path, fake_base):
    other = tmp_path / "other-base"
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": str(other)}))
    with pytest.raises(InputFileError, match="start_adapter_dir was trained on base .*other-base.*not on .*an adapter only fits its own base"):
        check_adapter_for_base(str(adapter), fake_base, "start_adapter_dir")
    with pytest.raises(InputFileError, match="not a PEFT adapter folder"):
        check_adapter_for_base(str(tmp_path), fake_base, "start_adapter_dir")
    (adapter / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": fake_base}))
    assert check_adapter_for_base(str(adapter), fake_base, "x")["base_model_name_or_path"] == fake_base


def test_string_and_conversational_records_become_conversational():
    assert parse_example({"prompt": "Q?", "completion": "A."}, "prompt_completion") == {
        "prompt": [{"role": "user", "content": "Q?"}], "completion": [{"role": "assistant", "content": "A."}]}
    p = parse_example({"prompt": "Q?", "chosen": "good", "rejected": [{"role": "assistant", "content": "bad"}]}, "preference")
    assert p["chosen"] == [{"role": "assistant", "content": "good"}] and p["rejected"][0]["content"] == "bad"
    with pytest.raises(ValueError, match="must end with a user turn"):
        parse_example({"prompt": [{"role": "assistant", "content": "x"}]}, "prompt_only")
    assert len(load_dataset_file(os.path.join(FIX, "prompts.jsonl"), "prompt_only")) == 10


def test_resume_is_keyed_on_contents(tmp_path):
    from trainer.sft_config import parse_sft_spec

    spec = parse_sft_spec({"base_model_dir": "b", "train_file": "t", "output_dir": str(tmp_path / "o")}, check_paths=False)
    assert prepare_output_dir(spec, {"train_file": "aaa"}) == (None, "fresh start")
    ck = tmp_path / "o" / "checkpoint-4"
    ck.mkdir()
    (ck / "trainer_state.json").write_text('{"global_step": 4}')
    (tmp_path / "o" / "checkpoint-6").mkdir()  # a killed run was writing it: no trainer_state.json
    assert complete_checkpoints(str(tmp_path / "o")) == [str(ck)]
    assert prepare_output_dir(spec, {"train_file": "aaa"}) == (str(ck), "same data and settings: resuming from checkpoint-4")
    resume, note = prepare_output_dir(spec, {"train_file": "bbb"})  # same path, new content
    assert resume is None and "data or settings changed" in note and not ck.exists()


def _eot_base(tmp_path, eos) -> str:
    base = tmp_path / "eot-base"
    base.mkdir()
    (base / "config.json").write_text("{}")
    (base / "tokenizer_config.json").write_text(json.dumps({"eos_token": eos}))
    return str(base)


def test_answers_carrying_the_end_of_turn_token_are_refused_with_every_line(tmp_path):
    base = _eot_base(tmp_path, "<|im_end|>")
    good = {"prompt": "Q?", "chosen": "Spring.", "rejected": "No."}
    rows = [good, {**good, "chosen": "Spring.<|im_end|>\n"}, good,
            {**good, "rejected": [{"role": "assistant", "content": "No<|im_end|>"}]},
            {**good, "prompt": "Where is <|im_end|>?"}]  # a prompt is not an answer: not refused
    train = tmp_path / "prefs.jsonl"
    train.write_text("".join(json.dumps(r) + "\n" for r in rows))
    f = spec_file(tmp_path, base_model_dir=base, train_file=str(train), output_dir=str(tmp_path / "o"))
    code, events, stderr = run_trainer("reward", "--spec", f, "--check-only")
    assert code == 1 and [e["event"] for e in events] == ["error"] and "Traceback" not in stderr
    assert events[0]["message"] == (
        f"{train}:2: train_file: field 'chosen' contains the end-of-turn token '<|im_end|>'; give the answer text "
        "only: the chat template adds exactly one end-of-turn, and a second one (or one mid-answer) teaches the "
        "model to stop early. 2 answer(s) in this file do, at lines: 2 (chosen), 4 (rejected[0].content)")
    assert not (tmp_path / "o").exists()


def test_end_of_turn_check_covers_sft_answers_and_caps_the_line_list(tmp_path):
    from trainer.chat_format import end_of_turn_text

    assert end_of_turn_text(_eot_base(tmp_path, {"content": "<end_of_turn>", "special": True})) == "<end_of_turn>"
    assert end_of_turn_text(str(tmp_path)) is None  # no tokenizer_config.json: not checked here
    chat = {"messages": [{"role": "user", "content": "Q?"}, {"role": "assistant", "content": "A.<end_of_turn>"}]}
    sft = tmp_path / "sft.jsonl"
    sft.write_text("".join(json.dumps(chat) + "\n" for _ in range(23)))
    with pytest.raises(InputFileError) as info:
        load_dataset_file(str(sft), "chat", "train_file", "<end_of_turn>")
    msg = str(info.value)
    assert msg.startswith(f"{sft}:1: train_file: field 'messages[1].content' contains the end-of-turn token '<end_of_turn>'")
    assert msg.endswith("23 answer(s) in this file do, at lines: " + ", ".join(f"{n} (messages[1].content)" for n in range(1, 21))
                        + ", and 3 more")
    assert len(load_dataset_file(str(sft), "chat", "train_file", "<|im_end|>")) == 23  # another base's token: fine
    pc = tmp_path / "pc.jsonl"
    pc.write_text(json.dumps({"prompt": "Q?", "completion": "A.<end_of_turn>"}) + "\n")
    with pytest.raises(InputFileError, match=r"pc.jsonl:1: train_file: field 'completion' contains"):
        load_dataset_file(str(pc), "prompt_completion", "train_file", "<end_of_turn>")
