"""Train/serve parity in the data loader: message texts are stripped as the server strips them
(src/models/chat-template.ts normalizeMessageText), so a completion starting with whitespace trains on
the same token ids the server sends (ChatML merges "\\n" + leading spaces into another token)."""

from trainer.data import parse_example


def test_prompt_completion_texts_are_stripped():
    ex = parse_example(
        {"prompt": [{"role": "user", "content": "  Where to eat in Lisbon?\n"}], "completion": "\n  Try Time Out Market. "},
        "prompt_completion",
    )
    assert ex["prompt"] == [{"role": "user", "content": "Where to eat in Lisbon?"}]
    assert ex["completion"] == [{"role": "assistant", "content": "Try Time Out Market."}]


def test_messages_and_preferences_are_stripped():
    chat = parse_example(
        {"messages": [{"role": "system", "content": " Be brief. "}, {"role": "user", "content": "Hi "}, {"role": "assistant", "content": " Hello"}]},
        "chat",
    )
    assert [m["content"] for m in chat["prompt"] + chat["completion"]] == ["Be brief.", "Hi", "Hello"]
    pref = parse_example({"prompt": "Q? ", "chosen": " good answer", "rejected": "bad answer\n"}, "preference")
    assert pref["chosen"][0]["content"] == "good answer"
    assert pref["rejected"][0]["content"] == "bad answer"
    # inner whitespace is never touched
    kept = parse_example({"prompt": "a  b", "completion": "line 1\n\nline 2"}, "prompt_completion")
    assert kept["completion"][0]["content"] == "line 1\n\nline 2"
