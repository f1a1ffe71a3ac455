/**
 * A variant's `retrieval` (RAG in the generate stage and the chat server): before answering, the question is
 * searched in the experiment's retrieval index and the top documents go into the prompt.
 *
 * ```yaml
 * variants:
 *   - { name: raft-rag, model: smollm2, adapter: raft, retrieval: { k: 4, mode: hybrid } }
 * ```
 */
import { z } from "zod";

export const RetrievalSchema = z
  .object({
    k: z.number().int().min(1).max(50).default(4).describe("Documents put in the prompt (the top k)."),
    mode: z
      .enum(["hybrid", "bm25", "dense"])
      .default("hybrid")
      .describe("hybrid = BM25 and embeddings fused; bm25 or dense alone."),
    format: z
      .enum(["auto", "raft", "context"])
      .default("auto")
      .describe(
        "How documents enter the prompt: raft = RAFT's <DOCUMENT>…</DOCUMENT> blocks then the question; context = a plain numbered context block; auto = raft for an adapter trained with method raft, context otherwise.",
      ),
  })
  .strict();
export type RetrievalConfig = z.output<typeof RetrievalSchema>;

/**
 * The document format of a variant's retrieval: its `format`, or for `auto` `raft` when the variant's adapter
 * was trained with method `raft`, `context` otherwise.
 */
export function documentFormatOf(retrieval: RetrievalConfig, adapterMethod: string | undefined): "raft" | "context" {
  if (retrieval.format !== "auto") return retrieval.format;
  return adapterMethod === "raft" ? "raft" : "context";
}
