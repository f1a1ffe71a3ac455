import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../../src/cli/main.ts";
import { checkCotAnswer, checkRaftFile, extractQuotes, quoteFound } from "../../../src/datasets/raft-check.ts";

const dir = mkdtempSync(join(tmpdir(), "wayfarer-raft-check-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ORACLE = "I live in Vancouver as well and booking a flight to Colombia recently   I noticed its much cheaper";

describe("checkCotAnswer", () => {
  it("finds quotes per mode and counts the answer tag", () => {
    const ok = checkCotAnswer(`Step 1 ##begin_quote##I live in Vancouver##end_quote##.\n<ANSWER>: Vancouver`, ORACLE);
    expect(ok).toMatchObject({
      quotes: ["I live in Vancouver"],
      markersBalanced: true,
      answerTags: 1,
      answer: "Vancouver",
      failures: [],
    });
    const wrapped = checkCotAnswer(
      `##begin_quote##"recently I noticed its much cheaper."##end_quote## <ANSWER>: cheaper`,
      ORACLE,
    );
    expect(wrapped.quotesFound).toEqual({ strict: 0, whitespace: 0, lenient: 1 });
    expect(wrapped.failures).toEqual(["quote-not-in-oracle"]);
    expect(
      checkCotAnswer(`##begin_quote##recently I noticed##end_quote## <ANSWER>: x`, ORACLE, { mode: "whitespace" })
        .failures,
    ).toEqual([]);
    expect(checkCotAnswer("no tag at all", ORACLE, { requireQuote: true }).failures).toEqual([
      "no-answer-tag",
      "no-quote",
    ]);
    expect(checkCotAnswer("<ANSWER>: a <ANSWER>: b", ORACLE).failures).toEqual(["several-answer-tags"]);
    expect(checkCotAnswer("reasoning <ANSWER>:   ", ORACLE).failures).toEqual(["empty-answer"]);
  });

  it("balanced markers alternate and close", () => {
    expect(extractQuotes("##begin_quote##a##end_quote## ##begin_quote##b##end_quote##")).toEqual({
      quotes: ["a", "b"],
      balanced: true,
    });
    expect(extractQuotes("##begin_quote##a").balanced).toBe(false);
    expect(extractQuotes("a##end_quote##").balanced).toBe(false);
    expect(extractQuotes("##begin_quote##a##begin_quote##b##end_quote##")).toEqual({ quotes: ["b"], balanced: false });
    expect(quoteFound("", ORACLE, "strict")).toBe(false);
    expect(quoteFound(' "  " ', ORACLE, "lenient")).toBe(false);
  });
});

const STUDY = "../shared/data/wanderchat/raft_reddit_openai_cot.jsonl";

describe("wayfarer raft check", () => {
  // ../shared/data is absent in a fresh clone (see its README): skipped there, named in the skip
  it.skipIf(!existsSync(STUDY))(
    "counts a file with real records and malformed lines, naming file:line and field (needs ../shared/data)",
    async () => {
      const real = readFileSync(STUDY, "utf8").split("\n").slice(0, 3);
      const broken = JSON.parse(real[0]!) as Record<string, unknown>;
      delete broken.cot_answer;
      const badContext = {
        ...(JSON.parse(real[1]!) as Record<string, unknown>),
        context: { title: [], sentences: [[1, 2]] },
      };
      const file = join(dir, "mixed.jsonl");
      writeFileSync(
        file,
        [...real, "", "{not json", JSON.stringify(broken), JSON.stringify(badContext), "[1]"].join("\n"),
      );
      const out: string[] = [];
      const err: string[] = [];
      const ctx = {
        cwd: dir,
        env: {},
        out: (s: string) => out.push(s),
        err: (s: string) => err.push(s),
        interactive: false,
      };
      expect(await main(["raft", "check", "mixed.jsonl", "--json"], ctx)).toBe(0);
      const [counts] = JSON.parse(out.join("")) as [Awaited<ReturnType<typeof checkRaftFile>>];
      const direct = await checkRaftFile(file);
      expect(counts).toEqual(direct);
      expect(counts).toMatchObject({ lines: 7, records: 3, malformed: 4, oracleInContext: 3, answerTagExactlyOnce: 3 });
      expect(counts.malformedLines).toEqual([
        { file, line: 5, field: "(line)", reason: expect.stringMatching(/^invalid JSON/) },
        { file, line: 6, field: "cot_answer", reason: "missing" },
        { file, line: 7, field: "context.sentences[0]", reason: "expected strings" },
        { file, line: 8, field: "(line)", reason: "not a JSON object" },
      ]);
      // the first record quotes "I live in Vancouver" wrapped in quotation marks: found only by the lenient mode
      expect(counts.allQuotesVerbatim.strict).toBeLessThan(counts.allQuotesVerbatim.lenient);

      out.length = 0;
      expect(await main(["raft", "check", "mixed.jsonl"], ctx)).toBe(0);
      const text = out.join("");
      expect(text).toContain(`${file}:6 field "cot_answer": missing`);
      expect(text).toMatch(/all quotes verbatim\s+strict \d+ \([\d.]+%\), whitespace \d+ \([\d.]+%\), lenient \d+/);
      expect(text).toMatch(/records\s+3 {2}\(7 lines, 4 malformed\)/);
    },
  );

  it("a missing file is one line naming it, exit 1", async () => {
    const err: string[] = [];
    const ctx = { cwd: dir, env: {}, out: () => {}, err: (s: string) => err.push(s), interactive: false };
    expect(await main(["raft", "check", "nope.jsonl"], ctx)).toBe(1);
    expect(err.join("")).toBe(`wayfarer: ${join(dir, "nope.jsonl")}: no such file\n`);
  });
});
