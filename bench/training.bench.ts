/**
 * Benchmark: training tokens/s of our runner (`python -m trainer sft`, as the train stage spawns it:
 * spec validation, JSON progress events, checkpoints, resume logic) against a bare TRL script
 * (bench/training_reference.py) on the same model (SmolLM2-135M from the model cache), the same data
 * (test/fixtures/training/sft.jsonl) and the same settings, alternated in the same run
 * (ours, bare, ours, bare, ...). Target: overhead at most 5% (steady-state tokens/s).
 *
 *   npx tsx bench/training.bench.ts [--rounds 3] [--steps 12] [--threads 2]
 *
 * Steady state = end of the first optimizer step to end of the last, non-padding tokens, measured the
 * same way on both sides. Also reports whole-process wall time (imports and model load included).
 * Writes bench/results/training.md.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import os, { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { runTrainerCommand } from "../src/training/python.ts";

const ROOT = resolve(import.meta.dirname, "..");
const arg = (name: string, d: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : d;
};
const ROUNDS = Number(arg("--rounds", "3"));
const STEPS = Number(arg("--steps", "12"));
const THREADS = Number(arg("--threads", "2"));
const PY = join(ROOT, ".venv/bin/python");
const GGUF = join(os.homedir(), ".cache/wayfarer/models/smollm2-135m-instruct-q4_1/SmolLM2-135M-Instruct.Q4_1.gguf");
const work = mkdtempSync(join(tmpdir(), "wf-train-bench-"));
const base = join(tmpdir(), "wayfarer-trainer-test-cache", "smollm2-135m-base");

await runTrainerCommand({ args: ["prepare-base", "--gguf", GGUF, "--out", base] });

function spec(out: string) {
  return {
    method: "sft",
    base_model_dir: base,
    train_file: join(ROOT, "test/fixtures/training/sft.jsonl"),
    output_dir: out,
    lora: { r: 16, alpha: 32, dropout: 0.05 },
    training: {
      max_steps: STEPS,
      batch_size: 4,
      learning_rate: 2e-4,
      max_seq_length: 128,
      warmup_ratio: 0,
      lr_scheduler: "constant",
      seed: 1,
      save_steps: 1000,
    },
    threads: THREADS,
  };
}

interface Row {
  side: "ours" | "bare";
  tokS: number;
  sStep: number;
  wall: number;
  loss: number;
}
const rows: Row[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const oursFile = join(work, `ours-${r}.json`);
  writeFileSync(oursFile, JSON.stringify(spec(join(work, `ours-${r}`))));
  let t0 = performance.now();
  const done = await runTrainerCommand({ args: ["sft", "--spec", oursFile] });
  rows.push({
    side: "ours",
    tokS: Number(done.tokens_per_second),
    sStep: Number(done.seconds_per_step),
    wall: (performance.now() - t0) / 1000,
    loss: Number(done.train_loss_last),
  });
  const bareFile = join(work, `bare-${r}.json`);
  writeFileSync(bareFile, JSON.stringify(spec(join(work, `bare-${r}`))));
  t0 = performance.now();
  const out = execFileSync(PY, [join(ROOT, "bench/training_reference.py"), "--spec", bareFile], {
    cwd: ROOT,
    env: { ...process.env, HF_HUB_OFFLINE: "1", TOKENIZERS_PARALLELISM: "false" },
    stdio: ["ignore", "pipe", "ignore"],
  }).toString();
  const b = JSON.parse(out.trim().split("\n").at(-1)!);
  rows.push({
    side: "bare",
    tokS: b.tokens_per_second,
    sStep: b.seconds_per_step,
    wall: (performance.now() - t0) / 1000,
    loss: b.loss_last,
  });
  console.log(rows.slice(-2));
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const m = (side: Row["side"], k: keyof Omit<Row, "side">) =>
  median(rows.filter((x) => x.side === side).map((x) => x[k] as number));
const ratio = m("ours", "tokS") / m("bare", "tokS");
const load = os
  .loadavg()
  .map((x) => x.toFixed(1))
  .join(" ");
const md = `# Training throughput: our runner vs a bare TRL script

\`npx tsx bench/training.bench.ts --rounds ${ROUNDS} --steps ${STEPS} --threads ${THREADS}\` on ${os.cpus().length} cores
(${os.cpus()[0]?.model ?? "cpu"}), load average at the end ${load}, ${new Date().toISOString().slice(0, 16)}Z.

Same model (SmolLM2-135M, fp32 from the Q4_1 GGUF), data (test/fixtures/training/sft.jsonl, 8 chats),
LoRA r 16 on all linear layers, batch 4, max 128 tokens, ${STEPS} steps, ${THREADS} torch threads, alternated
ours/bare in one run. Steady state: end of step 1 to end of the last step, non-padding tokens.

| side | median tokens/s | median s/step | median process wall s | last loss (median) |
| --- | ---: | ---: | ---: | ---: |
| ours (\`python -m trainer sft\`) | ${m("ours", "tokS").toFixed(1)} | ${m("ours", "sStep").toFixed(3)} | ${m("ours", "wall").toFixed(1)} | ${m("ours", "loss").toFixed(4)} |
| bare TRL script | ${m("bare", "tokS").toFixed(1)} | ${m("bare", "sStep").toFixed(3)} | ${m("bare", "wall").toFixed(1)} | ${m("bare", "loss").toFixed(4)} |

**ours / bare tokens/s = ${ratio.toFixed(3)}** (overhead ${((1 - ratio) * 100).toFixed(1)}%; target: at most 5%).

All rounds:

| round | side | tokens/s | s/step | wall s | last loss |
| --- | --- | ---: | ---: | ---: | ---: |
${rows.map((x, i) => `| ${Math.floor(i / 2) + 1} | ${x.side} | ${x.tokS.toFixed(1)} | ${x.sStep.toFixed(3)} | ${x.wall.toFixed(1)} | ${x.loss.toFixed(4)} |`).join("\n")}
`;
writeFileSync(join(ROOT, "bench/results/training.md"), md);
console.log(md);
