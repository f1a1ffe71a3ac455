/**
 * BM25 over retrieval documents, on wink-bm25-text-search 3.1.2 (chosen over minisearch and a textbook
 * reference on evidence: bench/retrieval.bench.ts, bench/results/retrieval.md). Scoring is Okapi BM25 with
 * Lucene's idf, as wink computes it:
 *
 *   score(q, d) = sum over query tokens t of idf(t) * tf(t,d) * (k1 + 1) / (tf(t,d) + k1 * (1 - b + b * |d| / avgdl))
 *   idf(t) = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))
 *
 * (Robertson & Zaragoza 2009; Lucene's BM25Similarity), tokens from analyzer.ts, per-document weights kept
 * to 6 decimals. A repeated query token counts once per repeat (as in rank_bm25).
 */
import winkBm25 from "wink-bm25-text-search";
import { analyze } from "./analyzer.ts";

/** BM25 parameters. */
export interface Bm25Params {
  /** Term-frequency saturation, >= 0. Default 1.2. */
  k1: number;
  /** Length normalisation, 0..1. Default 0.75. */
  b: number;
}

export const DEFAULT_BM25: Bm25Params = Object.freeze({ k1: 1.2, b: 0.75 });

/** Decimal digits wink keeps of each (document, term) weight. */
const PRECISION = 6;

/** A consolidated BM25 index; build with {@link Bm25Index.build}, reload with {@link Bm25Index.fromJSON}. */
export class Bm25Index {
  readonly #engine: ReturnType<typeof winkBm25>;

  private constructor(engine: ReturnType<typeof winkBm25>) {
    this.#engine = engine;
  }

  static #prep(engine: ReturnType<typeof winkBm25>): void {
    engine.definePrepTasks([(text) => analyze(String(text))]);
  }

  /**
   * Indexes `docs` (ids unique).
   * @throws RangeError with fewer than 3 documents (wink needs 3 to compute idf) or a duplicate id.
   */
  static build(docs: Iterable<{ id: string; text: string }>, params: Bm25Params = DEFAULT_BM25): Bm25Index {
    const engine = winkBm25();
    engine.defineConfig({ fldWeights: { text: 1 }, bm25Params: { k1: params.k1, b: params.b, k: 1 } });
    Bm25Index.#prep(engine);
    const seen = new Set<string>();
    for (const d of docs) {
      if (seen.has(d.id)) throw new RangeError(`BM25: document id "${d.id}" is listed twice`);
      seen.add(d.id);
      engine.addDoc({ text: d.text }, d.id);
    }
    if (seen.size < 3) throw new RangeError(`BM25: needs at least 3 documents to index (got ${seen.size})`);
    engine.consolidate(PRECISION);
    return new Bm25Index(engine);
  }

  /** Reloads what {@link toJSON} wrote. @throws Error when the JSON is not a wink export. */
  static fromJSON(json: string): Bm25Index {
    const engine = winkBm25();
    engine.importJSON(json);
    Bm25Index.#prep(engine);
    return new Bm25Index(engine);
  }

  toJSON(): string {
    return this.#engine.exportJSON();
  }

  /** The best `limit` documents for `query`, best first (ties in indexing order); [] when no token matches. */
  search(query: string, limit: number): Array<{ id: string; score: number }> {
    if (analyze(query).length === 0) return [];
    return this.#engine.search(query, Math.max(1, limit)).map(([id, score]) => ({ id, score }));
  }
}
