import { join } from "node:path";
import { buildCorpus } from "../../corpus/clean.ts";
import type { Stage } from "../stage.ts";

/** corpus: raw threads -> clean threads, seeded splits by thread and the corpus card. */
export const corpusStage: Stage = {
  id: "corpus",
  deps: ["import"],
  // 2: subreddits too small to stratify are pooled (quick start: test was 0 of 0.1)
  version: 2,
  settings: (exp) => exp.config.corpus,
  async run(ctx) {
    const bars: Partial<Record<"filter" | "split", ReturnType<typeof ctx.progress.bar>>> = {};
    const card = await buildCorpus({
      inFile: join(ctx.dir("import"), "threads.jsonl"),
      outDir: ctx.dir("corpus"),
      options: ctx.exp.config.corpus,
      onProgress: ({ pass, done, total }) => {
        // Updates come every 500 threads and at the end of each pass.
        let bar = bars[pass];
        if (!bar) {
          bar = ctx.progress.bar(
            pass === "filter" ? "corpus: clean and filter threads" : "corpus: write splits",
            total,
          );
          bars[pass] = bar;
        }
        bar.update(done);
        if (done === total) bar.stop();
      },
    });
    const notes: string[] = [...(card.splitWarnings ?? [])];
    if (card.leakage.threadsInMoreThanOneSplit !== 0)
      notes.push(`LEAKAGE: ${card.leakage.threadsInMoreThanOneSplit} threads in two splits`);
    return {
      counts: {
        threadsIn: card.input.threads,
        threadsOut: card.output.threads,
        commentsOut: card.output.comments,
        train: card.splits.train.threads,
        validation: card.splits.validation.threads,
        test: card.splits.test.threads,
      },
      outputs: [
        "threads.jsonl",
        "splits/train.jsonl",
        "splits/validation.jsonl",
        "splits/test.jsonl",
        "corpus-card.json",
      ],
      notes,
    };
  },
};
