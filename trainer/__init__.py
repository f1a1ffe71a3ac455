"""Wayfarer trainer: the only Python in the product.

Run as ``.venv/bin/python -m trainer <command> ...`` from the project root. Commands:
``prepare-base``, ``sft``, ``export-gguf``, ``logprobs``, ``random-adapter`` (test fixture). Stdout
carries JSON lines only (see :mod:`trainer.progress`); human text goes to stderr.
"""

__version__ = "0.1.0"
