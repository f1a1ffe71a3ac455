"""Expected, user-facing errors. ``__main__`` turns them into one ``{"event":"error"}`` line and exit 1.

Anything else that escapes a command is unexpected: its traceback goes to stderr as well.
"""

from __future__ import annotations


class TrainerError(Exception):
    """Base class of expected errors; the message is shown to the user as is (one sentence + fix)."""


class SpecError(TrainerError):
    """A job-spec field is missing, has the wrong type or is out of range.

    Attributes:
        field: dotted path of the field in the job spec (e.g. ``"training.learning_rate"``).
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"spec field '{field}': {message}")
        self.field = field


class InputFileError(TrainerError):
    """An input file or folder is missing or malformed.

    Attributes:
        path: the offending path as given.
    """

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


class UnsupportedAdapterError(TrainerError):
    """A PEFT adapter uses a feature the GGUF LoRA format (llama.cpp) cannot express."""
