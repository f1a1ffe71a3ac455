import { describe, expect, it } from "vitest";
import { assignSplits, planSplits } from "../../../src/corpus/split.ts";

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

describe("planSplits: strata too small to stratify", () => {
  // the quick start's shape: 10 subreddits of 4 threads; stratified, test 0.1 rounds to 0 in each
  const quick = Array.from({ length: 10 }, (_, s) =>
    Array.from({ length: 4 }, (_, i) => ({ name: `t3_s${s}x${i}`, subreddit: `sub${s}` })),
  ).flat();

  it("pools subreddits below 1 / smallest ratio, splits them unstratified and says so once", () => {
    const plan = planSplits({ threads: quick, ratios, seed: 42 });
    const got = { train: 0, validation: 0, test: 0 } as Record<string, number>;
    for (const s of plan.assignment.values()) got[s]!++;
    expect(got).toEqual({ train: 32, validation: 4, test: 4 });
    expect(plan.pooled).toHaveLength(10);
    expect(plan.warnings).toHaveLength(1);
    expect(plan.warnings[0]).toMatch(
      /^10 subreddit\(s\) have fewer than 10 threads, too few to stratify .*their 40 threads were split together, unstratified \(sub0, sub1,/,
    );
  });

  it("keeps large strata stratified exactly and pools only the small ones", () => {
    const plan = planSplits({ threads: [...threads, ...quick], ratios, seed: 1 });
    expect(counts(plan.assignment, "a")).toEqual({ train: 80, validation: 10, test: 10 });
    expect(counts(plan.assignment, "b")).toEqual({ train: 8, validation: 1, test: 1 });
    // c (1 thread) and the ten 4-thread subreddits: 41 threads cut together (33 / 4 / 4)
    expect(plan.pooled).toEqual(["c", ...Array.from({ length: 10 }, (_, s) => `sub${s}`)]);
    const pooled = [...plan.assignment].filter(([n]) => n.startsWith("t3_s") || n === "t3_c0").map(([, s]) => s);
    expect(pooled.filter((s) => s === "test")).toHaveLength(4);
    expect(pooled.filter((s) => s === "validation")).toHaveLength(4);
  });

  it("warns when a requested split still gets no thread, and is silent when nothing is wrong", () => {
    const tiny = planSplits({ threads: quick.slice(0, 3), ratios, seed: 1 });
    expect(
      tiny.warnings.filter((w) => /split "test" got 0 of 3 threads although 0.1 was asked for/.test(w)),
    ).toHaveLength(1);
    expect(planSplits({ threads, ratios: { train: 1, validation: 0, test: 0 }, seed: 1 }).warnings).toEqual([]);
    expect(planSplits({ threads: threads.slice(0, 110), ratios, seed: 1 }).warnings).toEqual([]);
  });
});
