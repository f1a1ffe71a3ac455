/**
 * The retrieval contract the generate stage and the chat server code against. The index itself (chunking,
 * BM25, embeddings, hybrid ranking) lives beside this file.
 */

/** One retrieved chunk of Reddit text (untrusted: escape it wherever it is shown). */
export interface RetrievedDocument {
  id: string;
  text: string;
  title?: string;
  /** Ranking score (higher = more relevant); comparable only within one search. */
  score: number;
  /** Where the text came from. */
  source: { threadId: string; commentIds: string[] };
}

/** Retrieval mode: BM25 only, dense (embeddings) only, or both fused. */
export type RetrievalMode = "hybrid" | "bm25" | "dense";

export interface Retriever {
  /** The `k` best documents for `query`, best first (fewer when the index holds fewer). */
  search(query: string, opts: { k: number; mode?: RetrievalMode }): Promise<RetrievedDocument[]>;
}
