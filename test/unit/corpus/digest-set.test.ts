import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DigestSet } from "../../../src/corpus/digest-set.ts";

const digest = (s: string) => createHash("sha256").update(s).digest();

describe("DigestSet", () => {
  it("answers exactly as a Set of the digests' first 16 bytes, through many growths", () => {
    const set = new DigestSet();
    const reference = new Set<string>();
    let seed = 9;
    for (let i = 0; i < 60_000; i++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      const d = digest(`text ${seed % 25_000}`); // ~60% repeats
      const key = d.subarray(0, 16).toString("hex");
      expect(set.add(d)).toBe(!reference.has(key));
      reference.add(key);
    }
    expect(set.size).toBe(reference.size);
    expect(set.size).toBeGreaterThan(20_000);
  });

  it("tells digests apart that share their first word (the slot) but not the rest", () => {
    const set = new DigestSet();
    const a = Buffer.alloc(16, 1);
    const b = Buffer.from(a);
    b[15] = 2;
    expect(set.add(a)).toBe(true);
    expect(set.add(b)).toBe(true);
    expect(set.add(Buffer.from(a))).toBe(false);
    expect(set.add(Buffer.concat([b, Buffer.from([7, 7])]))).toBe(false); // only 16 bytes count
    expect(set.size).toBe(2);
  });

  it("refuses a digest shorter than 16 bytes", () => {
    expect(() => new DigestSet().add(new Uint8Array(8))).toThrow(/8 bytes; need at least 16/);
  });
});
