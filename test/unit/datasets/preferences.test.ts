/**
 * Preference pairs: Reddit-vote pairs (margin, ratio, malformed threads), human and judge sources, the filters
 * (identical, identical after truncation in SmolLM2's own tokens), and the separability report — which flags
 * the seed study's rule-built pairs rebuilt from the shared WanderChat threads and leaves a coin-flip set alone.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  filterPairs,
  humanPairs,
  judgePairs,
  type PreferencePair,
  redditVotePairs,
  ruleQuarterPair,
  type SkipCounts,
  type Tokenizer,
} from "../../../src/datasets/preferences.ts";
import { separabilityReport, surfaceFeatures } from "../../../src/datasets/separability.ts";
import { LlamaRuntime } from "../../../src/models/llama-generator.ts";
import { readThreadsCsv } from "../../../src/reddit/formats/threads-csv.ts";
import { ImportTally } from "../../../src/reddit/report.ts";
import type { Thread } from "../../../src/reddit/thread.ts";
import { HAS_SHARED_DATA, HAS_SMOLLM2, SHARED_DATA, SMOLLM2_GGUF } from "../../helpers/paths.ts";
import { makeComment, makePost, makeThread } from "../../helpers/threads.ts";

const SYS = "sys";
const votes = {
  kind: "reddit-votes" as const,
  minScoreMargin: 5,
  minScoreRatio: 2,
  maxPairsPerThread: 1,
  minChars: 5,
  systemPrompt: SYS,
};

describe("Reddit-vote pairs", () => {
  const t = makeThread(makePost("p1", { title: "Tokyo in March?", selftext: "" }), [
    makeComment("a", "t3_p1", "Go to Ueno park for the blossoms.", { score: 40 }),
    makeComment("b", "t3_p1", "Shinjuku Gyoen is quieter.", { score: 12 }),
    makeComment("c", "t3_p1", "Meh, stay home instead.", { score: 1 }),
    makeComment("d", "t1_a", "Agreed, Ueno is great.", { score: 90 }),
  ]);
  it("chooses the best top-level answer over the lowest one that passes margin and ratio", () => {
    const r = redditVotePairs(t, votes) as PreferencePair[];
    expect(r).toHaveLength(1);
    expect(r[0]!.chosen[0]!.content).toBe("Go to Ueno park for the blossoms.");
    expect(r[0]!.rejected[0]!.content).toBe("Meh, stay home instead.");
    expect(r[0]!.margin).toBe(39);
    expect(r[0]!.prompt).toEqual([
      { role: "system", content: SYS },
      { role: "user", content: "Tokyo in March?" },
    ]);
    expect(r[0]!.meta).toMatchObject({ chosen_comment: "t1_a", rejected_comment: "t1_c", chosen_score: 40 });
    // two pairs per thread when allowed: c then b (12 passes margin 28 and ratio 3.3)
    const two = redditVotePairs(t, { ...votes, maxPairsPerThread: 5 }) as PreferencePair[];
    expect(two.map((p) => p.meta.rejected_comment)).toEqual(["t1_c", "t1_b"]);
    // a ratio of 4 keeps only c (40/12 = 3.3 < 4)
    expect((redditVotePairs(t, { ...votes, minScoreRatio: 4, maxPairsPerThread: 5 }) as PreferencePair[]).length).toBe(
      1,
    );
    expect(redditVotePairs(t, { ...votes, minScoreMargin: 100 })).toBe("no-pair-passes-margin");
  });
  it("counts malformed threads instead of failing: empty or deleted comments, one answer, no question", () => {
    const empty = makeThread(makePost("p2", { title: "Q?" }), [
      makeComment("a", "t3_p2", "   ", { score: 50 }),
      makeComment("b", "t3_p2", "[deleted]", { score: 1 }),
      makeComment("c", "t3_p2", "Only real answer here.", { score: 1 }),
    ]);
    expect(redditVotePairs(empty, votes)).toBe("fewer-than-two-answers");
    expect(redditVotePairs(makeThread(makePost("p3", { title: " ", selftext: "" }), []), votes)).toBe("empty-question");
    expect(ruleQuarterPair(makeThread(makePost("p4", { title: "Q?" }), [makeComment("a", "t3_p4", "  ")]), SYS)).toBe(
      "no-comments",
    );
    expect(ruleQuarterPair(makeThread(makePost("p5", { title: "Q?" }), [makeComment("a", "t3_p5", "ok")]), SYS)).toBe(
      "empty-text",
    );
  });
});

describe("human and judge pairs", () => {
  it("merges human choices per answer pair by majority; an even split is counted", () => {
    const row = (rater: string, chosen: string, item = "q1") => ({
      prompt: `Question ${item}`,
      chosen: chosen === "x" ? "answer x" : "answer y",
      rejected: chosen === "x" ? "answer y" : "answer x",
      provenance: {
        source: "human-pairwise" as const,
        experiment: "e",
        item_id: item,
        rater,
        chosen_variant: chosen,
        rejected_variant: chosen === "x" ? "y" : "x",
        rated_at: "2026-01-01",
      },
    });
    const skipped: SkipCounts = {};
    const out = humanPairs(
      [row("r1", "x"), row("r2", "x"), row("r3", "y"), row("r1", "x", "q2"), row("r2", "y", "q2")],
      SYS,
      skipped,
    );
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ source: "human", margin: 1, chosen: [{ content: "answer x" }] });
    expect(out[0]!.meta).toMatchObject({ item_id: "q1", chosen_variant: "x", raters: 3 });
    expect(skipped).toEqual({ "human-even-split": 1 });
  });
  it("keeps judge verdicts that agree in both orders only", () => {
    const answers = ["base", "tuned"].flatMap((variant) =>
      ["q1", "q2", "q3", "q4"].map((itemId) => ({
        variant,
        itemId,
        question: `Q ${itemId}`,
        answer: `${variant} on ${itemId}`,
      })),
    );
    const v = (itemId: string, verdict: "A" | "B" | "tie" | null, consistent: boolean | null, status = "scored") => ({
      itemId,
      variantA: "base",
      variantB: "tuned",
      status: status as "scored",
      verdict,
      consistent,
    });
    const skipped: SkipCounts = {};
    const out = judgePairs(
      [
        v("q1", "B", true),
        v("q2", "tie", false),
        v("q3", null, null, "unparseable"),
        v("q4", "A", true),
        v("q5", "A", true),
      ],
      answers,
      { systemPrompt: SYS, from: "exp" },
      skipped,
    );
    expect(out.map((p) => [p.chosen[0]!.content, p.rejected[0]!.content])).toEqual([
      ["tuned on q1", "base on q1"],
      ["base on q4", "tuned on q4"],
    ]);
    expect(skipped).toEqual({ "judge-inconsistent": 1, "judge-unparseable": 1, "judge-answer-missing": 1 });
  });
});

describe.skipIf(!HAS_SMOLLM2)("identical and identical after truncation (SmolLM2 tokenizer)", () => {
  let runtime: LlamaRuntime;
  let tokenizer: Tokenizer;
  beforeAll(async () => {
    runtime = await LlamaRuntime.create();
    const model = await runtime.loadModel(SMOLLM2_GGUF);
    tokenizer = { id: "smollm2", tokenize: (t) => model.tokenize(t) as unknown as number[] };
  });
  afterAll(async () => {
    await runtime.dispose();
  });
  it("drops and counts pairs identical after truncation to the training length, keeps the rest", () => {
    const common = "Take the metro from the airport to the centre, it is cheap and fast. ".repeat(8);
    const pair = (c: string, r: string): PreferencePair => ({
      prompt: [
        { role: "system", content: SYS },
        { role: "user", content: "How do I get from the airport to the city?" },
      ],
      chosen: [{ role: "assistant", content: c }],
      rejected: [{ role: "assistant", content: r }],
      source: "reddit-votes",
      margin: 1,
      meta: {},
    });
    const pairs = [
      pair(`${common} Then walk.`, `${common} Then take a taxi.`), // differs only after ~130 tokens
      pair("Take the metro.", "Take a taxi."),
      pair("Same answer.", " Same answer. "),
      pair("", "Something"),
    ];
    const promptTokens = tokenizer.tokenize(`${SYS} How do I get from the airport to the city?`).length;
    const answerTokens = tokenizer.tokenize(common).length;
    expect(answerTokens).toBeGreaterThan(100);
    const skipped: SkipCounts = {};
    const kept = filterPairs(pairs, { tokenizer, maxLength: promptTokens + 64, maxPromptLength: 48 }, skipped);
    expect(kept.map((p) => p.rejected[0]!.content)).toEqual(["Take a taxi."]);
    expect(skipped).toEqual({ "identical-after-truncation": 1, identical: 1, "empty-text": 1 });
    // with room for the whole answers, the long pair is kept
    const roomy: SkipCounts = {};
    expect(filterPairs(pairs.slice(0, 1), { tokenizer, maxLength: 1024, maxPromptLength: 48 }, roomy)).toHaveLength(1);
    expect(roomy).toEqual({});
  });
});

describe("separability report", () => {
  it("measures length and overlap and reports held-out accuracies on a small set", () => {
    const r = separabilityReport(
      [
        { chosen: "a b c d", rejected: "a b" },
        { chosen: "x y", rejected: "x y z w v" },
      ],
      { folds: 2, flagAccuracy: 0.9, l2: 1, seed: 1 },
    );
    expect(r.length).toEqual({ meanWordDiff: -0.5, medianWordDiff: -0.5, chosenLongerShare: 0.5 });
    expect(r.lexicalOverlap).toBeCloseTo((2 / 4 + 2 / 5) / 2, 12);
    expect(r.classifiers.find((c) => c.id === "longer-wins")!.accuracy).toBe(0.5);
    expect(r.triviallySeparable).toBeNull(); // 2 pairs: too few to tell
    expect(surfaceFeatures("Hello there.").slice(3, 7)).toEqual([1, 0, 1, 0]);
    expect(surfaceFeatures("ello there, and").slice(3, 7)).toEqual([0, 1, 0, 1]);
  });

  it.skipIf(!HAS_SHARED_DATA)(
    "flags the seed study's rule-built pairs (first vs last quarter of the comments) on the shared threads, not a coin-flip set",
    async () => {
      const threads: Thread[] = [];
      const file = join(SHARED_DATA, "wanderchat", "golden_reddit_threads.csv");
      for await (const t of readThreadsCsv({ file, tally: new ImportTally(), progress: () => {} })) threads.push(t);
      const rule = threads
        .map((t) => ruleQuarterPair(t, SYS))
        .filter((p): p is PreferencePair => typeof p !== "string");
      expect(rule).toHaveLength(16);
      const o = { folds: 5, flagAccuracy: 0.9, l2: 1, seed: 42 };
      const r = separabilityReport(
        rule.map((p) => ({ chosen: p.chosen[0]!.content, rejected: p.rejected[0]!.content })),
        o,
      );
      // both quarters have the same length: length says nothing, where the text was cut says everything
      expect(r.classifiers.find((c) => c.id === "longer-wins")!.accuracy).toBeLessThan(0.7);
      expect(r.classifiers.find((c) => c.id === "surface-logreg")!.accuracy).toBe(1);
      expect(r.triviallySeparable).toBe(true);
      expect(r.flaggedBy).toEqual(["surface-logreg"]);
      // golden answers of the study paired at random (chosen by a fixed coin): nothing to learn
      const csv = readFileSync(join(SHARED_DATA, "wanderchat", "golden_answers.csv"), "utf8");
      expect(csv.length).toBeGreaterThan(1000);
      const answers = rule.map((p) => p.chosen[0]!.content).concat(rule.map((p) => p.rejected[0]!.content));
      const coin = answers.slice(0, 16).map((a, i) => {
        const b = answers[16 + ((i * 7) % 16)]!;
        const x = i % 2 ? a : b;
        const y = i % 2 ? b : a;
        return { chosen: `${x.slice(0, 60).trim()}.`, rejected: `${y.slice(0, 60).trim()}.` };
      });
      const c = separabilityReport(coin, o);
      expect(c.triviallySeparable).toBe(false);
    },
  );
});
