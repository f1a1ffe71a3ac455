"""Train/serve parity of the chat format: prompts, end-of-turn labels, preference pairs.

What the trainer formats is ``tokenizer.apply_chat_template`` of the prepared base folder (TRL's SFT,
DPO and reward trainers call it for conversational data); what node-llama-cpp serves is
``src/models/chat-template.ts`` (the same Jinja template). Facts this module relies on (TRL 1.13):

- conversational prompt/completion SFT: TRL tokenizes ``prompt`` with ``add_generation_prompt=True``
  and ``prompt + completion`` without; loss covers the tokens after the prompt. The template closes
  the assistant turn with the end-of-turn token (``<|im_end|>\\n`` ChatML, ``<end_of_turn>\\n`` Gemma),
  so that token is *labelled* (not -100) — unless ``max_length`` truncation cuts it off, in which case
  the example teaches the model not to stop (:func:`end_of_turn_label` reports it).
- DPO / reward: conversational ``chosen`` / ``rejected`` get exactly one end-of-turn from the
  template. Plain-string data is different: TRL appends ``eos_token`` unless the text already *ends*
  with it, so a text ending in ``"<|im_end|>\\n"`` gets a second one. :func:`preference_example`
  builds the conversational form and refuses texts that carry their own end-of-turn.

CLI (used by the TypeScript parity test): ``python -m trainer.chat_format --base-model-dir DIR
--conversations-file FILE [--texts-file FILE]`` prints one JSON line (see :func:`main`).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .errors import TrainerError

_ROLES = ("system", "user", "assistant")


def end_of_turn(tokenizer) -> tuple[str, int]:
    """The end-of-turn token the model is trained to emit: ``(text, id)``.

    ``prepare-base`` sets ``eos_token`` to the chat template's end-of-turn (``<|im_end|>``,
    ``<end_of_turn>``); a tokenizer whose eos does not appear in its chat template is refused.

    Raises:
        TrainerError: no chat template, or eos is not the template's turn end (rerun prepare-base).
    """
    eos = tokenizer.eos_token
    template = tokenizer.chat_template or ""
    if not template:
        raise TrainerError("the tokenizer has no chat template; rerun `python -m trainer prepare-base`")
    if eos is None or eos not in template:
        raise TrainerError(
            f"eos_token {eos!r} does not end turns in the chat template; rerun `python -m trainer prepare-base` "
            "(it sets eos to the template's end-of-turn token)"
        )
    return eos, tokenizer.convert_tokens_to_ids(eos)


def _tokenize_chat(tokenizer, messages: list[dict[str, str]], add_generation_prompt: bool) -> list[int]:
    out = tokenizer.apply_chat_template(messages, tokenize=True, add_generation_prompt=add_generation_prompt)
    return list(out["input_ids"] if isinstance(out, dict) or hasattr(out, "keys") else out)


def render_prompt(tokenizer, messages: list[dict[str, str]]) -> str:
    """The prompt text for ``messages`` (ending with a user turn) plus the assistant generation prompt,
    exactly as TRL formats a conversational prompt."""
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def end_of_turn_label(tokenizer, prompt: list[dict[str, str]], completion: str, max_length: int | None = None) -> dict:
    """How TRL's conversational prompt/completion SFT labels the end of ``completion``.

    Mirrors TRL 1.13 ``SFTTrainer`` tokenization (prompt with generation prompt, prompt + completion
    without; loss mask = tokens after the prompt; truncation keeps the first ``max_length`` tokens).

    Returns:
        ``{"eot_token", "eot_id", "eot_positions" (indices in the full ids), "eot_labelled" (the last
        end-of-turn is inside the loss mask and not truncated), "after_eot" (token texts after it,
        e.g. ["\\n"]), "prompt_is_prefix", "truncated"}``.
    """
    eot, eot_id = end_of_turn(tokenizer)
    prompt_ids = _tokenize_chat(tokenizer, prompt, True)
    full_ids = _tokenize_chat(tokenizer, [*prompt, {"role": "assistant", "content": completion}], False)
    truncated = max_length is not None and len(full_ids) > max_length
    kept = full_ids[:max_length] if max_length is not None else full_ids
    positions = [i for i, t in enumerate(kept) if t == eot_id]
    last = positions[-1] if positions else None
    return {
        "eot_token": eot,
        "eot_id": eot_id,
        "eot_positions": positions,
        "eot_labelled": last is not None and last >= len(prompt_ids),
        "after_eot": tokenizer.convert_ids_to_tokens(kept[last + 1:]) if last is not None else [],
        "prompt_is_prefix": full_ids[: len(prompt_ids)] == prompt_ids,
        "truncated": truncated,
    }


def strip_answer(text: str) -> str:
    """A message text as it should be trained and served: surrounding whitespace removed.

    Why: with ChatML (SmolLM2) every turn header ends in ``"\n"``, and a text starting with whitespace
    merges with it into another token (``"\n  "``). For a completion, the trained ids then no longer start
    with the prompt the server sends (TRL only warns "Mismatch between tokenized prompt and the start of
    tokenized prompt+completion"); for any message, node-llama-cpp (which tokenizes each message apart from
    the template text) gets other ids than PyTorch for the same bytes. Gemma's template trims user and
    model turns itself; the server side strips too (``normalizeMessageText`` in src/models/chat-template.ts).
    """
    return text.strip()


def normalize_messages(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    """Every message's content through :func:`strip_answer` (new dicts; role kept). The data loaders of the
    chat methods should apply this to prompts and completions before TRL sees them."""
    return [{**m, "content": strip_answer(m["content"])} for m in messages]


def _check_messages(messages: Any, where: str) -> list[dict[str, str]]:
    if not isinstance(messages, list) or not messages:
        raise ValueError(f"{where} must be a non-empty list of messages")
    out = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in _ROLES or not isinstance(m.get("content"), str):
            raise ValueError(f"{where}[{i}] must be {{'role': one of {list(_ROLES)}, 'content': str}}")
        out.append({"role": m["role"], "content": m["content"]})
    return out


END_OF_TURN_FIX = ("give the answer text only: the chat template adds exactly one end-of-turn, and a second one "
                   "(or one mid-answer) teaches the model to stop early")


def refuse_end_of_turn(text: str, eot: str, field: str) -> None:
    """Refuse an answer text (completion, chosen, rejected) that contains the end-of-turn token text ``eot``.

    The tokenizer turns that text into the special token, so the trained answer would carry two end-of-turns
    (or stop mid-answer). Used by :func:`preference_example` and by ``data.load_dataset_file``.

    Raises:
        ValueError: ``"<field> contains the end-of-turn token '<eot>'; <fix>"``.
    """
    if eot and eot in text:
        raise ValueError(f"{field} contains the end-of-turn token {eot!r}; {END_OF_TURN_FIX}")


def end_of_turn_text(base_model_dir: str) -> str | None:
    """The end-of-turn token text of a prepared base, read from its ``tokenizer_config.json`` (``eos_token``,
    which ``prepare-base`` sets to the chat template's turn end: ``<|im_end|>``, ``<end_of_turn>``), without
    importing transformers, so data files can be checked before anything heavy loads.

    Returns:
        The token text, or ``None`` when the folder has no readable ``tokenizer_config.json`` (training then
        fails clearly when it loads the tokenizer; :func:`end_of_turn` checks the token against the template).
    """
    import os

    try:
        with open(os.path.join(base_model_dir, "tokenizer_config.json"), encoding="utf-8") as f:
            eos = json.load(f).get("eos_token")
    except (OSError, ValueError, AttributeError):
        return None
    if isinstance(eos, dict):  # AddedToken serialized as {"content": ...}
        eos = eos.get("content")
    return eos if isinstance(eos, str) and eos else None


def examples_without_end_of_turn_label(dataset, eot_id: int) -> list[int]:
    """Rows of a TRL-prepared SFT dataset (``labels`` column, after TRL's ``max_length`` truncation) whose
    labels hold no ``eot_id``: their end-of-turn was truncated away, so they teach the model *not* to stop.

    Counted on what TRL will train (not re-derived); :func:`end_of_turn_label` explains one example and agrees
    with it (tests). Assumes answers hold no end-of-turn of their own (the data loader refuses those).

    Returns:
        The row indices (0-based, in the prepared dataset's order), empty when every end-of-turn keeps its label.
    """
    return [i for i, labels in enumerate(dataset["labels"]) if eot_id not in labels]


def preference_example(tokenizer, prompt: list[dict[str, str]], chosen: str, rejected: str) -> dict:
    """A conversational preference example whose chosen and rejected each end with exactly one end-of-turn.

    Returns ``{"prompt": [...], "chosen": [{"role": "assistant", ...}], "rejected": [...]}`` (texts through
    :func:`normalize_messages` / :func:`strip_answer`) — the format TRL's DPO and reward trainers pass
    through the chat template, which adds the single end-of-turn. Texts are checked, not repaired: a chosen/rejected text containing the end-of-turn
    token (or the template's other special markers) would end with two, or end early.

    Raises:
        ValueError: malformed prompt (last message must be from the user), or a text that contains the
            end-of-turn token or is empty.
    """
    prompt = _check_messages(prompt, "prompt")
    if prompt[-1]["role"] != "user":
        raise ValueError(f"the prompt's last message must have role 'user' (got {prompt[-1]['role']!r})")
    eot, _ = end_of_turn(tokenizer)
    for name, text in (("chosen", chosen), ("rejected", rejected)):
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{name} must be a non-empty string")
        refuse_end_of_turn(text, eot, name)
    return {
        "prompt": normalize_messages(prompt),
        "chosen": [{"role": "assistant", "content": strip_answer(chosen)}],
        "rejected": [{"role": "assistant", "content": strip_answer(rejected)}],
    }


def preference_token_ids(tokenizer, example: dict) -> dict:
    """Tokenize a conversational preference example as TRL 1.13's DPOTrainer does (``prompt_ids``;
    ``chosen_ids`` / ``rejected_ids`` = prompt + answer ids after the prompt), plus the end-of-turn count of each.

    Returns:
        ``{"prompt_ids", "chosen_ids", "rejected_ids", "chosen_eot_count", "rejected_eot_count"}``.
    """
    _, eot_id = end_of_turn(tokenizer)
    prompt_ids = _tokenize_chat(tokenizer, example["prompt"], True)
    out: dict[str, Any] = {"prompt_ids": prompt_ids}
    for key in ("chosen", "rejected"):
        ids = _tokenize_chat(tokenizer, example["prompt"] + example[key], False)
        if ids[: len(prompt_ids)] != prompt_ids:
            raise TrainerError(f"the tokenized prompt is not a prefix of prompt + {key}; the chat template is not stable")
        out[f"{key}_ids"] = ids[len(prompt_ids):]
        out[f"{key}_eot_count"] = out[f"{key}_ids"].count(eot_id)
    return out


def describe(tokenizer, messages: list[dict[str, str]], answer: str | None = None) -> dict:
    """Everything the TypeScript parity test compares, for one conversation (ending with a user turn), after
    :func:`normalize_messages` (what the data loaders should do, and what the server does).

    Returns:
        ``{"prompt_text", "prompt_ids", "eot_token", "eot_id", "bos_token", "eos_label": end_of_turn_label(...)
        or None when no ``answer``}``.
    """
    messages = normalize_messages(_check_messages(messages, "messages"))
    if answer is not None:
        answer = strip_answer(answer)
    eot, eot_id = end_of_turn(tokenizer)
    return {
        "prompt_text": render_prompt(tokenizer, messages),
        "prompt_ids": _tokenize_chat(tokenizer, messages, True),
        "eot_token": eot,
        "eot_id": eot_id,
        "bos_token": tokenizer.bos_token,
        "eos_label": end_of_turn_label(tokenizer, messages, answer) if answer is not None else None,
    }


def main(argv: list[str] | None = None) -> int:
    """CLI; one JSON line on stdout (``describe``), or one error line on stderr and exit 1."""
    p = argparse.ArgumentParser(prog="python -m trainer.chat_format", description=__doc__.splitlines()[0])
    p.add_argument("--base-model-dir", required=True)
    p.add_argument("--conversations-file", required=True,
                   help='JSON file: [{"messages": [...], "answer": optional assistant text}, ...]; '
                        'prints {"conversations": [describe(...) per item], "tokenized": {text: ids} for "texts"}')
    p.add_argument("--texts-file", default=None, help="optional JSON list of plain texts to tokenize (no specials added)")
    args = p.parse_args(argv)
    try:
        from .base_model import load_tokenizer

        tok = load_tokenizer(args.base_model_dir)
        with open(args.conversations_file, encoding="utf-8") as f:
            spec = json.load(f)
        if not isinstance(spec, list):
            raise ValueError(f"{args.conversations_file}: expected a JSON list of conversations")
        result = {"conversations": [describe(tok, c.get("messages"), c.get("answer")) for c in spec], "tokenized": {}}
        if args.texts_file:
            with open(args.texts_file, encoding="utf-8") as f:
                texts = json.load(f)
            result["tokenized"] = {t: tok(t, add_special_tokens=False)["input_ids"] for t in texts}
    except (TrainerError, OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
