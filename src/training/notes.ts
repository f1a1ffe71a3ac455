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

/**
 * The warning for training examples the trainer dropped because they do not fit `training.max_seq_length`:
 * SFT/RAFT examples with no completion token left after truncation, and preference pairs TRL's
 * RewardTrainer filters out (it drops a pair whose chosen or rejected text is too long instead of
 * truncating it). Reads `train_examples` and `train_examples_kept` of the trainer's `start` event;
 * "" when nothing was dropped or a field is absent.
 *
 * @returns e.g. `"; 5 of 30 examples dropped: longer than max_seq_length 128"`.
 */
export function droppedExamplesNote(e: TrainerEvent | undefined, maxSeqLength?: number): string {
  const n = e?.train_examples;
  const kept = e?.train_examples_kept;
  if (typeof n !== "number" || typeof kept !== "number" || kept >= n) return "";
  const limit = maxSeqLength !== undefined ? ` ${maxSeqLength}` : "";
  return `; ${n - kept} of ${n} examples dropped: longer than max_seq_length${limit}`;
}
