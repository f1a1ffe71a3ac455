"""Train/serve parity on the Python side, for both bases: Gemma's tokenizer matches llama.cpp, the end-of-turn
token keeps its label in TRL's SFT data, preference answers carry exactly one end-of-turn.

Values marked "llama.cpp" were measured with node-llama-cpp 3.21.1 on the same GGUF (the TypeScript parity
tests compare against it live). The Gemma base is prepared once into the shared test cache.
"""

from __future__ import annotations

import os
import re

import pytest

from trainer.chat_format import (
    end_of_turn,
    end_of_turn_label,
    end_of_turn_text,
    examples_without_end_of_turn_label,
    preference_example,
    preference_token_ids,
    strip_answer,
)

PROMPT = [
    {"role": "system", "content": "You are a concise travel guide."},
    {"role": "user", "content": "What is the best time to visit Lisbon?"},
]


@pytest.fixture(scope="module")
def gemma_tok(gemma_dir):
    from trainer.base_model import load_tokenizer

    return load_tokenizer(gemma_dir)


@pytest.fixture(scope="module")
def smol_tok(base_dir):
    from trainer.base_model import load_tokenizer

    return load_tokenizer(base_dir)


def test_gemma_prepared_for_chat_training(gemma_dir, gemma_tok):
    import json

    from transformers import AutoConfig

    marker = json.load(open(os.path.join(gemma_dir, "wayfarer-base.json")))["result"]
    assert marker["architecture"] == "gemma3"
    assert marker["chat_template_source"] == "trainer/chat_templates/gemma3.jinja"  # the base GGUF has none
    assert (gemma_tok.eos_token, gemma_tok.pad_token, gemma_tok.bos_token) == ("<end_of_turn>", "<pad>", "<bos>")
    assert end_of_turn(gemma_tok) == ("<end_of_turn>", 106)
    cfg = AutoConfig.from_pretrained(gemma_dir)
    assert cfg.eos_token_id == 106 and cfg.pad_token_id == 0
    assert getattr(cfg, "quantization_config", None) is None


def test_gemma_tokenizer_splits_like_llama_cpp(gemma_tok):
    # llama.cpp: "Hello world" -> [9259 Hello, 1902 ▁world]; transformers' own GGUF tokenizer gave 4 ids
    assert gemma_tok("Hello world", add_special_tokens=False)["input_ids"] == [9259, 1902]
    assert gemma_tok("<start_of_turn>user\nHi<end_of_turn>\n", add_special_tokens=False)["input_ids"] == [
        105, 2364, 107, 10979, 106, 107]
    assert gemma_tok("Hello world")["input_ids"] == [2, 9259, 1902]  # add_bos_token from the GGUF
    assert gemma_tok.decode([9259, 1902]) == "Hello world"


def test_gemma_prompt_format(gemma_tok):
    text = gemma_tok.apply_chat_template(PROMPT, tokenize=False, add_generation_prompt=True)
    assert text == ("<bos><start_of_turn>user\nYou are a concise travel guide.\n\n"
                    "What is the best time to visit Lisbon?<end_of_turn>\n<start_of_turn>model\n")
    ids = gemma_tok.apply_chat_template(PROMPT, tokenize=True, add_generation_prompt=True)["input_ids"]
    assert ids.count(2) == 1 and ids[0] == 2  # exactly one <bos>


@pytest.mark.parametrize("which", ["smol", "gemma"])
def test_end_of_turn_is_labelled_once_and_last(which, request):
    tok = request.getfixturevalue(f"{which}_tok")
    info = end_of_turn_label(tok, PROMPT, "Spring: mild weather and fewer crowds.")
    assert info["prompt_is_prefix"] and info["eot_labelled"] and not info["truncated"]
    assert len(info["after_eot"]) == 1 and tok.convert_tokens_to_string(info["after_eot"]) == "\n"
    cut = end_of_turn_label(tok, PROMPT, "Spring: mild weather and fewer crowds.", max_length=len(
        tok.apply_chat_template(PROMPT, add_generation_prompt=True)["input_ids"]) + 3)
    assert cut["truncated"] and not cut["eot_labelled"]  # a truncated example teaches the model not to stop


def _tiny_model(base_dir: str):
    """A 1-layer random model with the base's vocabulary: enough for TRL's data pipeline, built in a second."""
    from transformers import AutoConfig, AutoModelForCausalLM

    cfg = AutoConfig.from_pretrained(base_dir)
    text_cfg = getattr(cfg, "text_config", cfg)
    for key, value in {"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 1,
                       "num_key_value_heads": 1, "head_dim": 16}.items():
        setattr(text_cfg, key, value)
    if hasattr(text_cfg, "layer_types") and text_cfg.layer_types:
        text_cfg.layer_types = text_cfg.layer_types[:1]
    return AutoModelForCausalLM.from_config(cfg)


@pytest.mark.parametrize("which", ["smol", "gemma"])
def test_trl_sft_labels_the_end_of_turn(which, request, tmp_path):
    """TRL's own SFT preparation (conversational prompt/completion, completion_only_loss as the sft method
    uses): the end-of-turn token's label is itself, not -100, and the prompt is masked."""
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    tok = request.getfixturevalue(f"{which}_tok")
    base = request.getfixturevalue("base_dir" if which == "smol" else "gemma_dir")
    eot, eot_id = end_of_turn(tok)
    data = Dataset.from_list([{"prompt": PROMPT, "completion": [{"role": "assistant", "content": "Spring."}]}])
    args = SFTConfig(output_dir=str(tmp_path), completion_only_loss=True, max_length=128, report_to="none",
                     use_cpu=True, bf16=False, packing=False, dataset_num_proc=None)
    trainer = SFTTrainer(model=_tiny_model(base), args=args, train_dataset=data, processing_class=tok)
    batch = trainer.data_collator([trainer.train_dataset[0]])
    ids, labels = batch["input_ids"][0].tolist(), batch["labels"][0].tolist()
    eots = [i for i, t in enumerate(ids) if t == eot_id]
    assert labels[eots[-1]] == eot_id  # trained to emit the end-of-turn
    assert all(labels[i] == -100 for i in eots[:-1])  # the prompt's own turn ends are not trained
    n_prompt = len(tok.apply_chat_template(PROMPT, add_generation_prompt=True)["input_ids"])
    assert all(v == -100 for v in labels[:n_prompt]) and all(v != -100 for v in labels[n_prompt:])


@pytest.mark.parametrize("which", ["smol", "gemma"])
def test_truncated_end_of_turn_is_counted_on_trl_prepared_data(which, request, tmp_path):
    """What the sft/raft runs report (``examples_without_end_of_turn_label`` on TRL's prepared dataset) agrees
    with ``end_of_turn_label`` per example: a short answer keeps its end-of-turn within max_length, a long one
    loses it; a prompt alone filling max_length is dropped by TRL (not counted: it trains nothing)."""
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    tok = request.getfixturevalue(f"{which}_tok")
    base = request.getfixturevalue("base_dir" if which == "smol" else "gemma_dir")
    _, eot_id = end_of_turn(tok)
    n_prompt = len(tok.apply_chat_template(PROMPT, add_generation_prompt=True)["input_ids"])
    answers = ["Spring.", "Spring, from March to May: mild weather, fewer crowds and lower hotel prices.", "May."]
    max_length = n_prompt + 6
    expected = [end_of_turn_label(tok, PROMPT, a, max_length)["eot_labelled"] for a in answers]
    assert expected == [True, False, True]
    data = Dataset.from_list([{"prompt": PROMPT, "completion": [{"role": "assistant", "content": a}]} for a in answers])
    args = SFTConfig(output_dir=str(tmp_path), completion_only_loss=True, max_length=max_length, report_to="none",
                     use_cpu=True, bf16=False, packing=False, dataset_num_proc=None)
    trainer = SFTTrainer(model=_tiny_model(base), args=args, train_dataset=data, processing_class=tok)
    assert examples_without_end_of_turn_label(trainer.train_dataset, eot_id) == [1]
    assert end_of_turn_text(base) == end_of_turn(tok)[0]


@pytest.mark.parametrize("which", ["smol", "gemma"])
def test_preference_answers_end_with_exactly_one_end_of_turn(which, request, tmp_path):
    from datasets import Dataset
    from trl import DPOConfig, DPOTrainer

    tok = request.getfixturevalue(f"{which}_tok")
    base = request.getfixturevalue("base_dir" if which == "smol" else "gemma_dir")
    eot, eot_id = end_of_turn(tok)
    example = preference_example(tok, PROMPT, "Spring: mild and quiet.", "Go in August.")
    ours = preference_token_ids(tok, example)
    assert ours["chosen_eot_count"] == 1 and ours["rejected_eot_count"] == 1

    args = DPOConfig(output_dir=str(tmp_path), report_to="none", use_cpu=True, bf16=False, max_length=128)
    trainer = DPOTrainer(model=_tiny_model(base), args=args, train_dataset=Dataset.from_list([example]),
                         processing_class=tok)
    row = trainer.train_dataset[0]
    for key in ("chosen_ids", "rejected_ids"):
        assert row[key].count(eot_id) == 1, key  # TRL's own tokenization: one end-of-turn each
        assert row[key] == ours[key]
    assert tok.convert_tokens_to_string(tok.convert_ids_to_tokens(row["chosen_ids"][-2:])) == f"{eot}\n"


def test_preference_example_refuses_answers_with_their_own_end_of_turn(smol_tok):
    with pytest.raises(ValueError, match=re.escape("end-of-turn token '<|im_end|>'")):
        preference_example(smol_tok, PROMPT, "Spring.<|im_end|>\n", "August.")
    with pytest.raises(ValueError, match="last message must have role 'user'"):
        preference_example(smol_tok, [*PROMPT, {"role": "assistant", "content": "x"}], "a", "b")
    with pytest.raises(ValueError, match="rejected must be a non-empty string"):
        preference_example(smol_tok, PROMPT, "Spring.", "  ")


def test_leading_whitespace_in_an_answer_breaks_the_prompt_prefix_unless_stripped(smol_tok, gemma_tok):
    raw = "  Pick the cafe near the cathedral. \n"
    # ChatML: "\n" of the generation prompt + "  " merge into one token: trained ids != served prompt + answer
    assert end_of_turn_label(smol_tok, PROMPT, raw)["prompt_is_prefix"] is False
    assert end_of_turn_label(smol_tok, PROMPT, strip_answer(raw))["prompt_is_prefix"] is True
    assert end_of_turn_label(gemma_tok, PROMPT, raw)["prompt_is_prefix"] is True  # Gemma's template trims turns
