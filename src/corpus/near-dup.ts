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
 * Memory: see {@link NearDuplicateIndex}.
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

/** FNV-1a 32-bit of the words `w[from, to)` joined by single spaces (as {@link fnv1a} of the joined string). */
function shingleHash(w: readonly string[], from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let j = from; j < to; j++) {
    if (j > from) {
      h ^= 0x20;
      h = Math.imul(h, 0x01000193);
    }
    const s = w[j]!;
    for (let c = 0; c < s.length; c++) {
      h ^= s.charCodeAt(c);
      h = Math.imul(h, 0x01000193);
    }
  }
  return h >>> 0;
}

/** Hashes of the distinct word k-shingles of `text` (a text shorter than k words is one shingle). */
export function shingleHashes(text: string, k: number): Uint32Array {
  const w = words(text);
  const set = new Set<number>();
  if (w.length <= k) set.add(fnv1a(w.join(" ")));
  else for (let i = 0; i + k <= w.length; i++) set.add(shingleHash(w, i, i + k));
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

const EMPTY = -1;
const NONE = -2;

/**
 * Open-addressing hash table from a 32-bit key to the newest id with that key (linear probing,
 * kept at most half full). Used per LSH band: key = a hash of the band's values, chains of older
 * ids live in the index's `next` array. Typed arrays only: no per-entry objects, and no limit like
 * the 2^24 entries of a JS Map.
 */
class HeadTable {
  keys = new Uint32Array(1024);
  /** Newest id per slot; {@link EMPTY} = free slot, {@link NONE} = key kept but no id (after a rollback). */
  heads = new Int32Array(1024).fill(EMPTY);
  size = 0;

  /** Slot of `key`: where it is, or the free slot where it would go. */
  private slot(key: number): number {
    const mask = this.keys.length - 1;
    let i = fmix32(key) & mask;
    while (this.heads[i] !== EMPTY && this.keys[i] !== key) i = (i + 1) & mask;
    return i;
  }

  /** The newest id stored under `key`, or -1. */
  get(key: number): number {
    const h = this.heads[this.slot(key)]!;
    return h < 0 ? -1 : h;
  }

  /** Makes `id` the newest id under `key`; returns the previous one (-1 when none). */
  push(key: number, id: number): number {
    let i = this.slot(key);
    const before = this.heads[i]!;
    if (before === EMPTY) {
      if ((this.size + 1) * 2 > this.keys.length) {
        this.grow();
        i = this.slot(key);
      }
      this.size++;
      this.keys[i] = key;
    }
    this.heads[i] = id;
    return before < 0 ? -1 : before;
  }

  /** Undoes the last {@link push} under `key`, whose previous id was `previous` (-1 when none). */
  pop(key: number, previous: number): void {
    this.heads[this.slot(key)] = previous < 0 ? NONE : previous;
  }

  private grow(): void {
    const { keys, heads } = this;
    this.keys = new Uint32Array(keys.length * 2);
    this.heads = new Int32Array(keys.length * 2).fill(EMPTY);
    this.size = 0;
    for (let i = 0; i < keys.length; i++) {
      if (heads[i]! < 0) continue; // free, or emptied by a rollback: not carried over
      const j = this.slot(keys[i]!);
      this.keys[j] = keys[i]!;
      this.heads[j] = heads[i]!;
      this.size++;
    }
  }
}

/**
 * An index of kept texts; {@link NearDuplicateIndex.check} tells whether a new text nearly repeats one.
 * Memory per indexed text: its signature (4 bytes x permutations) in one shared typed array, one
 * chain link per band (4 bytes x bands) and about 16 bytes x bands of band tables — about 0.7 KB
 * with the defaults (64 permutations, 16 bands), with no JS object per text, so millions of
 * comments fit (the earlier version, string band keys in Maps, took ~2.3 KB a text and stopped at
 * the 2^24-entry limit of a Map).
 */
export class NearDuplicateIndex {
  private readonly seeds: Uint32Array;
  private readonly rows: number;
  private readonly perms: number;
  private readonly bands: number;
  /** Signatures of the indexed texts: text `id` at [id * perms, (id + 1) * perms). */
  private sigs: Uint32Array;
  /** Per text and band, the next older text in the same band chain: next[id * bands + b] (-1 ends). */
  private next: Int32Array;
  /** The last check that compared a text (so a text found in several bands is compared once). */
  private seenAt: Int32Array;
  private count = 0;
  private checks = 0;
  private readonly tables: HeadTable[];
  private readonly sig: Uint32Array;
  /** Scratch: the band keys of the text being checked. */
  private readonly keys: Uint32Array;
  /** Scratch: the shingle hashes of the text being signed (as int32). */
  private shingles = new Int32Array(256);

  constructor(private readonly o: NearDuplicateOptions) {
    if (!(o.permutations > 0 && o.bands > 0 && o.permutations % o.bands === 0))
      throw new RangeError(`permutations (${o.permutations}) must be a positive multiple of bands (${o.bands})`);
    this.perms = o.permutations;
    this.bands = o.bands;
    this.rows = o.permutations / o.bands;
    this.seeds = new Uint32Array(o.permutations);
    let s = 0x9e3779b9;
    for (let i = 0; i < o.permutations; i++) {
      s = fmix32(s + 0x6d2b79f5);
      this.seeds[i] = s;
    }
    this.tables = Array.from({ length: o.bands }, () => new HeadTable());
    this.sig = new Uint32Array(o.permutations);
    this.keys = new Uint32Array(o.bands);
    this.sigs = new Uint32Array(1024 * o.permutations);
    this.next = new Int32Array(1024 * o.bands);
    this.seenAt = new Int32Array(1024);
  }

  /** Number of texts kept in the index. */
  get size(): number {
    return this.count;
  }

  /** A point to {@link rollback} to: the number of texts indexed so far. */
  mark(): number {
    return this.count;
  }

  /**
   * Forgets every text indexed after `mark` (newest first), as if they had been checked with
   * `keep = false`: the corpus indexes a thread's comments as it reads them, and takes them back
   * when the thread is dropped afterwards, so that only texts in the output can make others duplicates.
   */
  rollback(mark: number): void {
    for (let id = this.count - 1; id >= mark; id--) {
      for (let b = 0; b < this.bands; b++)
        this.tables[b]!.pop(this.bandKey(this.sigs, id * this.perms, b), this.next[id * this.bands + b]!);
    }
    this.count = Math.min(this.count, Math.max(0, mark));
  }

  /** Writes the MinHash signature of the words `w` into `out` (length `permutations`). */
  private signatureOf(w: readonly string[], out: Uint32Array): void {
    const k = this.o.shingleWords;
    // Shingle hashes, repeats included: the minimum over a multiset is the minimum over its set.
    const n = w.length <= k ? 1 : w.length - k + 1;
    if (this.shingles.length < n) this.shingles = new Int32Array(Math.max(n, this.shingles.length * 2));
    const shingles = this.shingles;
    if (w.length <= k) shingles[0] = shingleHash(w, 0, w.length);
    else for (let i = 0; i < n; i++) shingles[i] = shingleHash(w, i, i + k);
    // fmix32 (murmur3's finaliser) inlined on int32 values; the minimum is taken unsigned.
    for (let p = 0; p < this.perms; p++) {
      const seed = this.seeds[p]! | 0;
      let min = 0xffffffff;
      for (let i = 0; i < n; i++) {
        let h = shingles[i]! ^ seed;
        h ^= h >>> 16;
        h = Math.imul(h, 0x85ebca6b);
        h ^= h >>> 13;
        h = Math.imul(h, 0xc2b2ae35);
        h ^= h >>> 16;
        const u = h >>> 0;
        if (u < min) min = u;
      }
      out[p] = min;
    }
  }

  /** The MinHash signature of `text` (length `permutations`). */
  signature(text: string): Uint32Array {
    const out = new Uint32Array(this.perms);
    this.signatureOf(words(text), out);
    return out;
  }

  /** A 32-bit hash of band `b` of the signature `sig` at `at` (the table key; equal bands, equal keys). */
  private bandKey(sig: Uint32Array, at: number, b: number): number {
    let h = 0x2545f491 ^ b;
    for (let r = 0; r < this.rows; r++) h = fmix32(h ^ sig[at + b * this.rows + r]!) + r;
    return h >>> 0;
  }

  /**
   * Checks `text` against the kept texts. Returns `{duplicate: true, similarity}` (estimated
   * Jaccard with the most similar kept text) when it is a near duplicate; otherwise adds it to the
   * index (when `keep` is not false) and returns `{duplicate: false}`. Texts under `minWords`
   * words are never duplicates and are not indexed. Candidates are the kept texts with at least
   * one band equal to this text's (the table key is a hash, so every candidate's band is compared
   * value by value).
   */
  check(text: string, keep = true): { duplicate: boolean; similarity?: number } {
    const w = words(text);
    if (w.length < this.o.minWords) return { duplicate: false };
    const { sig, perms, rows, bands, sigs, next, seenAt } = this;
    this.signatureOf(w, sig);
    const stamp = ++this.checks;
    const keys = this.keys;
    let best = 0;
    for (let b = 0; b < bands; b++) {
      const key = this.bandKey(sig, 0, b);
      keys[b] = key;
      for (let id = this.tables[b]!.get(key); id !== -1; id = next[id * bands + b]!) {
        if (seenAt[id] === stamp) continue;
        const at = id * perms;
        let equal = true;
        for (let r = b * rows; r < (b + 1) * rows; r++) {
          if (sigs[at + r] !== sig[r]) {
            equal = false;
            break;
          }
        }
        if (!equal) continue;
        seenAt[id] = stamp;
        let same = 0;
        for (let i = 0; i < perms; i++) if (sig[i] === sigs[at + i]) same++;
        best = Math.max(best, same / perms);
      }
    }
    if (best >= this.o.threshold) return { duplicate: true, similarity: best };
    if (keep) this.add(sig, keys);
    return { duplicate: false };
  }

  /** Indexes a signature whose band keys are `keys`. */
  private add(sig: Uint32Array, keys: Uint32Array): void {
    const id = this.count;
    if (id === this.seenAt.length) {
      const cap = id * 2;
      const sigs = new Uint32Array(cap * this.perms);
      sigs.set(this.sigs);
      this.sigs = sigs;
      const next = new Int32Array(cap * this.bands);
      next.set(this.next);
      this.next = next;
      const seenAt = new Int32Array(cap);
      seenAt.set(this.seenAt);
      this.seenAt = seenAt;
    }
    this.sigs.set(sig, id * this.perms);
    for (let b = 0; b < this.bands; b++) this.next[id * this.bands + b] = this.tables[b]!.push(keys[b]!, id);
    this.count++;
  }
}
