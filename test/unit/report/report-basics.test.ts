/**
 * Report basics: each metric's scale and direction, read-this-first flags (answers cut at the token
 * limit, an adapter trained on too few examples), git commit and library versions, and the human
 * section's warnings said once — in report.json, report.md and report.html written by the report stage.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { coverageFlags } from "../../../src/report/basics.ts";
import type { ReportData } from "../../../src/report/report-data.ts";
import { ROOT } from "../../helpers/paths.ts";
import { ratedReport } from "./report-fixture.ts";

let runDir: string;
let data: ReportData;
beforeAll(async () => {
  ({ runDir } = await ratedReport());
  data = JSON.parse(readFileSync(join(runDir, "report", "report.json"), "utf8")) as ReportData;
}, 60_000);

describe("report basics", () => {
  it("gives every metric its scale and direction", () => {
    expect(data.evaluators.map((e) => [e.id, e.scale?.range, e.scale?.higherIsBetter])).toEqual([
      ["bleu", [0, 100], true],
      ["rougeL", [0, 1], true],
    ]);
    const md = readFileSync(join(runDir, "report", "report.md"), "utf8");
    expect(md).toContain("| variant | model | bleu (0–100, higher is better) | rougeL (0–1, higher is better) |");
    const html = readFileSync(join(runDir, "report", "report.html"), "utf8");
    expect(html).toContain("<th>bleu<br><small>0–100, higher is better</small></th>");
  });

  it("flags a variant whose answers mostly hit the token limit and an adapter trained on < 50 examples", () => {
    expect(data.flags).toEqual([
      "short: 3 of 4 answers hit the token limit (generate.maxTokens = 12); its scores rate answers cut short — raise maxTokens to compare finished answers.",
      "adapter sft was trained on 26 examples (fewer than 50): a difference from its base model is mostly noise; a pipeline check, not a result.",
    ]);
    const html = readFileSync(join(runDir, "report", "report.html"), "utf8");
    expect(html.indexOf("Read this first")).toBeLessThan(html.indexOf("<h2>Leaderboard</h2>"));
  });

  it("names the git commit, library versions and the pipeline time", () => {
    const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    expect(data.provenance.gitCommit).toBe(head);
    const llama = JSON.parse(readFileSync(join(ROOT, "node_modules/node-llama-cpp/package.json"), "utf8")).version;
    expect(data.provenance.packages["node-llama-cpp"]).toBe(llama);
    expect(data.provenance.wayfarer).toBe("0.1.0");
    expect(data.pipelineSeconds).toBeGreaterThanOrEqual(0);
    const md = readFileSync(join(runDir, "report", "report.md"), "utf8");
    expect(md).toContain(`git commit \`${head}`);
    expect(md).toMatch(/Pipeline time: \d+\.\d min/);
  });

  it("says each human-section warning once, naming what it holds for", () => {
    const notes = data.human!.notes;
    expect(new Set(notes).size).toBe(notes.length);
    expect(notes[0]).toBe("Too few human ratings to conclude which evaluator to trust; collect more ratings.");
    expect(notes).toContain(
      "Human ratings (every criterion): only 12 human-rated items (need at least 30); too few ratings to conclude which evaluator to trust.",
    );
    expect(notes.filter((n) => n.startsWith("Item level (every evaluator and criterion): too few items"))).toHaveLength(
      1,
    );
    // 2 evaluators x 2 criteria x 3 levels said in at most one line per level
    expect(notes.filter((n) => / level \(/.test(n)).length).toBeLessThanOrEqual(3);
    const md = readFileSync(join(runDir, "report", "report.md"), "utf8");
    expect(md.split("Too few human ratings to conclude").length - 1).toBe(1);
  });
});

describe("coverageFlags", () => {
  const cell = (nScored: number, nError: number) => ({ nScored, nError });

  it("flags an evaluator that measured at most half of its answers, counting across variants", () => {
    const flags = coverageFlags(
      {
        a: { bleu: cell(16, 0), "judge-helpfulness": cell(3, 13) },
        b: { bleu: cell(16, 0), "judge-helpfulness": cell(7, 9) },
      },
      null,
    );
    expect(flags).toEqual([
      "judge-helpfulness: 22 of 32 answers could not be measured (a failed call or output that did not parse; each score's reason says which): its means rest on the 10 that were — use a stronger judge model or a larger token budget.",
    ]);
  });

  it("flags a pairwise judge that gave most comparisons no verdict, and nothing at exactly half", () => {
    const rows = [
      { n: 16, nUnparseable: 15, nError: 1 },
      { n: 16, nUnparseable: 8, nError: 0 },
    ];
    expect(coverageFlags({}, rows)).toEqual([
      "pairwise: 24 of 32 comparisons got no verdict (the judge's output had no [[A]]/[[B]]/[[C]], or the call failed): the pairwise table says little — use a stronger judge model.",
    ]);
    expect(coverageFlags({ a: { j: cell(8, 8) } }, [{ n: 16, nUnparseable: 8, nError: 0 }])).toEqual([]);
  });
});
