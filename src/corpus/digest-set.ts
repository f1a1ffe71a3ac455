/**
 * A set of 128-bit digests (the first 16 bytes of a hash such as SHA-256), for exact deduplication
 * at dump scale: open addressing over typed arrays, ~32–64 bytes an entry, no JS object per entry
 * and no 2^24-entry limit (a JS `Set` of hex strings takes ~100 bytes an entry and throws
 * "Set maximum size exceeded" past 16,777,216 entries).
 */
/** The first 16 bytes of `d` as four little-endian 32-bit words. Throws RangeError when shorter. */
function words(d: Uint8Array): [number, number, number, number] {
  if (d.length < 16) throw new RangeError(`a digest of ${d.length} bytes; need at least 16`);
  const view = new DataView(d.buffer, d.byteOffset, 16);
  return [view.getUint32(0, true), view.getUint32(4, true), view.getUint32(8, true), view.getUint32(12, true)];
}

export class DigestSet {
  private words = new Uint32Array(4 * 1024);
  private used = new Uint8Array(1024);
  /** Number of digests in the set. */
  size = 0;

  /** True when the digest `d` (its first 16 bytes) is in the set. */
  has(d: Uint8Array): boolean {
    const [a, b, c, e] = words(d);
    return this.used[this.slot(a, b, c, e)] === 1;
  }

  /**
   * Adds the digest `d` (its first 16 bytes; at least 16 bytes long, else RangeError). Returns true
   * when it was new, false when it was already in the set.
   */
  add(d: Uint8Array): boolean {
    const [a, b, c, e] = words(d);
    let i = this.slot(a, b, c, e);
    if (this.used[i]) return false;
    if ((this.size + 1) * 2 > this.used.length) {
      this.grow();
      i = this.slot(a, b, c, e);
    }
    this.put(i, a, b, c, e);
    this.size++;
    return true;
  }

  /** The slot holding (a, b, c, e), or the empty slot where it would go (linear probing). */
  private slot(a: number, b: number, c: number, e: number): number {
    const mask = this.used.length - 1;
    // The digest is already uniformly distributed: its first word picks the slot.
    let i = a & mask;
    const w = this.words;
    while (this.used[i] && !(w[4 * i] === a && w[4 * i + 1] === b && w[4 * i + 2] === c && w[4 * i + 3] === e))
      i = (i + 1) & mask;
    return i;
  }

  private put(i: number, a: number, b: number, c: number, e: number): void {
    this.used[i] = 1;
    this.words[4 * i] = a;
    this.words[4 * i + 1] = b;
    this.words[4 * i + 2] = c;
    this.words[4 * i + 3] = e;
  }

  private grow(): void {
    const { words, used } = this;
    this.words = new Uint32Array(words.length * 2);
    this.used = new Uint8Array(used.length * 2);
    for (let i = 0; i < used.length; i++) {
      if (!used[i]) continue;
      const a = words[4 * i]!;
      const b = words[4 * i + 1]!;
      const c = words[4 * i + 2]!;
      const e = words[4 * i + 3]!;
      this.put(this.slot(a, b, c, e), a, b, c, e);
    }
  }
}
