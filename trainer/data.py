"""Training data in TRL's dataset formats, read and checked before any model is loaded.

Formats (one JSON object per line; blank lines are skipped):

- ``chat`` (sft): ``{"messages": [...]}`` (the last message is the assistant turn: it becomes the
  completion, everything before it the prompt) or ``{"prompt": [...], "completion": [...]}``.
- ``prompt_completion`` (raft): ``{"messages": [...]}`` when present (the datasets stage writes RAFT
  records with both forms; the chat form carries the system turn used at serving time), else
  ``{"prompt", "completion"}`` as strings or as message lists. Loss is on the completion only.
- ``preference`` (reward, dpo): ``{"prompt", "chosen", "rejected"}`` (explicit prompt), strings or
  message lists.
- ``prompt_only`` (rlhf): ``{"prompt"}``, a string or a message list.

Every example is returned in TRL's *conversational* form (lists of ``{"role", "content"}``): a string
prompt becomes one user message and a string answer one assistant message, so the chat template
(and its end-of-turn token) is applied exactly as at serving time. Extra keys (RAFT's gorilla
fields, provenance) are ignored.

Answers (``completion``, ``chosen``, ``rejected``, the last assistant message) must not contain the base's
end-of-turn token text (``<|im_end|>``, ``<end_of_turn>``): the chat template adds exactly one, so such a
row would train two end-of-turns or a stop mid-answer (train/serve parity, ``chat_format``). Such rows are
bad input, not noise to skip: the file is refused with one error naming the first line and field and
listing every offending line, so that no pair is lost silently and no file trains half-filtered.
"""

from __future__ import annotations

import json
import os
from typing import Any, Literal

from .chat_format import END_OF_TURN_FIX, end_of_turn_text, strip_answer
from .errors import InputFileError

DataFormat = Literal["chat", "prompt_completion", "preference", "prompt_only"]
_ROLES = ("system", "user", "assistant", "tool")

#: What each format expects, for error messages.
EXPECTED: dict[str, str] = {
    "chat": '{"messages": [...]} or {"prompt": [...], "completion": [...]} (TRL conversational SFT)',
    "prompt_completion": '{"prompt": ..., "completion": ...} (TRL prompt-completion; strings or message lists)',
    "preference": '{"prompt": ..., "chosen": ..., "rejected": ...} (TRL preference pairs with an explicit prompt)',
    "prompt_only": '{"prompt": ...} (TRL prompt-only; a string or a message list)',
}


def messages_to_prompt_completion(messages: list[dict[str, Any]]) -> dict[str, list[dict[str, str]]]:
    """Split a chat into a conversational prompt/completion pair.

    The last message must be an assistant turn; it becomes ``completion`` (a one-message list) and
    all messages before it become ``prompt``. Only ``role`` and ``content`` are kept.

    Raises:
        ValueError: empty chat, a malformed message, or a last message that is not ``assistant``,
            or no message before it.
    """
    if not isinstance(messages, list) or not messages:
        raise ValueError("'messages' must be a non-empty list")
    clean: list[dict[str, str]] = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or not isinstance(m.get("content"), str) or m.get("role") not in _ROLES:
            raise ValueError(f"message {i} must be {{'role': one of {list(_ROLES)}, 'content': str}}")
        # stripped as the server strips (train/serve parity: chat_format.strip_answer)
        clean.append({"role": m["role"], "content": strip_answer(m["content"])})
    if clean[-1]["role"] != "assistant":
        raise ValueError(f"the last message must have role 'assistant' (got '{clean[-1]['role']}')")
    if len(clean) < 2:
        raise ValueError("a chat needs at least one message before the assistant turn")
    return {"prompt": clean[:-1], "completion": clean[-1:]}


def _conversation(value: Any, key: str, role_if_string: str) -> list[dict[str, str]]:
    if isinstance(value, str):
        if not value.strip():
            raise ValueError(f"'{key}' is an empty string")
        return [{"role": role_if_string, "content": strip_answer(value)}]
    if not isinstance(value, list) or not value:
        raise ValueError(f"'{key}' must be a non-empty string or a non-empty list of messages")
    out = []
    for i, m in enumerate(value):
        if not isinstance(m, dict) or not isinstance(m.get("content"), str) or m.get("role") not in _ROLES:
            raise ValueError(f"{key}[{i}] must be {{'role': one of {list(_ROLES)}, 'content': str}}")
        out.append({"role": m["role"], "content": strip_answer(m["content"])})
    return out


def _answer(value: Any, key: str) -> list[dict[str, str]]:
    conv = _conversation(value, key, "assistant")
    if any(m["role"] != "assistant" for m in conv):
        raise ValueError(f"'{key}' may contain assistant messages only")
    return conv


def parse_example(row: Any, fmt: DataFormat) -> dict[str, Any]:
    """One JSONL record -> a conversational TRL example of ``fmt``.

    Raises:
        ValueError: the record does not have the format's keys or a value is malformed.
    """
    if not isinstance(row, dict):
        raise ValueError("each line must be a JSON object")
    keys = set(row)
    if fmt == "chat" or fmt == "prompt_completion":
        if "messages" in row:  # RAFT records carry both forms: the chat one has the system turn served too
            return messages_to_prompt_completion(row["messages"])
        if {"prompt", "completion"} <= keys:
            if fmt == "chat" and not isinstance(row["prompt"], list):
                raise ValueError("'prompt' must be a list of messages (conversational SFT)")
            return {"prompt": _conversation(row["prompt"], "prompt", "user"), "completion": _answer(row["completion"], "completion")}
    elif fmt == "preference":
        if {"prompt", "chosen", "rejected"} <= keys:
            return {
                "prompt": _conversation(row["prompt"], "prompt", "user"),
                "chosen": _answer(row["chosen"], "chosen"),
                "rejected": _answer(row["rejected"], "rejected"),
            }
    elif fmt == "prompt_only":
        if "prompt" in keys:
            prompt = _conversation(row["prompt"], "prompt", "user")
            if prompt[-1]["role"] == "assistant":
                raise ValueError("'prompt' must end with a user turn (the model answers it)")
            return {"prompt": prompt}
    raise ValueError(f"expected {EXPECTED[fmt]}; got keys {sorted(keys)}")


def answer_fields(row: dict[str, Any], fmt: DataFormat) -> list[tuple[str, str]]:
    """The trained answer texts of a record that :func:`parse_example` accepted, as ``(field, text)`` with the
    field named as in the file (``"chosen"``, ``"rejected[0].content"``, ``"messages[2].content"``); none for
    ``prompt_only``."""
    def texts(key: str) -> list[tuple[str, str]]:
        v = row[key]
        return [(key, v)] if isinstance(v, str) else [(f"{key}[{i}].content", m["content"]) for i, m in enumerate(v)]

    if fmt in ("chat", "prompt_completion"):
        if "messages" in row:
            return [(f"messages[{len(row['messages']) - 1}].content", row["messages"][-1]["content"])]
        return texts("completion")
    if fmt == "preference":
        return texts("chosen") + texts("rejected")
    return []


#: At most this many offending lines are listed in one error message (the count is always given).
MAX_LINES_LISTED = 20


def load_dataset_file(path: str, fmt: DataFormat, what: str = "data file",
                      end_of_turn: str | None = None) -> list[dict[str, Any]]:
    """Read a JSONL file of ``fmt`` examples (see the module docstring).

    Args:
        end_of_turn: the base's end-of-turn token text (``chat_format.end_of_turn_text``); when given, answers
            containing it are refused (all offending lines listed in one error). ``None``: not checked.

    Raises:
        InputFileError: missing file, invalid JSON or an invalid example, naming ``path:line``
            and the expected format; answers carrying the end-of-turn token (``path:first line``, field,
            count and line list); or no example at all.
    """
    if not os.path.isfile(path):
        raise InputFileError(path, f"{what} does not exist")
    examples = []
    with_eot: list[tuple[int, str]] = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise InputFileError(where, f"invalid JSON ({e.msg})") from None
            try:
                examples.append(parse_example(row, fmt))
            except ValueError as e:
                raise InputFileError(where, str(e)) from None
            if end_of_turn:
                with_eot += [(lineno, field) for field, text in answer_fields(row, fmt) if end_of_turn in text]
    if with_eot:
        line, field = with_eot[0]
        listed = ", ".join(f"{n} ({fld})" for n, fld in with_eot[:MAX_LINES_LISTED])
        more = f", and {len(with_eot) - MAX_LINES_LISTED} more" if len(with_eot) > MAX_LINES_LISTED else ""
        raise InputFileError(
            f"{path}:{line}",
            f"{what}: field '{field}' contains the end-of-turn token {end_of_turn!r}; {END_OF_TURN_FIX}. "
            f"{len(with_eot)} answer(s) in this file do, at lines: {listed}{more}",
        )
    if not examples:
        raise InputFileError(path, f"no examples (the file is empty); expected lines like {EXPECTED[fmt]}")
    return examples


def load_job_data(spec, fmt: DataFormat) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
    """Train and eval examples of a job (``spec.train_file``, optional ``spec.eval_file``) in ``fmt``, answers
    checked against the end-of-turn token of ``spec.base_model_dir``; read before any model is loaded.

    Returns:
        ``(train examples, eval examples or None)``.
    Raises:
        InputFileError: see :func:`load_dataset_file`.
    """
    eot = end_of_turn_text(spec.base_model_dir)
    train = load_dataset_file(spec.train_file, fmt, "train_file", eot)
    ev = load_dataset_file(spec.eval_file, fmt, "eval_file", eot) if spec.eval_file else None
    return train, ev


def file_sha256(path: str | None) -> str | None:
    """sha256 of a file's bytes (``None`` for ``None``): the identity of a dataset for resume."""
    import hashlib

    if path is None:
        return None
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
