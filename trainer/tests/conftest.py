"""Shared fixtures. Tests that need the real base model skip (with the reason) when it is absent.

The prepared HF base folder is cached in ``$TMPDIR/wayfarer-trainer-test-cache`` (the same folder the
TypeScript parity test uses); ``prepare-base`` is idempotent, so reruns reuse it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BASE_GGUF = os.path.join(
    os.environ.get("WAYFARER_HOME", os.path.expanduser("~/.cache/wayfarer")),
    "models/smollm2-135m-instruct-q4_1/SmolLM2-135M-Instruct.Q4_1.gguf",
)
GEMMA_GGUF = os.path.join(
    os.environ.get("WAYFARER_HOME", os.path.expanduser("~/.cache/wayfarer")),
    "models/gemma-3-270m-q4_k_m/gemma-3-270m-q4_k_m.gguf",
)
CACHE = os.path.join(tempfile.gettempdir(), "wayfarer-trainer-test-cache")


def run_trainer(*args: str, timeout: float = 600) -> tuple[int, list[dict], str]:
    """Run ``python -m trainer`` as the TypeScript side does; returns (exit code, events, stderr)."""
    proc = subprocess.run(
        [sys.executable, "-m", "trainer", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]  # must all be JSON
    return proc.returncode, events, proc.stderr


def _gguf_or_skip(path: str, what: str) -> str:
    if not os.path.isfile(path):
        pytest.skip(f"{what} not found at {path} (run npm run setup)")
    return path


def _prepared(gguf_path: str, folder: str) -> str:
    """The HF folder of ``gguf_path`` in the shared test cache (``prepare-base`` skips when it is there)."""
    from trainer.base_model import prepare_base

    out = os.path.join(CACHE, folder)
    prepare_base(gguf_path, out, log=lambda s: None)
    return out


@pytest.fixture(scope="session")
def base_gguf() -> str:
    return _gguf_or_skip(BASE_GGUF, "base model")


@pytest.fixture(scope="session")
def base_dir(base_gguf: str) -> str:
    return _prepared(base_gguf, "smollm2-135m-base")


@pytest.fixture(scope="session")
def gemma_gguf() -> str:
    return _gguf_or_skip(GEMMA_GGUF, "Gemma base")


@pytest.fixture(scope="session")
def gemma_dir(gemma_gguf: str) -> str:
    return _prepared(gemma_gguf, "gemma-3-270m-base")
