"""CLI: ``python -m trainer <command> ...`` — argparse dispatch; stdout is JSON lines only.

Every command emits ``{"event":"start","command":...}`` first and ``{"event":"done",...}`` last, or
``{"event":"error","message":...}`` and exits 1. ``logprobs`` puts its result in the ``done`` event's
``tokens`` and ``logprobs`` fields. Exit codes: 0 success, 1 error (expected or not), 2 bad
command-line usage (argparse's own message on stderr).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback

from .errors import InputFileError, TrainerError


def _build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m trainer", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("prepare-base", help="GGUF base model -> trainable Hugging Face folder (idempotent)")
    s.add_argument("--gguf", required=True, help="base model GGUF file")
    s.add_argument("--out", required=True, help="destination folder (skipped when already prepared)")

    from .methods import METHODS

    for name, m in METHODS.items():
        s = sub.add_parser(name, help=f"{m.help} (job spec: trainer/schema/job.schema.json, trainer/{name}_config.py)")
        s.add_argument("--spec", required=True, help="job spec JSON file")
        s.add_argument("--check-only", action="store_true",
                       help="validate the spec, files and data format, print {'event':'done','valid':true}, load no model")

    s = sub.add_parser("export-gguf", help="PEFT LoRA adapter -> GGUF LoRA for llama.cpp/node-llama-cpp")
    s.add_argument("--adapter", required=True, help="PEFT adapter folder")
    s.add_argument("--base-gguf", required=True, help="the base GGUF the adapter will be applied to")
    s.add_argument("--out", required=True, help="output .gguf file")
    s.add_argument("--no-qk-permutation", action="store_true",
                   help="diagnostic only: skip llama.cpp's q/k row permutation (gives a WRONG adapter)")

    s = sub.add_parser("logprobs", help="per-token log-probs of a text under PyTorch (parity tests)")
    s.add_argument("--base-model-dir", required=True, help="HF folder from prepare-base")
    s.add_argument("--adapter", default=None, help="optional PEFT adapter folder")
    s.add_argument("--text-file", required=True, help="UTF-8 text file (special tokens allowed)")

    s = sub.add_parser("dequantize-gguf", help="all-F32 copy of a GGUF model (exact llama.cpp vs PyTorch comparisons)")
    s.add_argument("--gguf", required=True, help="quantized GGUF model")
    s.add_argument("--out", required=True, help="output .gguf file")

    s = sub.add_parser("random-adapter", help="test fixture: LoRA adapter with random non-zero A and B")
    s.add_argument("--base-model-dir", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--r", type=int, default=8)
    s.add_argument("--alpha", type=float, default=16.0)
    s.add_argument("--std", type=float, default=0.02)
    s.add_argument("--seed", type=int, default=0)
    return p


def _run(args: argparse.Namespace, reporter) -> None:
    t0 = time.time()
    from .methods import METHODS, check_data, load_job, runner

    if args.command in METHODS:
        spec = load_job(args.spec, args.command)  # validated before torch/TRL are imported
        n = check_data(spec)  # data format checked before any model loads
        if args.check_only:
            reporter.emit("done", command=args.command, valid=True, train_examples=n, spec=spec.to_dict())
            return
        runner(args.command)(spec, reporter)
        return

    reporter.emit("start", command=args.command)
    if args.command == "prepare-base":
        from .base_model import prepare_base

        result = prepare_base(args.gguf, args.out)
    elif args.command == "export-gguf":
        from .export_gguf import export_lora_gguf

        result = export_lora_gguf(args.adapter, args.base_gguf, args.out, permute_qk=not args.no_qk_permutation)
    elif args.command == "logprobs":
        from .logprobs import token_logprobs

        if not os.path.isfile(args.text_file):
            raise InputFileError(args.text_file, "text file does not exist")
        with open(args.text_file, encoding="utf-8") as f:
            text = f.read()
        result = token_logprobs(args.base_model_dir, text, adapter_dir=args.adapter)
    elif args.command == "dequantize-gguf":
        from .base_model import dequantize_gguf

        result = dequantize_gguf(args.gguf, args.out)
    elif args.command == "random-adapter":
        from .random_adapter import make_random_adapter

        result = make_random_adapter(args.base_model_dir, args.out, r=args.r, alpha=args.alpha,
                                     std=args.std, seed=args.seed)
    else:  # argparse restricts the choices
        raise TrainerError(f"unknown command {args.command}")
    reporter.emit("done", **result, seconds=round(time.time() - t0, 3))


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv``, run the command, return the exit code (0 ok, 1 error)."""
    from .progress import ProgressReporter, claim_stdout

    args = _build_parser().parse_args(argv)
    reporter = ProgressReporter(claim_stdout())
    try:
        _run(args, reporter)
        return 0
    except TrainerError as e:
        print(f"error: {e}", file=sys.stderr)
        reporter.emit("error", message=str(e), kind=type(e).__name__)
        return 1
    except KeyboardInterrupt:
        reporter.emit("error", message="interrupted", kind="KeyboardInterrupt")
        return 1
    except Exception as e:  # unexpected: full traceback to stderr, one line on stdout
        traceback.print_exc(file=sys.stderr)
        reporter.emit("error", message=f"{type(e).__name__}: {e}", kind="unexpected")
        return 1


if __name__ == "__main__":
    sys.exit(main())
