/**
 * Near-duplicate detection with MinHash signatures and LSH banding (Broder 1997; Leskovec,
 * Rajaraman & Ullman, "Mining of Massive Datasets", ch. 3).
 *
 * A text becomes the set of its word k-shingles (lowercased letter/digit words, k consecutive
 * words). Its signature is the minimum of `permutations` seeded 32-bit hashes over the shingles;
 * the share of equal signature slots estimates the Jaccard similarity of two shingle sets
 * (standard error about sqrt(J(1-J)/permutations): 0.057 at J = 0.7 with 64 permutations).
 * LSH: the signature is cut into `bands` bands of `permutations / bands` rows; texts sharing one
 * whole band are candidates (probability 1 - (1 - J^rows)^bands: 0.99 at J = 0.7 with 16 x 4), and a
 * candidate is a near duplicate when its estimated Jaccard is >= `threshold`. Deterministic: the
 * hash seeds are fixed, so the same texts in the same order give the same decisions.
 * Memory: one Uint32Array signature per kept text (4 bytes x permutations) plus the band tables.
 */

/** Settings of {@link NearDuplicateIndex}. */
export interface NearDuplicateOptions {
  /** Words per shingle (>= 1). */
  shingleWords: number;
  /** Texts with fewer words than this are never near duplicates (too short to judge; exact dedup covers them). */
  minWords: number;
  /** Number of MinHash functions; a multiple of `bands`. */
  permutations: number;
  /** LSH bands. */
  bands: number;
  /** Estimated Jaccard similarity (0..1) at or above which a text is a near duplicate of one already kept. */
  threshold: number;
}

const WORD = /[\p{L}\p{N}]+/gu;

/** Lowercased words of `text` (letters and digits; punctuation and markup ignored). */
export function words(text: string): string[] {
  return text.toLowerCase().match(WORD) ?? [];
}

/** FNV-1a 32-bit hash of a string (UTF-16 code units). */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** murmur3's 32-bit finaliser: a fast, well-mixing bijection on 32-bit integers. */
function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hashes of the distinct word k-shingles of `text` (a text shorter than k words is one shingle). */
export function shingleHashes(text: string, k: number): Uint32Array {
  const w = words(text);
  const set = new Set<number>();
  if (w.length <= k) set.add(fnv1a(w.join(" ")));
  else for (let i = 0; i + k <= w.length; i++) set.add(fnv1a(w.slice(i, i + k).join(" ")));
  return Uint32Array.from(set);
}

/** Exact Jaccard similarity of the word k-shingle sets of two texts (for tests and audits). */
export function jaccard(a: string, b: string, k: number): number {
  const sa = new Set(shingleHashes(a, k));
  const sb = new Set(shingleHashes(b, k));
  let inter = 0;
  for (const x of sa) if (sb.has(x)) inter++;
  const union = sa.size + sb.size - inter;
  return union === 0 ? 1 : inter / union;
}

/** An index of kept texts; {@link NearDuplicateIndex.check} tells whether a new text nearly repeats one. */
export class NearDuplicateIndex {
  private readonly seeds: Uint32Array;
  private readonly rows: number;
  private readonly signatures: Uint32Array[] = [];
  private readonly tables: Map<string, number[]>[];

  constructor(private readonly o: NearDuplicateOptions) {
    if (!(o.permutations > 0 && o.bands > 0 && o.permutations % o.bands === 0))
      throw new RangeError(`permutations (${o.permutations}) must be a positive multiple of bands (${o.bands})`);
    this.rows = o.permutations / o.bands;
    this.seeds = new Uint32Array(o.permutations);
    let s = 0x9e3779b9;
    for (let i = 0; i < o.permutations; i++) {
      s = fmix32(s + 0x6d2b79f5);
      this.seeds[i] = s;
    }
    this.tables = Array.from({ length: o.bands }, () => new Map<string, number[]>());
  }

  /** Number of texts kept in the index. */
  get size(): number {
    return this.signatures.length;
  }

  /** The MinHash signature of `text` (length `permutations`). */
  signature(text: string): Uint32Array {
    const shingles = shingleHashes(text, this.o.shingleWords);
    const sig = new Uint32Array(this.o.permutations).fill(0xffffffff);
    for (let p = 0; p < this.o.permutations; p++) {
      const seed = this.seeds[p]!;
      let min = 0xffffffff;
      for (let i = 0; i < shingles.length; i++) {
        const h = fmix32(shingles[i]! ^ seed);
        if (h < min) min = h;
      }
      sig[p] = min;
    }
    return sig;
  }

  /**
   * Checks `text` against the kept texts. Returns `{duplicate: true, similarity}` (estimated
   * Jaccard with the most similar kept text) when it is a near duplicate; otherwise adds it to the
   * index (when `keep` is not false) and returns `{duplicate: false}`. Texts under `minWords`
   * words are never duplicates and are not indexed.
   */
  check(text: string, keep = true): { duplicate: boolean; similarity?: number } {
    if (words(text).length < this.o.minWords) return { duplicate: false };
    const sig = this.signature(text);
    const keys: string[] = [];
    let best = 0;
    const tried = new Set<number>();
    for (let b = 0; b < this.o.bands; b++) {
      const key = Array.from(sig.subarray(b * this.rows, (b + 1) * this.rows)).join(",");
      keys.push(key);
      for (const id of this.tables[b]!.get(key) ?? []) {
        if (tried.has(id)) continue;
        tried.add(id);
        const other = this.signatures[id]!;
        let same = 0;
        for (let i = 0; i < sig.length; i++) if (sig[i] === other[i]) same++;
        best = Math.max(best, same / sig.length);
      }
    }
    if (best >= this.o.threshold) return { duplicate: true, similarity: best };
    if (keep) {
      const id = this.signatures.length;
      this.signatures.push(sig);
      keys.forEach((key, b) => {
        const t = this.tables[b]!;
        const list = t.get(key);
        if (list) list.push(id);
        else t.set(key, [id]);
      });
    }
    return { duplicate: false };
  }
}
