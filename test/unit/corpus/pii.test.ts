import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { buildCorpus } from "../../../src/corpus/clean.ts";
import { evaluatePii, findPii, type LabelledSnippet, scrubPii } from "../../../src/corpus/pii.ts";
import { makeComment, makePost } from "../../helpers/threads.ts";

const SET = fileURLToPath(new URL("../../fixtures/pii/snippets.jsonl", import.meta.url));
const snippets = readFileSync(SET, "utf8")
  .split("\n")
  .filter(Boolean)
  .map((l) => JSON.parse(l) as LabelledSnippet);

describe("PII scrubber", () => {
  it("replaces each type with its placeholder and keeps look-alikes", () => {
    expect(
      scrubPii(
        "Thanks u/solo_sam! Mail a.b@x.org or call +44 7911 123456; I'm at 18 Willow Lane. instagram.com/lucy.travels",
      ).text,
    ).toBe("Thanks [USER]! Mail [EMAIL] or call [PHONE]; I'm at [ADDRESS]. [URL]");
    const keep =
      "r/travel costs $1,250 from 1999-2003, train 9044 at 10:30, 2023-11-05, ISBN 978-3-16-148410-0, https://www.booking.com/x, dropbox.com/sh/abc";
    expect(findPii(keep)).toEqual([]);
    expect(scrubPii("no pii here").counts).toEqual({});
  });

  it("is measured on >= 200 labelled snippets with recall >= 0.95 for emails, phones and usernames", () => {
    expect(snippets.length).toBeGreaterThanOrEqual(200);
    const q = Object.fromEntries(evaluatePii(snippets).map((r) => [r.type, r]));
    for (const t of ["EMAIL", "PHONE", "USER"]) expect(q[t]!.recall).toBeGreaterThanOrEqual(0.95);
    for (const t of ["USER", "EMAIL", "PHONE", "ADDRESS", "URL"]) {
      expect(q[t]!.support).toBeGreaterThanOrEqual(15);
      expect(q[t]!.precision).toBeGreaterThanOrEqual(0.9);
    }
  });

  it("evaluatePii counts misses and false alarms", () => {
    const r = evaluatePii([
      { text: "call 0612345678 now", pii: [] }, // false positive
      { text: "mail me: bob at home", pii: [{ type: "EMAIL", text: "bob at home" }] }, // missed
    ]);
    expect(r.find((x) => x.type === "PHONE")).toEqual({ type: "PHONE", support: 0, precision: 0, recall: 1 });
    expect(r.find((x) => x.type === "EMAIL")).toEqual({ type: "EMAIL", support: 1, precision: 1, recall: 0 });
  });

  it("buildCorpus scrubs PII and reports replacements and quality in the card", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wf-pii-"));
    const inFile = join(dir, "raw.jsonl");
    const thread = {
      post: makePost("a", {
        title: "Ask u/someone",
        selftext: "mail x.y@gmail.com",
        author: null,
        score: 5,
        upvote_ratio: null,
        num_comments: 1,
        created_utc: 1,
        permalink: "",
      }),
      comments: [
        makeComment("c", "t3_a", "call +33 6 12 34 56 78", { link_id: "t3_a", author: "b", score: 1, created_utc: 2 }),
      ],
      source: { kind: "reddit-json", file: "x" },
    };
    writeFileSync(inFile, `${JSON.stringify(thread)}\n`);
    const card = await buildCorpus({ inFile, outDir: join(dir, "out"), options: {}, piiLabelledSet: SET });
    const out = JSON.parse(readFileSync(join(dir, "out", "threads.jsonl"), "utf8"));
    expect([out.post.title, out.post.selftext, out.comments[0].body]).toEqual([
      "Ask [USER]",
      "mail [EMAIL]",
      "call [PHONE]",
    ]);
    expect(card.pii!.replaced).toEqual({ USER: 1, EMAIL: 1, PHONE: 1 });
    expect(card.pii!.snippets).toBe(snippets.length);
    expect(card.pii!.types.map((t) => t.type)).toEqual(["USER", "EMAIL", "PHONE", "ADDRESS", "URL"]);
    expect(readFileSync(join(dir, "out", "corpus-card.md"), "utf8")).toContain("| EMAIL | 45 |");
  });
});
