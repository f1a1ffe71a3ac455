/**
 * corpus.focus: whole-word, case- and accent-insensitive place matching, and the focus filter in buildCorpus on
 * the shared 2013 posts (r/london and r/paris): counts by subreddit and by mention in the card, the rest dropped.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildCorpus } from "../../../src/corpus/clean.ts";
import { compileFocus } from "../../../src/corpus/focus.ts";
import { importThreads, readThreadsJsonl } from "../../../src/reddit/import.ts";
import { HAS_SHARED_DATA, SHARED_DATA } from "../../helpers/paths.ts";

describe("place matching", () => {
  const lisbon = compileFocus({
    place: "Lisbon",
    aliases: ["lisboa", "Alfama", "belém", "Cais do Sodré"],
    subreddits: ["r/lisbon"],
  });
  it("matches whole words, any case, with or without accents, multi-word aliases across punctuation", () => {
    expect(lisbon.match("travel", "Two days in LISBON?", "")).toBe("mention");
    expect(lisbon.match("travel", "Tips", "We stayed in Belem near the tower")).toBe("mention");
    expect(lisbon.match("travel", "Tips", "nightlife around cais-do-sodre")).toBe("mention");
    expect(lisbon.match("Lisbon", "Anything", "")).toBe("subreddit");
    expect(lisbon.match("travel", "Lisboeta food", "alfamaX is not a place")).toBeNull();
    expect(lisbon.match("travel", "Porto or Madrid?", "")).toBeNull();
  });
  it("does not match a longer name that starts with the place", () => {
    const london = compileFocus({ place: "London", aliases: [], subreddits: [] });
    expect(london.match("travel", "Londonderry walls", "")).toBeNull();
    expect(london.match("travel", "London's best pubs", "")).toBe("mention");
  });
});

describe.skipIf(!HAS_SHARED_DATA)("the focus filter on the shared 2013 posts", () => {
  it("keeps r/london plus posts that mention London, and counts both in the card", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wf-focus-"));
    const threads = join(dir, "threads.jsonl");
    await importThreads({
      inputs: [
        { path: join(SHARED_DATA, "reddit-top-2013", "london.csv"), format: "reddit-csv" },
        { path: join(SHARED_DATA, "reddit-top-2013", "paris.csv"), format: "reddit-csv" },
      ],
      outFile: threads,
    });
    const card = await buildCorpus({
      inFile: threads,
      outDir: join(dir, "corpus"),
      options: { focus: { place: "London", aliases: ["londres"], subreddits: ["london"] }, language: { posts: false } },
    });
    const f = card.filters.find((x) => x.id === "focus")!;
    expect(f.enabled).toBe(true);
    expect(card.focus!.keptBySubreddit + card.focus!.keptByMention).toBe(card.output.threads);
    expect(card.focus!.keptBySubreddit).toBeGreaterThan(500);
    expect(card.focus!.keptByMention).toBeGreaterThan(0);
    expect(f.in - f.out).toBeGreaterThan(500); // most r/paris posts
    const subs = new Map<string, number>();
    for await (const t of readThreadsJsonl(join(dir, "corpus", "threads.jsonl"))) {
      subs.set(t.post.subreddit.toLowerCase(), (subs.get(t.post.subreddit.toLowerCase()) ?? 0) + 1);
      if (t.post.subreddit.toLowerCase() !== "london")
        expect(`${t.post.title} ${t.post.selftext}`).toMatch(/london|londres/i);
    }
    expect(subs.get("paris")).toBe(card.focus!.keptByMention);
  });
});
