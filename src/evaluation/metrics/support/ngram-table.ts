/**
 * Integer n-gram interning for the reference-parity metrics (BLEU, chrF): an open-addressing hash
 * table from (prefix id, unit) to a dense id. An n-gram's id is `intern(id of its (n-1)-gram prefix,
 * its last unit)`, with prefix 0 for unigrams, so equal n-grams (same order, same units) get equal
 * ids and different n-grams different ids; counting then runs on typed arrays instead of
 * string-keyed maps. Exact: no hashing collisions can merge two keys (keys are compared in full).
 *
 * One table is reused across calls (`reset()` is O(1): slots carry a generation stamp).
 */

const EMPTY_GROWTH_LIMIT = 0.5;

export class NgramTable {
  #cap = 0;
  #mask = 0;
  #keyA = new Int32Array(0);
  #keyB = new Int32Array(0);
  #val = new Int32Array(0);
  #stamp = new Uint32Array(0);
  #gen = 1;
  #size = 0;
  /** Next id to hand out; ids start at 1 (0 = "not found" / the root prefix). */
  next = 1;

  constructor(initialCapacity = 1 << 14) {
    this.#alloc(initialCapacity);
  }

  #alloc(cap: number): void {
    this.#cap = cap;
    this.#mask = cap - 1;
    this.#keyA = new Int32Array(cap);
    this.#keyB = new Int32Array(cap);
    this.#val = new Int32Array(cap);
    this.#stamp = new Uint32Array(cap);
    this.#size = 0;
  }

  /** Forgets every entry; ids restart at 1. */
  reset(): void {
    this.#size = 0;
    this.next = 1;
    this.#gen++;
    if (this.#gen === 0xffffffff) {
      this.#stamp.fill(0);
      this.#gen = 1;
    }
  }

  static #hash(a: number, b: number): number {
    let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 13;
    return h;
  }

  /** Id of (a, b), or 0 when absent. */
  get(a: number, b: number): number {
    const mask = this.#mask;
    const gen = this.#gen;
    const stamp = this.#stamp;
    let i = NgramTable.#hash(a, b) & mask;
    while (stamp[i] === gen) {
      if (this.#keyA[i] === a && this.#keyB[i] === b) return this.#val[i]!;
      i = (i + 1) & mask;
    }
    return 0;
  }

  /** Id of (a, b), allocating the next id when absent. */
  intern(a: number, b: number): number {
    const mask = this.#mask;
    const gen = this.#gen;
    const stamp = this.#stamp;
    let i = NgramTable.#hash(a, b) & mask;
    while (stamp[i] === gen) {
      if (this.#keyA[i] === a && this.#keyB[i] === b) return this.#val[i]!;
      i = (i + 1) & mask;
    }
    const id = this.next++;
    stamp[i] = gen;
    this.#keyA[i] = a;
    this.#keyB[i] = b;
    this.#val[i] = id;
    if (++this.#size > this.#cap * EMPTY_GROWTH_LIMIT) this.#grow();
    return id;
  }

  #grow(): void {
    const oldA = this.#keyA;
    const oldB = this.#keyB;
    const oldV = this.#val;
    const oldS = this.#stamp;
    const gen = this.#gen;
    const oldCap = this.#cap;
    this.#alloc(oldCap * 2);
    const mask = this.#mask;
    for (let j = 0; j < oldCap; j++) {
      if (oldS[j] !== gen) continue;
      let i = NgramTable.#hash(oldA[j]!, oldB[j]!) & mask;
      while (this.#stamp[i] === gen) i = (i + 1) & mask;
      this.#stamp[i] = gen;
      this.#keyA[i] = oldA[j]!;
      this.#keyB[i] = oldB[j]!;
      this.#val[i] = oldV[j]!;
      this.#size++;
    }
  }
}

/** A growable Int32Array of per-id counters, zeroed on `reset(n)` for ids < n. */
export class Counters {
  data = new Int32Array(1 << 14);

  /** Makes ids [0, n) addressable and zero. */
  reset(n: number): Int32Array {
    if (this.data.length < n) {
      let cap = this.data.length;
      while (cap < n) cap *= 2;
      this.data = new Int32Array(cap);
    } else {
      this.data.fill(0, 0, n);
    }
    return this.data;
  }
}

/**
 * Interns strings given as code-unit ranges `codes[start..end)` to dense ids (1, 2, ...) without
 * creating them: an open-addressing table keyed by the code units (compared in full, so distinct
 * strings never share an id; the units are copied into an internal pool). Reused across calls:
 * `reset()` is O(1) apart from the pool.
 */
export class SubstringInterner {
  #mask = 0;
  #slotId = new Int32Array(0);
  #stamp = new Uint32Array(0);
  #gen = 1;
  #pool = new Uint16Array(1 << 16);
  #poolLen = 0;
  #starts = new Int32Array(1 << 12);
  #lens = new Int32Array(1 << 12);
  #hashes = new Int32Array(1 << 12);
  /** Number of distinct strings interned since the last reset (= the largest id). */
  size = 0;

  constructor(initialCapacity = 1 << 13) {
    this.#allocSlots(initialCapacity);
  }

  #allocSlots(cap: number): void {
    this.#mask = cap - 1;
    this.#slotId = new Int32Array(cap);
    this.#stamp = new Uint32Array(cap);
  }

  reset(): void {
    this.size = 0;
    this.#poolLen = 0;
    this.#gen++;
    if (this.#gen === 0xffffffff) {
      this.#stamp.fill(0);
      this.#gen = 1;
    }
  }

  #find(codes: Uint16Array, start: number, len: number, h: number): number {
    const pool = this.#pool;
    let i = h & this.#mask;
    while (this.#stamp[i] === this.#gen) {
      const id = this.#slotId[i]!;
      if (this.#hashes[id] === h && this.#lens[id] === len) {
        const s0 = this.#starts[id]!;
        let k = 0;
        while (k < len && pool[s0 + k] === codes[start + k]) k++;
        if (k === len) return id;
      }
      i = (i + 1) & this.#mask;
    }
    return -1 - i;
  }

  static #hash(codes: Uint16Array, start: number, end: number): number {
    let h = 0x811c9dc5;
    for (let k = start; k < end; k++) h = Math.imul(h ^ codes[k]!, 0x01000193);
    return h ^ (h >>> 16);
  }

  /** Id of `codes[start..end)`, or 0 when it was not interned. */
  get(codes: Uint16Array, start: number, end: number): number {
    const r = this.#find(codes, start, end - start, SubstringInterner.#hash(codes, start, end));
    return r > 0 ? r : 0;
  }

  /** Id of `codes[start..end)`, allocating the next one when new. */
  intern(codes: Uint16Array, start: number, end: number): number {
    const len = end - start;
    const h = SubstringInterner.#hash(codes, start, end);
    const r = this.#find(codes, start, len, h);
    if (r > 0) return r;
    const slot = -1 - r;
    const id = ++this.size;
    if (id >= this.#starts.length) {
      const grow = (a: Int32Array): Int32Array<ArrayBuffer> => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.#starts = grow(this.#starts);
      this.#lens = grow(this.#lens);
      this.#hashes = grow(this.#hashes);
    }
    if (this.#poolLen + len > this.#pool.length) {
      const bigger = new Uint16Array(2 * (this.#poolLen + len));
      bigger.set(this.#pool.subarray(0, this.#poolLen));
      this.#pool = bigger;
    }
    this.#pool.set(codes.subarray(start, end), this.#poolLen);
    this.#starts[id] = this.#poolLen;
    this.#poolLen += len;
    this.#lens[id] = len;
    this.#hashes[id] = h;
    this.#stamp[slot] = this.#gen;
    this.#slotId[slot] = id;
    if (id * 2 > this.#mask) this.#rehash();
    return id;
  }

  #rehash(): void {
    this.#allocSlots((this.#mask + 1) * 2);
    const gen = this.#gen;
    for (let id = 1; id <= this.size; id++) {
      let i = this.#hashes[id]! & this.#mask;
      while (this.#stamp[i] === gen) i = (i + 1) & this.#mask;
      this.#stamp[i] = gen;
      this.#slotId[i] = id;
    }
  }
}
