"""Bare TRL SFT script: the reference side of bench/training.bench.ts.

The same model, data, LoRA and optimisation settings as a `python -m trainer sft` job spec (read from
the same JSON file), written the way a TRL user would: load, SFTConfig, SFTTrainer, train. No
validation, no progress protocol, no resume logic. Prints one JSON line: steady-state tokens/s and
s/step measured exactly as trainer/progress.py does (end of the first step to end of the last step,
non-padding tokens), plus the process wall time.

    .venv/bin/python bench/training_reference.py --spec job.json
"""

import argparse
import json
import time

T_START = time.time()

import torch  # noqa: E402
from datasets import Dataset  # noqa: E402
from peft import LoraConfig  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback  # noqa: E402
from trl import SFTConfig, SFTTrainer  # noqa: E402


class Marks(TrainerCallback):
    def __init__(self):
        self.marks = []

    def on_step_end(self, args, state, control, **kw):
        self.marks.append((time.time(), state.global_step, int(state.num_input_tokens_seen or 0)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--spec", required=True)
    s = json.load(open(p.parse_args().spec))
    t, lo = s["training"], s["lora"]
    if s.get("threads"):
        torch.set_num_threads(s["threads"])
    rows = []
    for line in open(s["train_file"]):
        m = json.loads(line)["messages"]
        rows.append({"prompt": m[:-1], "completion": m[-1:]})
    tok = AutoTokenizer.from_pretrained(s["base_model_dir"])
    model = AutoModelForCausalLM.from_pretrained(s["base_model_dir"], dtype=torch.float32)
    args = SFTConfig(
        output_dir=s["output_dir"], max_steps=t["max_steps"], learning_rate=t["learning_rate"],
        per_device_train_batch_size=t["batch_size"], gradient_accumulation_steps=t.get("gradient_accumulation_steps", 1),
        max_length=t["max_seq_length"], seed=t["seed"], data_seed=t["seed"], warmup_steps=t["warmup_ratio"],
        lr_scheduler_type=t["lr_scheduler"], logging_steps=1, max_grad_norm=t.get("max_grad_norm", 0.3),
        completion_only_loss=True, packing=False, bf16=False, use_cpu=True, gradient_checkpointing=False,
        save_strategy="no", report_to="none", disable_tqdm=True, include_num_input_tokens_seen="non_padding",
    )
    cfg = LoraConfig(r=lo["r"], lora_alpha=lo["alpha"], lora_dropout=lo["dropout"], task_type="CAUSAL_LM",
                     target_modules=lo.get("target_modules", ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]))
    trainer = SFTTrainer(model=model, args=args, train_dataset=Dataset.from_list(rows), processing_class=tok, peft_config=cfg)
    marks = Marks()
    trainer.add_callback(marks)
    trainer.train()
    (t0, s0, n0), (t1, s1, n1) = marks.marks[0], marks.marks[-1]
    print(json.dumps({"tokens_per_second": (n1 - n0) / (t1 - t0), "seconds_per_step": (t1 - t0) / (s1 - s0),
                      "steps": trainer.state.global_step, "tokens_seen": n1,
                      "loss_last": trainer.state.log_history[-2].get("loss"), "wall": time.time() - T_START}))


if __name__ == "__main__":
    main()
