/**
 * Exact (brute-force) dense search: unit vectors in one Float32Array (row-major, n x dim), cosine = dot
 * product: no approximate index, no recall loss. It reads every vector per query, so its cost grows with the
 * corpus (100k documents x 384 dims: bench/results/retrieval.md); an ANN index is the step after that.
 */

/** Unit vectors of the documents, in document order. */
export class DenseMatrix {
  readonly data: Float32Array;
  readonly dim: number;
  readonly rows: number;

  /** @throws RangeError when `data.length` is not a multiple of `dim`. */
  constructor(data: Float32Array, dim: number) {
    if (dim < 1 || data.length % dim !== 0)
      throw new RangeError(`dense: ${data.length} floats are not rows of ${dim} dimensions`);
    this.data = data;
    this.dim = dim;
    this.rows = data.length / dim;
  }

  /** Packs vectors (each normalised to unit length; a zero vector stays zero). @throws RangeError on mixed dims. */
  static fromVectors(vectors: readonly (readonly number[])[], dim: number): DenseMatrix {
    const data = new Float32Array(vectors.length * dim);
    vectors.forEach((v, i) => {
      if (v.length !== dim) throw new RangeError(`dense: vector ${i} has ${v.length} dimensions, expected ${dim}`);
      let n = 0;
      for (const x of v) n += x * x;
      const s = n > 0 ? 1 / Math.sqrt(n) : 0;
      for (let k = 0; k < dim; k++) data[i * dim + k] = v[k]! * s;
    });
    return new DenseMatrix(data, dim);
  }

  /** The `limit` rows most similar to `query` (cosine), best first; ties by lower row. */
  search(query: readonly number[], limit: number): Array<{ row: number; score: number }> {
    const { data, dim, rows } = this;
    if (query.length !== dim) throw new RangeError(`dense: query has ${query.length} dimensions, expected ${dim}`);
    let n = 0;
    for (const x of query) n += x * x;
    const q = new Float32Array(dim);
    const s = n > 0 ? 1 / Math.sqrt(n) : 0;
    for (let k = 0; k < dim; k++) q[k] = query[k]! * s;
    const k = Math.max(1, Math.min(limit, rows));
    // keep the best k in a small sorted array (k is small next to rows)
    const bestRow: number[] = [];
    const bestScore: number[] = [];
    for (let r = 0; r < rows; r++) {
      let dot = 0;
      const off = r * dim;
      for (let j = 0; j < dim; j++) dot += data[off + j]! * q[j]!;
      if (bestRow.length === k && dot <= bestScore[k - 1]!) continue;
      let pos = bestRow.length === k ? k - 1 : bestRow.length;
      while (pos > 0 && bestScore[pos - 1]! < dot) pos--;
      bestRow.splice(pos, 0, r);
      bestScore.splice(pos, 0, dot);
      if (bestRow.length > k) {
        bestRow.pop();
        bestScore.pop();
      }
    }
    return bestRow.map((row, i) => ({ row, score: bestScore[i]! }));
  }
}

/** Reciprocal-rank fusion (Cormack, Clarke & Büttcher 2009): score(d) = sum over rankings of 1 / (k + rank(d)), rank from 1. */
export function reciprocalRankFusion(
  rankings: readonly (readonly string[])[],
  k = 60,
): Array<{ id: string; score: number }> {
  const scores = new Map<string, number>();
  for (const ranking of rankings) {
    ranking.forEach((id, i) => {
      scores.set(id, (scores.get(id) ?? 0) + 1 / (k + i + 1));
    });
  }
  // ties: first seen order (rankings in order, then rank), which Map preserves; sort is stable
  return [...scores].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score);
}
