"""Resume is correct: a run killed with SIGKILL resumes from its last checkpoint and finishes; the
same spec over CHANGED data (same path, new content) trains from scratch instead of shipping the old
adapter (the bug: the spec hashed dataset paths, so the rerun resumed the final checkpoint, ran 0 steps)."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

from .conftest import ROOT, run_trainer

FIX = os.path.join(ROOT, "test", "fixtures", "training")


def test_kill_9_resumes_then_changed_data_starts_fresh(base_dir, tmp_path):
    data = tmp_path / "train.jsonl"
    shutil.copy(os.path.join(FIX, "sft.jsonl"), data)
    out = tmp_path / "out"
    spec = tmp_path / "job.json"
    spec.write_text(json.dumps({
        "method": "sft", "base_model_dir": base_dir, "train_file": str(data), "output_dir": str(out),
        "lora": {"r": 4, "alpha": 8, "dropout": 0.0},
        "training": {"max_steps": 6, "batch_size": 2, "learning_rate": 1e-3, "max_seq_length": 64,
                     "warmup_ratio": 0.0, "lr_scheduler": "constant", "save_steps": 1, "seed": 5},
        "threads": 2}))
    proc = subprocess.Popen([sys.executable, "-m", "trainer", "sft", "--spec", str(spec)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 900
    while not (out / "checkpoint-2" / "trainer_state.json").exists():
        assert proc.poll() is None, "the run ended before it could be killed"
        assert time.time() < deadline
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "adapter").exists()

    code, events, stderr = run_trainer("sft", "--spec", str(spec), timeout=3600)
    assert code == 0, stderr[-3000:]
    start, done = events[0], events[-1]
    resumed_at = int(start["resume_from"].rsplit("-", 1)[1])
    assert resumed_at >= 2 and "resuming from" in start["resume_note"]
    assert done["steps"] == 6 and done["steps_this_run"] == 6 - resumed_at
    assert [e["step"] for e in events if e["event"] == "progress"] == list(range(resumed_at + 1, 7))

    # same path, new content: a fresh run of all 6 steps, not a 0-step "resume" of the old adapter
    rows = data.read_text().splitlines()
    data.write_text("\n".join(rows[:4]) + "\n")
    code, events, stderr = run_trainer("sft", "--spec", str(spec), timeout=3600)
    assert code == 0, stderr[-3000:]
    start, done = events[0], events[-1]
    assert start["resume_from"] is None and "data or settings changed" in start["resume_note"]
    assert start["train_examples"] == 4 and done["steps_this_run"] == 6
