import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readGoldenCsv } from "../../../src/datasets/golden.ts";
import { containment, contentWords, overlapsGolden } from "../../../src/datasets/overlap.ts";
import { questionOfThread, sftExampleFromThread } from "../../../src/datasets/sft.ts";
import { importThreads, readThreadsJsonl } from "../../../src/reddit/import.ts";
import type { Thread } from "../../../src/reddit/thread.ts";
import { HAS_SHARED_DATA, SHARED_DATA } from "../../helpers/paths.ts";

describe("golden-overlap leakage guard", () => {
  it("content words drop stopwords, short words and case", () => {
    expect([...contentWords("What are the BEST camp meals for a 3-day trip? I'm new")].sort()).toEqual([
      "camp",
      "day",
      "meals",
      "new",
      "trip",
    ]);
    expect(containment(new Set(["a", "b"]), new Set(["a"]))).toBe(0.5);
    expect(containment(new Set(), new Set(["a"]))).toBe(0);
  });

  it("flags a thread whose title is a golden question's topic and whose body covers it", () => {
    const golden = [contentWords("Which neighbourhood in Lisbon is best for a first visit with kids?")];
    expect(
      overlapsGolden("Lisbon neighbourhood for first visit", "We go with kids in May; which area is best?", golden),
    ).toBe(0);
    expect(overlapsGolden("Porto food tips", "Where to eat francesinha?", golden)).toBe(-1);
    // the title matches but the thread is about something else: both directions are required
    expect(
      overlapsGolden("Lisbon neighbourhood visit", "Selling my tram ticket.", [
        contentWords(
          "Which neighbourhood in Lisbon has the best nightlife, cheap bars, live fado music and late restaurants?",
        ),
      ]),
    ).toBe(-1);
  });

  it.skipIf(!HAS_SHARED_DATA)(
    "on the seed study's data: catches 6 of the 10 threads its golden questions came from, flags 1 of 2,000 unrelated posts",
    async () => {
      const golden = await readGoldenCsv(join(SHARED_DATA, "wanderchat", "golden_answers.csv"));
      const words = golden.items.map((g) => contentWords(g.question));
      const out = join(mkdtempSync(join(tmpdir(), "wf-overlap-")), "threads.jsonl");
      await importThreads({
        inputs: [
          { path: join(SHARED_DATA, "wanderchat", "golden_reddit_threads.csv"), format: "threads-csv" },
          { path: join(SHARED_DATA, "reddit-top-2013", "solotravel.csv"), format: "reddit-csv" },
          { path: join(SHARED_DATA, "reddit-top-2013", "backpacking.csv"), format: "reddit-csv" },
        ],
        outFile: out,
      });
      const flagged: { title: string; golden: string; withComments: boolean }[] = [];
      for await (const t of readThreadsJsonl(out)) {
        const i = overlapsGolden(t.post.title, t.post.selftext, words);
        if (i >= 0)
          flagged.push({ title: t.post.title, golden: golden.items[i]!.id, withComments: t.comments.length > 0 });
      }
      const sources = flagged.filter((f) => f.withComments);
      expect(sources.map((f) => f.golden)).toEqual(["1", "2", "3", "5", "6", "8"]);
      expect(flagged.filter((f) => !f.withComments)).toHaveLength(1);
    },
  );
});

describe("SFT examples from threads", () => {
  const thread = (comments: [string, number, number][]): Thread => ({
    post: {
      id: "p",
      name: "t3_p",
      subreddit: "travel",
      title: "Lisbon in March?",
      selftext: "Is it rainy?",
      author: "x",
      score: 5,
      upvote_ratio: 0.9,
      num_comments: comments.length,
      created_utc: 1,
      permalink: "/r/travel/comments/p/",
      url: null,
      over_18: false,
      link_flair_text: null,
      removed_by_category: null,
      is_self: true,
      stickied: false,
      distinguished: null,
      edited: false,
    },
    comments: comments.map(([body, score, depth], i) => ({
      id: `c${i}`,
      name: `t1_c${i}`,
      parent_id: depth ? "t1_c0" : "t3_p",
      link_id: "t3_p",
      body,
      author: "y",
      score,
      created_utc: 10 + i,
      depth,
      distinguished: null,
      stickied: false,
      is_submitter: false,
      edited: false,
    })),
    source: { kind: "test", file: "inline" },
  });
  const o = { systemPrompt: "S", minTargetChars: 10, maxTargetChars: 200, minTargetScore: 1 };

  it("takes the best-scored top-level comment, never a reply", () => {
    const r = sftExampleFromThread(
      thread([
        ["Bring a raincoat, it often rains.", 3, 0],
        ["Reply with the highest score of all.", 99, 1],
        ["Mild and sunny most days in March.", 7, 0],
      ]),
      o,
    );
    expect(r).toEqual({
      messages: [
        { role: "system", content: "S" },
        { role: "user", content: "Lisbon in March?\n\nIs it rainy?" },
        { role: "assistant", content: "Mild and sunny most days in March." },
      ],
      meta: { thread: "t3_p", subreddit: "travel", target: "t1_c2", targetScore: 7 },
    });
  });

  it("says why a thread gives no example", () => {
    expect(sftExampleFromThread(thread([]), o)).toBe("no-top-level-comment");
    expect(sftExampleFromThread(thread([["Too short", 5, 0]]), o)).toBe("target-too-short");
    expect(sftExampleFromThread(thread([["Long enough answer here.", 0, 0]]), o)).toBe("target-score-too-low");
    expect(sftExampleFromThread(thread([["x".repeat(201), 5, 0]]), o)).toBe("target-too-long");
    expect(questionOfThread(thread([]))).toBe("Lisbon in March?\n\nIs it rainy?");
  });
});
