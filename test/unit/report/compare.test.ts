/** `wayfarer compare`: settings that differ, results that moved beyond their intervals (two hand-made reports). */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCompare } from "../../../src/cli/commands/compare.ts";
import { InputError } from "../../../src/errors/input-error.ts";
import { reportFileOf } from "../../../src/report/compare.ts";

const dir = mkdtempSync(join(tmpdir(), "wf-compare-"));
function run(name: string, judgeTokens: number, cells: Record<string, Record<string, [number, number, number]>>) {
  mkdirSync(join(dir, name, "report"), { recursive: true });
  const stats = {
    cells: Object.fromEntries(
      Object.entries(cells).map(([v, row]) => [
        v,
        Object.fromEntries(
          Object.entries(row).map(([e, [value, low, high]]) => [
            e,
            { value, low, high, n: 12, resamplesUsed: 2000, nUnscored: 0 },
          ]),
        ),
      ]),
    ),
  };
  const report = {
    settings: {
      name: "x",
      workspace: `/tmp/${name}`,
      evaluate: { evaluators: ["bleu", { id: "judge-single", options: { maxTokens: judgeTokens } }] },
    },
    study: { stats },
  };
  writeFileSync(join(dir, name, "report", "report.json"), JSON.stringify(report));
}

describe("compare", () => {
  it("lists differing settings (not the workspace) and only the moves beyond the intervals", () => {
    run("a", 200, { base: { bleu: [0.1, 0.05, 0.15], judge: [5, 4, 6] }, sft: { bleu: [0.2, 0.15, 0.25] } });
    run("b", 120, { base: { bleu: [0.12, 0.06, 0.18], judge: [7.5, 6.5, 8.5] }, tuned: { bleu: [0.3, 0.2, 0.4] } });
    let out = "";
    const c = runCompare(
      { a: join(dir, "a"), b: join(dir, "b") },
      { cwd: dir, env: {}, out: (s) => (out += s), err: () => {}, interactive: false },
    );
    expect(c.settings).toEqual([{ path: "evaluate.evaluators.1.options.maxTokens", a: 200, b: 120 }]);
    expect(c.results.map((r) => `${r.variant}/${r.evaluator}:${r.move}`)).toEqual([
      "base/bleu:within",
      "base/judge:up",
    ]);
    expect(c.onlyInA).toEqual(["sft / bleu"]);
    expect(c.onlyInB).toEqual(["tuned / bleu"]);
    expect(out).toContain("results that moved beyond their 95% intervals (1 of 2):");
    expect(out).toContain("  base / judge: 5.000 [4.000, 6.000] n=12 -> 7.500 [6.500, 8.500] n=12 (up)");
    expect(out).toContain("  1 changed within their intervals, 0 unchanged");
  });

  it("names the folder that holds no report", () => {
    expect(() => reportFileOf(join(dir, "nothing"))).toThrow(InputError);
    expect(() => reportFileOf(join(dir, "nothing"))).toThrow(/no report\.json here/);
  });
});
