/**
 * Types of the parts of wink-bm25-text-search 3.1.2 (CommonJS, no bundled types) that src/retrieval/bm25.ts
 * uses. Source: node_modules/wink-bm25-text-search/src/wink-bm25-text-search.js.
 */
declare module "wink-bm25-text-search" {
  interface WinkBm25Config {
    /** Weight per field name (BM25F); only the fields named here are indexed. */
    fldWeights: Record<string, number>;
    /** k1 (tf saturation, default 1.2), b (length normalisation 0..1, default 0.75), k (idf's +k, default 1). */
    bm25Params?: { k1?: number; b?: number; k?: number };
    /** Field names whose original value is kept for search filters. */
    ovFieldNames?: string[];
  }
  interface WinkBm25Engine {
    defineConfig(config: WinkBm25Config): true;
    /** Text -> tokens, applied at index and query time (`field` given only at index time). */
    definePrepTasks(tasks: Array<(input: unknown) => unknown>, field?: string): number;
    addDoc(doc: Record<string, string>, uniqueId: string | number): number;
    /** Computes idf and per-document weights; once, with >= 3 documents. `fp`: decimal digits kept (4..9). */
    consolidate(fp?: number): true;
    /** `[id, score]` pairs, best first, at most `limit` (default 10). */
    search(text: string, limit?: number): Array<[string, number]>;
    exportJSON(): string;
    importJSON(json: string): true;
    reset(): true;
  }
  function bm25(): WinkBm25Engine;
  export default bm25;
}
