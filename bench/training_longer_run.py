"""The documented longer run: every method for tens of steps on SmolLM2-135M (CPU), chained as an
experiment chains them, with the numbers the report needs (loss curves, reward-model held-out
accuracy and margin, DPO rewards/margins and accuracies, RL rewards and KL).

    .venv/bin/python bench/training_longer_run.py --base-dir DIR --work /tmp/wf-longer [--steps 30]

Data: test/fixtures/training (8 training examples per format, 2 held out), or with `--data
runs/<experiment>/datasets` the datasets an experiment's recipes wrote (sft, raft, preferences; the
RL prompts are the preference prompts). Writes
bench/results/training-longer-run.md and prints it. Each job is a `python -m trainer <method>` process,
exactly as the train stage runs it.
"""

import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "test", "fixtures", "training")


SELECTED = None


def run(method, spec, work):
    if SELECTED is not None and method not in SELECTED:
        return read_back(method, work)
    spec["output_dir"] = os.path.join(work, method)
    p = os.path.join(work, f"{method}.json")
    with open(p, "w") as f:
        json.dump(spec, f)
    t0 = time.time()
    proc = subprocess.run([sys.executable, "-m", "trainer", method, "--spec", p], cwd=ROOT, capture_output=True, text=True)
    events = [json.loads(x) for x in proc.stdout.splitlines() if x.strip()]
    if proc.returncode != 0:
        print(f"{method} failed: {events[-1] if events else ''}\n{proc.stderr[-3000:]}", file=sys.stderr)
        return events + [{"event": "failed", "message": events[-1].get("message") if events else proc.stderr[-500:]}]
    print(f"{method}: {time.time() - t0:.0f} s", file=sys.stderr)
    return events


def read_back(method, work):
    """The events of an earlier invocation's finished job (its training_log.jsonl), or a 'failed' event."""
    log = os.path.join(work, method, "training_log.jsonl")
    events = [json.loads(x) for x in open(log)] if os.path.exists(log) else []
    if not events or events[-1].get("event") != "done":
        return events + [{"event": "failed", "message": f"not selected and no finished run in {log}"}]
    return events


def curve(events, key="loss", every=5):
    pts = [(e["step"], e[key] if key in e else e["metrics"].get(key)) for e in events if e["event"] == "progress"]
    return ", ".join(f"{s}: {fmt(v)}" for s, v in pts if s == 1 or s % every == 0 or s == pts[-1][0])


def fmt(v):
    """Three decimals, or three significant digits for values below 0.01 (a GRPO KL of 2e-4 is not 0.000)."""
    return f"{v:.3f}" if v == 0 or abs(v) >= 0.01 else f"{v:.3g}"


def spec_of(method, work):
    """The job spec this method ran with (<work>/<method>.json), or {}."""
    p = os.path.join(work, f"{method}.json")
    return json.load(open(p)) if os.path.exists(p) else {}


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--base-dir", required=True)
    a.add_argument("--work", required=True)
    a.add_argument("--steps", type=int, default=30)
    a.add_argument("--threads", type=int, default=2)
    a.add_argument("--data", help="a run's datasets folder (runs/<experiment>/datasets: sft/, raft/, preferences/) "
                                  "instead of the test fixtures")
    a.add_argument("--max-seq-length", type=int, default=96)
    a.add_argument("--methods", default="sft,raft,reward,dpo,rlhf",
                   help="methods to train; the others are read back from <work>/<method>/training_log.jsonl "
                        "of an earlier invocation (dpo and rlhf need sft, rlhf needs reward)")
    args = a.parse_args()
    global SELECTED
    SELECTED = set(args.methods.split(","))
    os.makedirs(args.work, exist_ok=True)
    n = args.steps
    global DATA_NOTE
    tr = {"max_steps": n, "batch_size": 2, "learning_rate": 5e-4, "max_seq_length": args.max_seq_length, "warmup_ratio": 0.03,
          "lr_scheduler": "cosine", "eval_steps": 5, "save_steps": 5, "early_stopping_patience": 3, "seed": 42}
    lora = {"r": 8, "alpha": 16, "dropout": 0.05}
    common = {"base_model_dir": args.base_dir, "lora": lora, "threads": args.threads}
    f = lambda name: os.path.join(FIX, name)  # noqa: E731
    if args.data:
        f = lambda name: study_file(args.data, name, args.work)  # noqa: E731
        DATA_NOTE = f"Data: {args.data} (" + ", ".join(
            f"{k} {count_lines(study_file(args.data, k + '.jsonl', args.work))} train / "
            f"{count_lines(study_file(args.data, k + '.validation.jsonl', args.work)) if study_file(args.data, k + '.validation.jsonl', args.work) else 0} held-out"
            for k in ("sft", "raft", "preferences")) + "; RL prompts: the preference prompts)."
    out = {}
    report = lambda: write_report(out, n, args.work)  # noqa: E731
    out["sft"] = run("sft", {**common, "train_file": f("sft.jsonl"), "eval_file": f("sft.validation.jsonl"), "training": tr}, args.work)
    report()
    raft_eval = {"eval_file": f("raft.validation.jsonl")} if f("raft.validation.jsonl") else {}
    out["raft"] = run("raft", {**common, "train_file": f("raft.jsonl"), **raft_eval,
                               "training": {**tr, "max_seq_length": max(192, args.max_seq_length)}}, args.work)
    report()
    out["reward"] = run("reward", {**common, "train_file": f("preferences.jsonl"), "eval_file": f("preferences.validation.jsonl"),
                                   "training": {**tr, "learning_rate": 2e-4}}, args.work)
    sft_adapter = out["sft"][-1]["adapter_dir"]
    report()
    out["dpo"] = run("dpo", {**common, "train_file": f("preferences.jsonl"), "eval_file": f("preferences.validation.jsonl"),
                             "start_adapter_dir": sft_adapter, "lora": {"r": 16, "alpha": 16, "dropout": 0.05},
                             "dpo": {"beta": 0.1}, "training": {**tr, "learning_rate": 2e-4}}, args.work)
    report()
    out["rlhf"] = run("rlhf", {**common, "train_file": f("prompts.jsonl"), "start_adapter_dir": sft_adapter,
                               "reward_model_dir": out["reward"][-1]["adapter_dir"],
                               "rlhf": {"num_generations": 2, "max_completion_length": 32, "beta": 0.05, "log_completions": 1},
                               "training": {**tr, "max_steps": max(10, n // 2), "learning_rate": 1e-4}}, args.work)
    report()


DATA_NOTE = "Data: test/fixtures/training (8 train / 2 held-out examples per format)."


def count_lines(path):
    with open(path) as fh:
        return sum(1 for line in fh if line.strip())


def study_file(data, name, work):
    """Maps a fixture name (sft.jsonl, raft.validation.jsonl, prompts.jsonl) onto a run's datasets folder;
    None for a held-out file the recipe did not write. prompts.jsonl is made from the preference prompts."""
    if name == "prompts.jsonl":
        out = os.path.join(work, "prompts.jsonl")
        with open(os.path.join(data, "preferences", "train.jsonl")) as src, open(out, "w") as dst:
            for line in src:
                if line.strip():
                    dst.write(json.dumps({"prompt": json.loads(line)["prompt"]}) + "\n")
        return out
    recipe, _, rest = name.partition(".")
    path = os.path.join(data, recipe, "validation.jsonl" if rest.startswith("validation") else "train.jsonl")
    return path if os.path.exists(path) else None


def write_report(out, n, work):
    lines = [f"# Longer training run: every method on SmolLM2-135M (CPU)\n",
             "`.venv/bin/python bench/training_longer_run.py " + " ".join(sys.argv[1:]).replace(os.path.expanduser("~"), "~") + "`"
             + f", {time.strftime('%Y-%m-%d %H:%M')} UTC, "
             f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores. {DATA_NOTE} LoRA r 8 (DPO r 16), batch 2, cosine, warm-up 3%, "
             "eval every 5 steps, early stopping patience 3."
             + (f" Methods not in --methods ({', '.join(m for m in out if m not in SELECTED)}) are read back from the "
                "training_log.jsonl of an earlier invocation on the same --work folder." if SELECTED and set(out) - SELECTED else "")
             + "\n"]
    for m, ev in out.items():
        d = ev[-1]
        if d["event"] == "failed":
            lines.append(f"## {m}\n\n- FAILED: {d['message']}\n")
            continue
        lines.append(f"## {m}\n")
        tr = spec_of(m, work).get("training", {})
        lines.append(f"- {d['steps']} steps in {d['seconds']:.0f} s ({d.get('method')}); stopped early: {d.get('stopped_early')}; "
                     f"max_seq_length {tr.get('max_seq_length')}, learning rate {tr.get('learning_rate')}")
        lines.append(f"- train loss by step: {curve(ev)}")
        evals = [(e["step"], e["eval_loss"]) for e in ev if e["event"] == "eval"]
        if evals:
            lines.append("- eval loss: " + ", ".join(f"{s}: {v:.3f}" for s, v in evals))
        if m == "reward":
            accs = [(e["step"], e["metrics"].get("accuracy"), e["metrics"].get("margin")) for e in ev if e["event"] == "eval"]
            lines.append("- held-out accuracy / margin: " + ", ".join(f"{s}: {a:.2f} / {g:.3f}" for s, a, g in accs))
            lines.append(f"- final held-out accuracy {d['eval_accuracy']:.3f}, margin {d['eval_margin']:.3f} "
                         "(TRL's eval accuracy: the mean over eval batches of each batch's accuracy)")
        if m == "dpo":
            lines.append(f"- rewards/margins by step: {curve(ev, 'rewards/margins')}")
            lines.append(f"- rewards/accuracies by step: {curve(ev, 'rewards/accuracies')}")
            lines.append(f"- rewards/chosen by step: {curve(ev, 'rewards/chosen')}")
            lines.append(f"- rewards/rejected by step: {curve(ev, 'rewards/rejected')}")
            if d.get("eval_metrics_last"):
                lines.append(f"- held-out at the end: {json.dumps({k: round(v, 4) for k, v in d['eval_metrics_last'].items()})}")
        if m == "rlhf":
            lines.append(f"- mean reward-model score by step: {curve(ev, 'reward')}")
            lines.append(f"- KL to the start policy by step: {curve(ev, 'kl')}")
            samples = [s for e in ev if e["event"] == "samples" for s in e["samples"]]
            if samples:
                s = samples[-1]
                lines.append(f"- last sample: {s['prompt']!r} -> {s['completion'][:120]!r} (reward {s['reward']})")
        lines.append("")
    md = "\n".join(lines)
    with open(os.path.join(ROOT, "bench", "results", "training-longer-run.md"), "w") as fh:
        fh.write(md)
    print(md)



if __name__ == "__main__":
    main()
