"""A Hugging Face tokenizer that splits text exactly like llama.cpp, for SentencePiece-BPE GGUF vocabularies.

Why: transformers 5.17 rebuilds a gemma2/gemma3 GGUF vocabulary (``tokenizer.ggml.model = "llama"``,
scores, no merges) as a *Unigram* model. Gemma's vocabulary is SentencePiece-BPE: the scores are
negative merge ranks, and Unigram's Viterbi over them segments differently from llama.cpp —
``"Hello world"`` became ``Hello | ▁w | or | ld`` (4 ids) in PyTorch but ``Hello | ▁world`` (2 ids) in
node-llama-cpp. A model trained on the first would be served the second.

llama.cpp's SPM tokenizer (``llm_tokenizer_spm``) starts from single characters and repeatedly merges
the adjacent pair whose merged text is the vocabulary entry with the highest score (leftmost on ties),
falling back to ``<0xXX>`` byte tokens for characters not in the vocabulary. A BPE model whose merge
list holds, for every normal token, each split into two normal tokens, ranked by the merged token's
score, applies the same merges in the same order. Control tokens (type 3) are special added tokens;
user-defined tokens (type 4: ``"\\n"``, ``"\\n\\n"``, ``"<b>"``...) are added tokens that llama.cpp also
matches before segmenting. Checked against node-llama-cpp 3.21.1 on mixed text (accents, CJK, emoji,
digits, runs of spaces, tabs, HTML, blank lines) in ``trainer/tests/test_gguf_tokenizer.py`` and the
TypeScript parity tests.
"""

from __future__ import annotations

import os

import numpy as np

from .errors import InputFileError

# llama.cpp token types (gguf.TokenType): 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte
_NORMAL, _UNKNOWN, _CONTROL, _USER_DEFINED = 1, 2, 3, 4


def _array_field(reader, key: str) -> np.ndarray | None:
    f = reader.fields.get(key)
    if f is None:
        return None
    return np.concatenate([f.parts[i] for i in f.data]) if f.data else np.array([])


def is_spm_without_merges(gguf_path: str) -> bool:
    """True when the GGUF vocabulary is SentencePiece (``tokenizer.ggml.model == "llama"``) with scores and
    no ``tokenizer.ggml.merges`` — the case transformers' GGUF loader gets wrong for Gemma (see module doc)."""
    import gguf

    reader = gguf.GGUFReader(gguf_path)
    model = reader.fields.get("tokenizer.ggml.model")
    return (
        model is not None
        and model.contents() == "llama"
        and "tokenizer.ggml.scores" in reader.fields
        and "tokenizer.ggml.merges" not in reader.fields
    )


def spm_bpe_tokenizer(gguf_path: str):
    """Build a ``tokenizers.Tokenizer`` (BPE, byte fallback) that reproduces llama.cpp's SPM segmentation.

    Reads ``tokenizer.ggml.tokens`` / ``scores`` / ``token_type`` / ``add_space_prefix`` from the GGUF.
    Spaces become ``"▁"`` (a leading ``"▁"`` is added only when ``add_space_prefix`` is true, as in
    llama.cpp). No BOS/EOS post-processing is set here; the caller's tokenizer class adds it.

    Takes ~10-20 s for Gemma's 262,144-entry vocabulary (513,511 merges).

    Raises:
        InputFileError: the file is missing, or its vocabulary is not SentencePiece with scores.
    """
    import gguf
    from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers

    if not os.path.isfile(gguf_path):
        raise InputFileError(gguf_path, "GGUF file does not exist")
    reader = gguf.GGUFReader(gguf_path)
    if not is_spm_without_merges(gguf_path):
        raise InputFileError(gguf_path, "vocabulary is not SentencePiece (tokenizer.ggml.model 'llama') with scores")
    tokens: list[str] = reader.fields["tokenizer.ggml.tokens"].contents()
    scores = _array_field(reader, "tokenizer.ggml.scores")
    types = _array_field(reader, "tokenizer.ggml.token_type")
    if types is None:
        types = np.full(len(tokens), _NORMAL)
    prefix_field = reader.fields.get("tokenizer.ggml.add_space_prefix")
    add_space_prefix = bool(prefix_field.contents()) if prefix_field is not None else True
    unk_field = reader.fields.get("tokenizer.ggml.unknown_token_id")
    unk = tokens[int(unk_field.contents())] if unk_field is not None else None

    vocab = {t: i for i, t in enumerate(tokens)}
    normal = {t: float(scores[i]) for i, t in enumerate(tokens) if types[i] == _NORMAL}
    ranked = []
    for token, score in normal.items():
        for k in range(1, len(token)):
            left, right = token[:k], token[k:]
            if left in normal and right in normal:
                ranked.append((-score, -normal[left], -normal[right], left, right))
    ranked.sort()
    merges = [(left, right) for _, _, _, left, right in ranked]

    tk = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token=unk, byte_fallback=True, fuse_unk=True))
    steps = [normalizers.Prepend("▁")] if add_space_prefix else []
    tk.normalizer = normalizers.Sequence([*steps, normalizers.Replace(" ", "▁")])
    dec = [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()]
    if add_space_prefix:
        dec.append(decoders.Strip(content=" ", left=1))
    tk.decoder = decoders.Sequence(dec)
    tk.add_special_tokens(
        [AddedToken(t, special=True, normalized=False) for i, t in enumerate(tokens) if types[i] in (_CONTROL, _UNKNOWN)]
    )
    tk.add_tokens([AddedToken(t, special=False, normalized=False) for i, t in enumerate(tokens) if types[i] == _USER_DEFINED])
    return tk
