"""The job spec shared by every method: validation against ``trainer/schema/job.schema.json``.

The schema file is generated from ``src/config/training.ts`` (``npm run gen:training-schema``): it is
the one place that says which fields exist, their ranges, allowed values and defaults, for the
TypeScript experiment file and for this package alike. Here it is enforced with ``jsonschema``
(Draft 2020-12), defaults are filled in from it, and each error becomes one sentence naming the
dotted field, what is wrong and what the field accepts (the schema's own description = the fix).

Per-method dataclasses (``<method>_config.py``) extend :class:`JobSpec`; the method table is
``trainer/methods.py``. Everything here is cheap: no torch, no model, no dataset is touched.
"""

from __future__ import annotations

import copy
import functools
import json
import os
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import InputFileError, SpecError

SCHEMA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schema", "job.schema.json")

#: Methods and their schema definitions, in the order of the method table.
SCHEMA_DEFS: dict[str, str] = {
    "sft": "SftJob",
    "raft": "RaftJob",
    "reward": "RewardJob",
    "dpo": "DpoJob",
    "rlhf": "RlhfJob",
}
DEFAULT_SEED = 42


@functools.lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    """The job JSON Schema (parsed once)."""
    with open(SCHEMA_PATH, encoding="utf-8") as f:
        return json.load(f)


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """Follow local ``$ref``s (``#/$defs/X``) until a schema without one; keeps sibling keys."""
    while "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/$defs/"):
            raise ValueError(f"unsupported $ref {ref}")
        target = root["$defs"][ref[len("#/$defs/"):]]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def fill_defaults(node: dict[str, Any], value: Any, root: dict[str, Any]) -> Any:
    """Return ``value`` with every absent or ``null``-less object property that has a schema
    ``default`` filled in, recursively (objects only; a validated instance is assumed)."""
    node = _resolve(node, root)
    if not isinstance(value, dict) or "properties" not in node:
        return value
    out = dict(value)
    for key, prop in node["properties"].items():
        if key not in out and "default" in prop:
            out[key] = copy.deepcopy(prop["default"])
        if key in out:
            out[key] = fill_defaults(prop, out[key], root)
    return out


def _property(root: dict[str, Any], branch: dict[str, Any], path: list[Any]) -> dict[str, Any] | None:
    """The (resolved) schema of the property at ``path`` inside ``branch``; array items included."""
    node = _resolve(branch, root)
    for part in path:
        if isinstance(part, int):
            items = node.get("items")
            if not isinstance(items, dict):
                return None
            node = _resolve(items, root)
            continue
        props = node.get("properties")
        if not props or part not in props:
            return None
        node = _resolve(props[part], root)
    return node


def _field_name(path: list[Any]) -> str:
    return ".".join(str(p) for p in path if not isinstance(p, int)) or "<root>"


def _describe(error, root: dict[str, Any], branch: dict[str, Any]) -> SpecError:
    """One fix-it message for a jsonschema ``ValidationError``."""
    path = list(error.absolute_path)
    v = error.instance
    got = json.dumps(v)
    kind = error.validator
    # the field's own documentation (the schema description) is the fix
    prop = _property(root, branch, [p for p in path if not isinstance(p, int)])
    hint = f" ({prop['description']})" if prop and prop.get("description") else ""
    if kind == "additionalProperties":
        known = list(_resolve(error.schema, root).get("properties", {}))
        extra = sorted(k for k in v if k not in known)
        return SpecError(_field_name([*path, extra[0]]), f"unknown field (known: {', '.join(known)})")
    if kind == "required":
        missing = next(k for k in error.validator_value if k not in v)
        sub = _property(root, branch, [*[p for p in path if not isinstance(p, int)], missing])
        what = f" ({sub['description']})" if sub and sub.get("description") else ""
        return SpecError(_field_name([*path, missing]), f"is required{what}")
    if kind == "type":
        want = error.validator_value
        article = "an" if str(want)[0] in "aeiou" else "a"
        return SpecError(_field_name(path), f"must be {article} {want}, got {got}{hint}")
    if kind == "enum":
        return SpecError(
            _field_name(path), f"must be one of {', '.join(json.dumps(c) for c in error.validator_value)}, got {got}"
        )
    if kind == "const":
        return SpecError(_field_name(path), f"must be {json.dumps(error.validator_value)}, got {got}")
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        op = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}[kind]
        return SpecError(_field_name(path), f"must be {op} {error.validator_value}, got {got}{hint}")
    if kind == "minItems":
        return SpecError(_field_name(path), f"must list at least {error.validator_value} item(s), got {got}{hint}")
    if kind == "minLength":
        return SpecError(_field_name(path), f"must be a non-empty string, got {got}{hint}")
    if kind == "pattern" and path and isinstance(path[-1], int):
        return SpecError(_field_name(path), f"{got} is not allowed{hint}")
    return SpecError(_field_name(path), f"{got} is not valid{hint}")


def validate_job_dict(data: Any, method: str | None = None) -> dict[str, Any]:
    """Validate a decoded job spec against the method's schema branch and fill in the defaults.

    Args:
        data: the decoded JSON object.
        method: the method the command line asked for (``python -m trainer <method>``). When the
            spec has no ``method`` field it is taken from here; a different one is an error.

    Returns:
        A new dict with every default filled in (``training.seed`` defaults to 42).

    Raises:
        SpecError: the first invalid field, named by its dotted path, with what it accepts.
    """
    from jsonschema import Draft202012Validator

    if not isinstance(data, dict):
        raise SpecError("<root>", "the job spec must be a JSON object")
    data = dict(data)
    given = data.get("method")
    if given is None and method is not None:
        data["method"] = given = method
    if given not in SCHEMA_DEFS:
        raise SpecError("method", f"unknown method {json.dumps(given)} (known: {', '.join(SCHEMA_DEFS)})")
    if method is not None and given != method:
        raise SpecError("method", f"the spec is a {given!r} job but the command is {method!r}")
    # null means "use the default" for optional fields: drop them before validation
    data = _drop_nulls(data, load_schema(), {"$ref": f"#/$defs/{SCHEMA_DEFS[given]}"})
    root = load_schema()
    branch = {"$ref": f"#/$defs/{SCHEMA_DEFS[given]}", "$defs": root["$defs"]}
    validator = Draft202012Validator(branch)
    errors = sorted(validator.iter_errors(data), key=lambda e: (len(list(e.absolute_path)), str(list(e.absolute_path))))
    if errors:
        raise _describe(errors[0], root, branch)
    out = fill_defaults(branch, data, root)
    if out["training"].get("seed") is None:
        out["training"]["seed"] = DEFAULT_SEED
    return out


def _drop_nulls(value: Any, root: dict[str, Any], node: dict[str, Any]) -> Any:
    """Remove ``null`` members whose schema does not accept null (they mean "default")."""
    node = _resolve(node, root)
    if not isinstance(value, dict) or "properties" not in node:
        return value
    out = {}
    for k, v in value.items():
        prop = node["properties"].get(k)
        if v is None and prop is not None:
            p = _resolve(prop, root)
            if not any(a.get("type") == "null" for a in p.get("anyOf", [])):
                continue  # a required one is then reported as missing
        out[k] = _drop_nulls(v, root, prop) if prop is not None else v
    return out


# --- resolved spec ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoraSpec:
    """LoRA hyper-parameters (schema ``$defs/Lora`` / ``DpoLora``)."""

    r: int
    alpha: float
    dropout: float
    target_modules: tuple[str, ...]


@dataclass(frozen=True)
class TrainingSpec:
    """Optimisation settings (schema ``$defs/Training``); see the schema descriptions."""

    epochs: float
    max_steps: int
    learning_rate: float
    batch_size: int
    gradient_accumulation_steps: int
    max_seq_length: int
    seed: int
    warmup_ratio: float
    lr_scheduler: str
    logging_steps: int
    max_grad_norm: float
    save_steps: int
    eval_steps: int | None
    early_stopping_patience: int | None


@dataclass(frozen=True)
class JobSpec:
    """Fields every method has. Method classes add theirs (``dpo_config.DpoJobSpec`` ...)."""

    method: str
    base_model_dir: str
    train_file: str
    output_dir: str
    eval_file: str | None = None
    quantization: str = "none"
    threads: int | None = None
    lora: LoraSpec = field(default=None)  # type: ignore[assignment]
    training: TrainingSpec = field(default=None)  # type: ignore[assignment]

    @classmethod
    def from_validated(cls, d: dict[str, Any]) -> "JobSpec":
        """Build from :func:`validate_job_dict` output (sub-objects become dataclasses)."""
        kw = dict(d)
        lora = dict(kw.pop("lora"))
        lora["target_modules"] = tuple(lora["target_modules"])
        kw["lora"] = LoraSpec(**lora)
        kw["training"] = TrainingSpec(**kw.pop("training"))
        return cls(**cls._extra(kw))

    @classmethod
    def _extra(cls, kw: dict[str, Any]) -> dict[str, Any]:
        """Hook: convert method-specific sub-objects (``dpo``, ``rlhf``) into dataclasses."""
        return kw

    def to_dict(self) -> dict[str, Any]:
        """The resolved spec (defaults filled in) as plain JSON-able data."""
        d = asdict(self)
        d["lora"]["target_modules"] = list(self.lora.target_modules)
        return d

    def check_paths(self) -> None:
        """Cheap existence checks of the base folder and data files (no file is parsed).

        Raises:
            InputFileError: naming the path and the field, with the fix.
        """
        if not os.path.isfile(os.path.join(self.base_model_dir, "config.json")):
            raise InputFileError(
                self.base_model_dir,
                "base_model_dir has no config.json; create it with `python -m trainer prepare-base --gguf FILE --out DIR`",
            )
        for name, path in (("train_file", self.train_file), ("eval_file", self.eval_file)):
            if path is not None and not os.path.isfile(path):
                raise InputFileError(path, f"{name} does not exist (the datasets stage writes it, or give a .jsonl file)")


def check_adapter_for_base(adapter_dir: str, base_model_dir: str, field_name: str) -> dict[str, Any]:
    """Check that ``adapter_dir`` is a PEFT adapter trained on ``base_model_dir``; return its config.

    The adapter's ``base_model_name_or_path`` must be the same folder (real path), or a folder
    prepared from the same GGUF file (``wayfarer-base.json``: same name and size).

    Raises:
        InputFileError: not an adapter folder, or an adapter of another base (names both).
    """
    cfg_path = os.path.join(adapter_dir, "adapter_config.json")
    if not os.path.isfile(cfg_path):
        raise InputFileError(adapter_dir, f"{field_name} is not a PEFT adapter folder (no adapter_config.json); train that job first")
    with open(cfg_path, encoding="utf-8") as f:
        cfg = json.load(f)
    trained_on = cfg.get("base_model_name_or_path") or ""
    if os.path.realpath(trained_on) != os.path.realpath(base_model_dir):
        if _base_identity(trained_on) is None or _base_identity(trained_on) != _base_identity(base_model_dir):
            raise InputFileError(
                adapter_dir,
                f"{field_name} was trained on base {trained_on!r}, not on {base_model_dir!r}: an adapter only fits "
                "its own base model (pick an adapter trained on this base)",
            )
    return cfg


def _base_identity(base_dir: str) -> tuple[Any, Any] | None:
    try:
        with open(os.path.join(base_dir, "wayfarer-base.json"), encoding="utf-8") as f:
            src = json.load(f).get("source", {})
        return (src.get("gguf_name"), src.get("size"))
    except (OSError, ValueError):
        return None


def read_spec_file(path: str) -> Any:
    """Read a job-spec JSON file.

    Raises:
        InputFileError: missing file or invalid JSON (with line and column).
    """
    if not os.path.isfile(path):
        raise InputFileError(path, "job spec file does not exist")
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise InputFileError(path, f"job spec is not valid JSON ({e.msg} at line {e.lineno} column {e.colno})") from None
