/**
 * Settings of the retrieval index (src/retrieval/index.ts) that RAFT distractors, RAG generation, the chatbot
 * and Ragas context metrics share: one experiment-level `retrieval:` section, one index.
 *
 * HOOK-UP (for whoever owns src/config/experiment.ts): add
 *   `retrieval: RetrievalConfigSchema.prefault({}).describe("The retrieval index: chunking, BM25, dense, hybrid.")`
 * to the experiment object, and pass `config.retrieval` as `settings` to `openRetrievalIndex({corpusDir, settings})`.
 */
import { z } from "zod";

export const RetrievalConfigSchema = z
  .object({
    chunkTokens: z
      .number()
      .int()
      .min(8)
      .default(200)
      .describe(
        "Largest document in MiniLM WordPiece tokens (the encoder reads 256); short comments of a thread are packed together up to this.",
      ),
    overlapTokens: z
      .number()
      .int()
      .min(0)
      .default(32)
      .describe(
        "Tokens shared by consecutive windows of one comment longer than chunkTokens (less than chunkTokens / 2).",
      ),
    splits: z
      .array(z.enum(["train", "validation", "test"]))
      .min(1)
      .default(["train"])
      .describe("Corpus splits indexed; the default keeps held-out threads out of RAFT contexts and RAG."),
    bm25: z
      .object({
        k1: z.number().min(0).default(1.2).describe("Term-frequency saturation."),
        b: z.number().min(0).max(1).default(0.75).describe("Document-length normalisation."),
      })
      .strict()
      .prefault({})
      .describe("Okapi BM25 parameters (Lucene defaults)."),
    dense: z
      .boolean()
      .default(true)
      .describe("Embed documents with all-MiniLM-L6-v2 (needed for dense and hybrid search)."),
    rrfK: z.number().positive().default(60).describe("Reciprocal-rank fusion constant (Cormack et al. 2009: 60)."),
    candidates: z.number().int().min(1).default(100).describe("Hits taken from each ranking before fusion."),
  })
  .strict()
  .refine((r) => r.overlapTokens * 2 < r.chunkTokens, {
    message: "overlapTokens must be less than chunkTokens / 2",
    path: ["overlapTokens"],
  });
export type RetrievalConfig = z.output<typeof RetrievalConfigSchema>;
