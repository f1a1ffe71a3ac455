/**
 * The post-processing rules remove, never rewrite: on the seed study's real model outputs every rule's output is
 * the input with whole pieces cut out (its words a subsequence of the input's words, each kept sentence verbatim),
 * and the study's `(.+)\1 -> \1` damage (doubled letters collapsed) is a regression case none of them produces.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { PostprocessSchema, postprocessRulesOf } from "../../../src/config/postprocess.ts";
import {
  applyPostprocess,
  dropRepeatedSentences,
  extractRaftAnswer,
  type PostprocessRule,
  trimUnfinishedSentence,
} from "../../../src/models/postprocess.ts";
import { HAS_SHARED_DATA, SHARED_DATA } from "../../helpers/paths.ts";

const ALL: PostprocessRule[] = [
  { rule: "raft-answer", keep: "answer" },
  { rule: "drop-repeated-sentences" },
  { rule: "trim-unfinished-sentence", minKeep: 0.3, onlyWhenCut: false },
];

/** The seed study's post-processing regex (it collapsed every doubled letter: "planned" -> "planed"). */
const studyCollapse = (text: string) => text.replace(/(.+)\1/g, "$1");

const words = (s: string) => s.split(/\s+/).filter(Boolean);
/** True when `sub`'s words appear in `text`'s words in order, each unchanged. */
function wordsAreSubsequence(sub: string, text: string): boolean {
  const all = words(text);
  let i = 0;
  for (const w of words(sub)) {
    while (i < all.length && all[i] !== w) i++;
    if (i === all.length) return false;
    i++;
  }
  return true;
}

/** Text of a travel answer that has everything the study's regex broke, and a loop of repeated sentences. */
const INTACT =
  "It sounds like a fantastic trip you have planned, and I'm all in for making the dining experience as memorable as the journey! " +
  "Book the 10:00 ferry (€12.50, about 1000 seats) at https://www.reddit.com/r/travel/comments/abc123/ — I'd suggest carrying 10lbs of food. " +
  "Café Ñandú in Zürich serves coffee until 22:00. Café Ñandú in Zürich serves coffee until 22:00. " +
  "Don't miss the Ponte Vecchio. Don't miss the Ponte Vecchio. Also the bookshop";

describe("post-processing rules", () => {
  it("raft-answer: the text after the last <ANSWER>:, or all of it with keep reasoning", () => {
    const raft =
      'Step 1: the context says ##begin_quote##"I live in Vancouver"##end_quote##.\n\n<ANSWER>: Vancouver, BC — café included.';
    expect(extractRaftAnswer(raft)).toEqual({ text: "Vancouver, BC — café included.", extracted: true });
    expect(extractRaftAnswer(raft, "reasoning")).toEqual({ text: raft, extracted: false });
    expect(extractRaftAnswer("No marker here.")).toEqual({ text: "No marker here.", extracted: false });
    expect(extractRaftAnswer("Reasoning. <ANSWER>:   ")).toEqual({ text: "Reasoning. <ANSWER>:", extracted: false });
  });

  it("drop-repeated-sentences keeps the first of each sentence and everything else verbatim", () => {
    const r = dropRepeatedSentences(INTACT);
    expect(r.dropped).toBe(2);
    expect(r.text).toBe(
      "It sounds like a fantastic trip you have planned, and I'm all in for making the dining experience as memorable as the journey! " +
        "Book the 10:00 ferry (€12.50, about 1000 seats) at https://www.reddit.com/r/travel/comments/abc123/ — I'd suggest carrying 10lbs of food. " +
        "Café Ñandú in Zürich serves coffee until 22:00. " +
        "Don't miss the Ponte Vecchio. Also the bookshop",
    );
    expect(dropRepeatedSentences("Go. go. Go!\nGo.\n\nGo.")).toEqual({ text: "Go. go. Go!", dropped: 2 });
    expect(dropRepeatedSentences("One.\n\nTwo.  One.\nThree")).toEqual({ text: "One.\n\nTwo.  Three", dropped: 1 });
  });

  it("trim-unfinished-sentence drops only the unfinished tail, and only when cut unless told otherwise", () => {
    expect(trimUnfinishedSentence(INTACT)).toBe(INTACT.slice(0, INTACT.lastIndexOf("Also the bookshop")).trimEnd());
    const cutOnly: PostprocessRule[] = [{ rule: "trim-unfinished-sentence", minKeep: 0.3, onlyWhenCut: true }];
    expect(applyPostprocess(INTACT, "stop", cutOnly)).toEqual({ text: INTACT, applied: [] });
    expect(applyPostprocess(INTACT, "length", cutOnly).applied).toEqual(["trim-unfinished-sentence"]);
  });

  it("regression: the study's regex damages this text; no rule (nor all of them) produces the damage", () => {
    const damaged = studyCollapse(INTACT);
    expect(damaged).toContain("planed, and I'm al in for making the ding experience");
    expect(damaged).not.toBe(INTACT);
    for (const rules of [...ALL.map((r) => [r]), ALL]) {
      const out = applyPostprocess(INTACT, "length", rules).text;
      expect(out).not.toBe(damaged);
      expect(wordsAreSubsequence(out, INTACT)).toBe(true);
      for (const w of ["planned,", "all", "dining", "carrying", "food.", "10:00", "(€12.50,", "1000"]) {
        if (!out.includes("It sounds")) continue;
        expect(words(out)).toContain(w);
      }
    }
    const all = applyPostprocess(INTACT, "length", ALL).text;
    for (const kept of [
      "https://www.reddit.com/r/travel/comments/abc123/",
      "Café Ñandú in Zürich",
      "€12.50",
      "1000 seats",
    ])
      expect(all).toContain(kept);
  });

  it.skipIf(!HAS_SHARED_DATA)("on the study's real outputs every rule only removes: words unchanged, in order", () => {
    const rows = parse(readFileSync(join(SHARED_DATA, "wanderchat", "golden_model_outputs.csv")), {
      columns: true,
    }) as Record<string, string>[];
    const columns = Object.keys(rows[0]!).filter((c) => c.endsWith("Output"));
    expect(columns.length).toBe(6);
    let texts = 0;
    let changed = 0;
    for (const row of rows) {
      for (const c of columns) {
        const text = row[c]!;
        if (!text.trim()) continue;
        texts++;
        // the golden CSV already carries the study's damage: applying its regex again changes it further,
        // ours must not (a damaged text stays exactly as damaged as it was)
        for (const rules of [...ALL.map((r) => [r]), ALL]) {
          const out = applyPostprocess(text, "length", rules);
          expect(wordsAreSubsequence(out.text, text), `${c} row ${row.Index}: ${out.applied}`).toBe(true);
          if (out.text !== text.trim()) changed++;
        }
        const deduped = dropRepeatedSentences(text).text;
        expect(text.includes(deduped.slice(0, 200))).toBe(true);
        expect(text.trim().startsWith(trimUnfinishedSentence(text))).toBe(true);
        expect(text.trimEnd().endsWith(extractRaftAnswer(text).text)).toBe(true);
      }
    }
    expect(texts).toBeGreaterThan(200);
    expect(changed).toBeGreaterThan(50);
  });

  it("config: names or {rule, options}; bad names are one clear error; the old trimUnfinishedSentence still works", () => {
    expect(PostprocessSchema.parse(["drop-repeated-sentences", { rule: "raft-answer", keep: "reasoning" }])).toEqual([
      { rule: "drop-repeated-sentences" },
      { rule: "raft-answer", keep: "reasoning" },
    ]);
    expect(PostprocessSchema.parse(["trim-unfinished-sentence"])).toEqual([
      { rule: "trim-unfinished-sentence", minKeep: 0.3, onlyWhenCut: true },
    ]);
    const bad = PostprocessSchema.safeParse(["collapse-doubles"]);
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.message).toContain("expected a rule name");
    expect(postprocessRulesOf({ trimUnfinishedSentence: true }, {})).toEqual([
      { rule: "trim-unfinished-sentence", minKeep: 0.3, onlyWhenCut: true },
    ]);
    expect(postprocessRulesOf({ trimUnfinishedSentence: false }, {})).toEqual([]);
    expect(postprocessRulesOf({ trimUnfinishedSentence: true, postprocess: [] }, { postprocess: [ALL[0]!] })).toEqual([
      ALL[0],
    ]);
  });
});
