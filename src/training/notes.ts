import type { TrainerEvent } from "./python.ts";

/**
 * The warning for supervised (sft/raft) examples whose end-of-turn token was cut by `training.max_seq_length`:
 * on them the model learns to go on instead of stopping. Reads `train_examples_eot_truncated` and
 * `train_examples_kept` of the trainer's `start` or `done` event (trainer/sft_train.py); "" when the field is
 * absent (other methods) or 0.
 *
 * @returns e.g. `"; 3 of 40 examples lose their end-of-turn to max_seq_length 512 (the model never learns to stop on them)"`.
 */
export function endOfTurnTruncationNote(e: TrainerEvent | undefined, maxSeqLength?: number): string {
  const cut = e?.train_examples_eot_truncated;
  if (typeof cut !== "number" || cut <= 0) return "";
  const kept = typeof e?.train_examples_kept === "number" ? ` of ${e.train_examples_kept}` : "";
  const limit = maxSeqLength !== undefined ? ` ${maxSeqLength}` : "";
  return `; ${cut}${kept} examples lose their end-of-turn to max_seq_length${limit} (the model never learns to stop on them)`;
}
