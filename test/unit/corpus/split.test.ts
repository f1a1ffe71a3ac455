import { describe, expect, it } from "vitest";
import { assignSplits } from "../../../src/corpus/split.ts";

const threads = [
  ...Array.from({ length: 100 }, (_, i) => ({ name: `t3_a${i}`, subreddit: "a" })),
  ...Array.from({ length: 10 }, (_, i) => ({ name: `t3_b${i}`, subreddit: "b" })),
  { name: "t3_c0", subreddit: "c" },
];
const ratios = { train: 0.8, validation: 0.1, test: 0.1 };

function counts(m: Map<string, string>, sub: string) {
  const c = { train: 0, validation: 0, test: 0 } as Record<string, number>;
  for (const [name, s] of m) if (name.startsWith(`t3_${sub}`)) c[s]!++;
  return c;
}

describe("assignSplits", () => {
  it("stratifies by subreddit with exact per-stratum counts", () => {
    const m = assignSplits({ threads, ratios, seed: 1 });
    expect(m.size).toBe(111);
    expect(counts(m, "a")).toEqual({ train: 80, validation: 10, test: 10 });
    expect(counts(m, "b")).toEqual({ train: 8, validation: 1, test: 1 });
    expect(counts(m, "c")).toEqual({ train: 1, validation: 0, test: 0 });
  });

  it("is deterministic per seed, independent of input order, and changes with the seed", () => {
    const a = assignSplits({ threads, ratios, seed: 7 });
    const b = assignSplits({ threads: [...threads].reverse(), ratios, seed: 7 });
    const c = assignSplits({ threads, ratios, seed: 8 });
    expect([...b.entries()].sort()).toEqual([...a.entries()].sort());
    const differ = [...a].filter(([k, v]) => c.get(k) !== v).length;
    expect(differ).toBeGreaterThan(5);
  });
});
