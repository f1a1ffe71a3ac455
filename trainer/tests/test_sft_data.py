import json

import pytest

from trainer.errors import InputFileError
from trainer.sft_train import load_examples, messages_to_prompt_completion


def test_last_assistant_turn_becomes_the_completion():
    msgs = [
        {"role": "system", "content": "You are a travel guide."},
        {"role": "user", "content": "Lisbon in March?"},
        {"role": "assistant", "content": "Mild, 18C."},
        {"role": "user", "content": "And Porto?"},
        {"role": "assistant", "content": "Wetter.", "name": "ignored"},
    ]
    out = messages_to_prompt_completion(msgs)
    assert out["completion"] == [{"role": "assistant", "content": "Wetter."}]
    assert out["prompt"] == [{"role": m["role"], "content": m["content"]} for m in msgs[:-1]]


@pytest.mark.parametrize(
    ("msgs", "fragment"),
    [
        ([], "non-empty"),
        ([{"role": "user", "content": "hi"}], "last message must have role 'assistant'"),
        ([{"role": "assistant", "content": "hi"}], "at least one message before"),
        ([{"role": "user"}, {"role": "assistant", "content": "x"}], "message 0"),
        ([{"role": "robot", "content": "x"}, {"role": "assistant", "content": "x"}], "message 0"),
    ],
)
def test_bad_chats_are_rejected(msgs, fragment):
    with pytest.raises(ValueError, match=fragment):
        messages_to_prompt_completion(msgs)


def test_load_examples_accepts_both_formats_and_names_bad_lines(tmp_path):
    p = tmp_path / "d.jsonl"
    rows = [
        {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]},
        {"prompt": [{"role": "user", "content": "q2"}], "completion": [{"role": "assistant", "content": "a2"}]},
    ]
    p.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    ex = load_examples(str(p))
    assert ex == [
        {"prompt": [{"role": "user", "content": "q"}], "completion": [{"role": "assistant", "content": "a"}]},
        {"prompt": [{"role": "user", "content": "q2"}], "completion": [{"role": "assistant", "content": "a2"}]},
    ]
    p.write_text(json.dumps(rows[0]) + "\n" + json.dumps({"text": "x"}) + "\n")
    with pytest.raises(InputFileError, match=r"d\.jsonl:2: expected"):
        load_examples(str(p))
    p.write_text("{oops\n")
    with pytest.raises(InputFileError, match=r"d\.jsonl:1: invalid JSON"):
        load_examples(str(p))
    bad = {"prompt": [{"role": "user", "content": "q"}], "completion": [{"role": "user", "content": "a"}]}
    p.write_text(json.dumps(bad) + "\n")
    with pytest.raises(InputFileError, match="assistant messages only"):
        load_examples(str(p))
    p.write_text("")
    with pytest.raises(InputFileError, match="no examples"):
        load_examples(str(p))
