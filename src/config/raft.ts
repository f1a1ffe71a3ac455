/**
 * Settings of the RAFT dataset recipe (src/datasets/raft.ts; gorilla RAFT, Zhang et al. 2024, `raft.py`).
 *
 * HOOK-UP (for whoever owns src/config/experiment.ts and src/experiment/stages/datasets-stage.ts):
 * - experiment.ts: `raft: RaftDatasetSchema.optional().describe("RAFT set: ...")` inside DatasetsSchema, plus
 *   the experiment-level `retrieval` section from ./retrieval.ts; check in the experiment's superRefine that
 *   `datasets.raft.teacher` is a key of `models` (like the other model references).
 * - datasets-stage.ts, when `config.datasets.raft` is set:
 *     const index = await openRetrievalIndex({ corpusDir: ctx.dir("corpus"), settings: config.retrieval });
 *     const teacher = await createTeacher({ store, experiment, modelKey: raft.teacher, models: config.models,
 *                                           runtime, seed: config.seed });
 *     const { records, counts } = await buildRaftDataset({ index, teacher, settings: raft, seed: config.seed,
 *                                                          systemPrompt: config.systemPrompt, onProgress });
 *     -> writeJsonl(raft/train.jsonl, records) and put `counts` in the card (they include the teacher's usage).
 *   Put `raft` and `retrieval` in the stage's `settings()` so a change reruns it; the teacher cache makes the
 *   rerun call no model for what did not change (changing oracleProbability calls none at all).
 */
import { z } from "zod";

const ModelKey = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "use letters, digits, '.', '_' or '-' (no spaces)")
  .describe("A key of `models`.");

export const RaftDatasetSchema = z
  .object({
    teacher: ModelKey.describe(
      "A key of `models` (local GGUF or OpenAI-compatible) that writes questions and answers.",
    ),
    questionsPerChunk: z
      .number()
      .int()
      .min(1)
      .max(20)
      .default(3)
      .describe("Questions the teacher writes per document (gorilla raft.py --questions; it defaults to 5)."),
    distractors: z
      .number()
      .int()
      .min(0)
      .max(20)
      .default(4)
      .describe(
        "Distractor documents per example (gorilla --distractors); without the oracle, one more takes its place.",
      ),
    oracleProbability: z
      .number()
      .min(0)
      .max(1)
      .default(0.8)
      .describe(
        "P: share of examples whose context holds the oracle document (gorilla --p; the seed study effectively used 1.0). Seeded per example; changing it changes only which contexts carry the oracle, never a teacher call.",
      ),
    distractorSource: z
      .enum(["random", "hard"])
      .default("random")
      .describe(
        "random = documents of other threads drawn uniformly (as raft.py); hard = the documents the retrieval index ranks highest for the question, other threads only.",
      ),
    hardNegativeMode: z
      .enum(["hybrid", "bm25", "dense"])
      .default("hybrid")
      .describe("Ranking used for hard negatives."),
    maxChunks: z
      .number()
      .int()
      .min(1)
      .nullable()
      .default(null)
      .describe("Use at most this many documents of the index (a seeded sample); null = all."),
    minChunkTokens: z
      .number()
      .int()
      .min(1)
      .default(24)
      .describe("Documents shorter than this (encoder tokens) are not used as oracles (too little to ask about)."),
    questionMaxTokens: z.number().int().min(16).default(200).describe("Teacher reply budget for the questions."),
    answerMaxTokens: z
      .number()
      .int()
      .min(16)
      .default(400)
      .describe("Teacher reply budget for one chain-of-thought answer."),
    temperature: z.number().min(0).max(2).default(0).describe("Teacher temperature; 0 = greedy, reproducible."),
    quoteMode: z
      .enum(["strict", "whitespace", "lenient"])
      .default("whitespace")
      .describe(
        "How a quote must match the oracle to count as found: strict = byte for byte; whitespace = after collapsing whitespace; lenient = also case, curly quotes and wrapping quotation marks ignored.",
      ),
    requireQuote: z
      .boolean()
      .default(true)
      .describe(
        "An answer without any ##begin_quote## quote fails (`no-quote`); the study's Mistral set quoted in 16 of 226.",
      ),
    dropInvalid: z
      .boolean()
      .default(true)
      .describe(
        "Drop examples whose answer fails validation (counted by reason either way); false keeps them, flagged.",
      ),
  })
  .strict();
export type RaftDatasetConfig = z.output<typeof RaftDatasetSchema>;
