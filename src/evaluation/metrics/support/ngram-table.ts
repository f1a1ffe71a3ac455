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
