import { describe, expect, it } from "vitest";
import { droppedExamplesNote, endOfTurnTruncationNote } from "../../../src/training/notes.ts";

describe("endOfTurnTruncationNote", () => {
  it("says how many kept examples never learn to stop, with the limit", () => {
    const start = { event: "start", train_examples_kept: 40, train_examples_eot_truncated: 3 };
    expect(endOfTurnTruncationNote(start, 512)).toBe(
      "; 3 of 40 examples lose their end-of-turn to max_seq_length 512 (the model never learns to stop on them)",
    );
  });

  it("is empty when no example is cut or the method does not report it", () => {
    expect(
      endOfTurnTruncationNote({ event: "start", train_examples_kept: 8, train_examples_eot_truncated: 0 }, 64),
    ).toBe("");
    expect(endOfTurnTruncationNote({ event: "done", eval_accuracy: 0.5 })).toBe("");
    expect(endOfTurnTruncationNote(undefined)).toBe("");
  });
});

describe("droppedExamplesNote", () => {
  it("says how many examples the trainer dropped for length, with the limit", () => {
    expect(droppedExamplesNote({ event: "start", train_examples: 30, train_examples_kept: 25 }, 128)).toBe(
      "; 5 of 30 examples dropped: longer than max_seq_length 128",
    );
  });

  it("is empty when every example was kept or the counts are absent", () => {
    expect(droppedExamplesNote({ event: "start", train_examples: 30, train_examples_kept: 30 }, 128)).toBe("");
    expect(droppedExamplesNote({ event: "start", train_examples: 30 })).toBe("");
    expect(droppedExamplesNote(undefined)).toBe("");
  });
});
