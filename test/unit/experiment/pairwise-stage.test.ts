/**
 * evaluate.pairwise end to end through the evaluate and report stages (generate's answers written by hand,
 * a loopback OpenAI-compatible judge): the config section, the stored verdicts, the report's win/tie/loss
 * table, the cache on rerun, and unchanged input hashes for experiments without a pairwise section.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pairwisePairs } from "../../../src/config/experiment.ts";
import { loadExperiment, stableHash } from "../../../src/config/load.ts";
import { ConfigError } from "../../../src/errors/config-error.ts";
import type { RunEvent } from "../../../src/experiment/graph/run-graph.ts";
import { SILENT_PROGRESS } from "../../../src/experiment/progress.ts";
import { runExperiment } from "../../../src/experiment/runner.ts";
import "../../../src/report/artifact.ts";
import type { StageManifest } from "../../../src/experiment/stage.ts";
import { evaluateStage } from "../../../src/experiment/stages/evaluate-stage.ts";
import type { Spend } from "../../../src/models/spend.ts";
import type { ReportData } from "../../../src/report/report-data.ts";
import { ROOT } from "../../helpers/paths.ts";
import {
  type FakeChatRequest,
  type FakeOpenAI,
  type FakeReply,
  startFakeOpenAI,
  userPrompt,
} from "../evaluation/judge/fake-openai-server.ts";
import { answersJsonl, writeStage } from "./stage-fixtures.ts";

let respond: (req: FakeChatRequest) => FakeReply;
let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI((req) => respond(req));
});
afterAll(async () => {
  await fake.close();
});

function block(prompt: string, label: string): string {
  const re = new RegExp(
    `\\[The Start of ${label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} id ([0-9a-f]+)\\]\\n([\\s\\S]*?)\\n\\[The End of `,
  );
  return re.exec(prompt)?.[2] ?? "";
}
/** Prefers the longer answer; "no verdict" whenever the question mentions Rome. */
const longerJudge = (req: FakeChatRequest): FakeReply => {
  const p = userPrompt(req);
  if (block(p, "User Question").includes("Rome")) return { content: "Both are fine, I think." };
  const a = block(p, "Assistant A's Answer").length;
  const b = block(p, "Assistant B's Answer").length;
  return { content: a > b ? "[[A]]" : b > a ? "[[B]]" : "[[C]]", promptTokens: 30, completionTokens: 3 };
};

const dir = mkdtempSync(join(tmpdir(), "wf-pairwise-stage-"));
const config = (pairwise: string) => `name: pw
workspace: ws
import:
  inputs: [{ path: data }]
datasets:
  golden: { file: golden.csv }
models:
  m: { provider: llama, path: smollm2-135m-instruct-q4_1 }
  j: { provider: openai-compatible, baseURL: "${fake.baseURL}", model: fake-judge }
generate:
  variants: [{ name: base, model: m }, { name: tuned, model: m }, { name: short, model: m }]
evaluate:
  evaluators: [bleu]
${pairwise}`;
const write = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};

describe("evaluate.pairwise in the experiment file", () => {
  it("validates the section: pairs or baseline, known variants, a judge", async () => {
    const bad = async (section: string) => {
      const f = write("bad.yaml", config(section));
      return loadExperiment(f).then(
        () => "loaded",
        (e: unknown) => (e instanceof ConfigError ? e.message : String(e)),
      );
    };
    expect(await bad("  pairwise: { judge: j }")).toMatch(/field "evaluate.pairwise": give either pairs or baseline/);
    expect(await bad("  pairwise: { judge: j, baseline: base, pairs: all }")).toMatch(/give either pairs or baseline/);
    expect(await bad("  pairwise: { judge: j, baseline: nope }")).toMatch(
      /evaluate.pairwise.baseline": no variant "nope"/,
    );
    expect(await bad("  pairwise: { judge: j, pairs: [[base, base]] }")).toMatch(/compares "base" with itself/);
    expect(await bad("  pairwise: { judge: j, pairs: [[base, tuned], [base, tuned]] }")).toMatch(/listed twice/);
    expect(await bad("  pairwise: { judge: j, pairs: [[base, tuned], [tuned, base]] }")).toMatch(
      /pair \[tuned, base\] is listed twice \(in either order/,
    );
    expect(await bad("  pairwise: { judge: zz, pairs: all }")).toMatch(/evaluate.pairwise.judge": no model "zz"/);
    expect(await bad("  pairwise: { pairs: all }")).toMatch(/set evaluate.pairwise.judge or evaluate.judge.model/);
    expect(await bad("  judge: { model: j }\n  pairwise: { pairs: all }")).toBe("loaded");
  });

  it("expands baseline and all into ordered [A, B] pairs", async () => {
    const load = async (section: string) => (await loadExperiment(write("ok.yaml", config(section)))).config;
    expect(pairwisePairs(await load("  pairwise: { judge: j, baseline: base }"))).toEqual([
      ["tuned", "base"],
      ["short", "base"],
    ]);
    expect(pairwisePairs(await load("  pairwise: { judge: j, pairs: all }"))).toEqual([
      ["base", "tuned"],
      ["base", "short"],
      ["tuned", "short"],
    ]);
    expect(pairwisePairs(await load("  pairwise: { judge: j, pairs: [[short, tuned]] }"))).toEqual([
      ["short", "tuned"],
    ]);
    const c = await load("  pairwise: { judge: j, baseline: base }");
    expect(c.evaluate.pairwise).toEqual({ judge: "j", baseline: "base", reference: true, maxTokens: 768 });
    expect(pairwisePairs(await load(""))).toEqual([]);
  });

  it("experiments without a pairwise section keep their evaluate settings (and so their input hashes)", async () => {
    for (const f of ["examples/quickstart.yaml", "examples/wanderchat.yaml"]) {
      const exp = await loadExperiment(f, ROOT);
      expect("pairwise" in exp.config.evaluate).toBe(false);
      const settings = evaluateStage.settings(exp);
      const before = {
        evaluate: exp.config.evaluate,
        judge: exp.config.evaluate.judge ? exp.config.models[exp.config.evaluate.judge.model] : null,
      };
      expect(settings).toEqual(before);
      expect(stableHash(settings)).toBe(stableHash(before));
    }
    const withPw = await loadExperiment(write("pw.yaml", config("  pairwise: { judge: j, baseline: base }")));
    expect(evaluateStage.settings(withPw)).toMatchObject({
      pairwiseJudge: { provider: "openai-compatible", model: "fake-judge" },
    });
  });

  it("judges every pair in both orders, stores the verdicts, reports win/tie/loss with counted nulls, and reuses them on rerun", async () => {
    respond = longerJudge;
    const file = write("run.yaml", config("  pairwise: { judge: j, baseline: base, maxTokens: 64 }"));
    const exp = await loadExperiment(file);
    writeStage(exp.runDir, "generate", { "answers.jsonl": answersJsonl() });
    writeStage(exp.runDir, "datasets");
    writeStage(exp.runDir, "train");
    const before = fake.requests.length;
    // the live view's hook: the run's tokens so far, updated as each judge call finishes
    const seen: Spend[] = [];
    const events: RunEvent[] = [];
    const first = await runExperiment({
      exp,
      progress: { ...SILENT_PROGRESS, spent: (t) => seen.push(t) },
      only: ["evaluate", "report"],
      env: {},
      onEvent: (e) => events.push(e),
    });
    expect(first.map((o) => `${o.stage}:${o.status}`)).toEqual(["evaluate:ran", "report:ran"]);
    // 2 pairs x 4 items x 2 orders
    expect(fake.requests.length - before).toBe(16);
    expect(fake.requests.at(-1)!.max_tokens).toBe(64);
    expect(first[0]!.counts).toMatchObject({ "pairwise.comparisons": 8, "pairwise.computed": 8, "pairwise.cached": 0 });

    const lines = readFileSync(join(exp.runDir, "evaluate", "pairwise.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(8);
    expect(lines.map((l) => `${l.variantA}>${l.variantB}:${l.itemId}=${l.verdict}`)).toEqual([
      "tuned>base:q1=A",
      "tuned>base:q2=A",
      "tuned>base:q3=null",
      "tuned>base:q4=tie",
      "short>base:q1=B",
      "short>base:q2=B",
      "short>base:q3=null",
      "short>base:q4=tie",
    ]);
    expect(lines[2]).toMatchObject({
      status: "unparseable",
      games: [null, null],
      raw: ["Both are fine, I think.", "Both are fine, I think."],
    });
    expect(lines[0]).toMatchObject({ status: "scored", games: ["A", "A"], consistent: true, raw: ["[[A]]", "[[B]]"] });
    // the judge's tokens reach the view live, the pairwise manifest (artifact-done) and the run's total
    const prompt = lines.reduce((n, l) => n + l.cost.promptTokens, 0);
    const completion = lines.reduce((n, l) => n + l.cost.completionTokens, 0);
    expect(prompt).toBeGreaterThanOrEqual(12 * 30);
    expect(completion).toBeGreaterThanOrEqual(12 * 3);
    const done = events.find((e) => e.type === "artifact-done" && e.id === "pairwise");
    expect(done).toMatchObject({ cost: { promptTokens: prompt, completionTokens: completion, usd: null } });
    expect(seen.length).toBeGreaterThanOrEqual(8); // at least one update per computed comparison
    expect(seen.at(-1)).toEqual(events.find((e) => e.type === "run-done" && "spent" in e)!.spent);
    expect(seen.at(-1)!.promptTokens).toBeGreaterThanOrEqual(prompt);

    const report = JSON.parse(readFileSync(join(exp.runDir, "report", "report.json"), "utf8")) as ReportData;
    expect(report.pairwise!.reference).toBe(true);
    expect(report.pairwise!.rows).toHaveLength(2);
    expect(report.pairwise!.rows[0]).toMatchObject({
      variantA: "tuned",
      variantB: "base",
      n: 4,
      winsA: 2,
      winsB: 0,
      ties: 1,
      nUnparseable: 1,
      nBothParsed: 3,
      nConsistent: 3,
      nVerdicts: 3,
      winRateA: 2 / 3,
      winRateAdjustedA: 5 / 6,
      consistencyRate: 1,
    });
    expect(report.pairwise!.rows[1]).toMatchObject({
      variantA: "short",
      variantB: "base",
      n: 4,
      winsA: 0,
      winsB: 2,
      ties: 1,
      nUnparseable: 1,
      winRateB: 2 / 3,
    });
    expect(report.pairwise!.signatures[0]).toMatch(
      /^judge-pairwise\|prompt:mt-bench-pair-v2\+nonce-v1\|ref:auto\|.*judge:openai-compatible:fake-judge\|used-ref:yes$/,
    );
    const md = readFileSync(join(exp.runDir, "report", "report.md"), "utf8");
    expect(md).toContain("## Pairwise comparisons");
    expect(md).toContain(
      "| tuned | base | 4 | 2 | 0 | 1 | 1 | 0.667 (2/3) | 0.000 (0/3) | 0.833 (2.5/3) | 1.000 (3/3) |",
    );
    expect(md).toContain(
      "| short | base | 4 | 0 | 2 | 1 | 1 | 0.000 (0/3) | 0.667 (2/3) | 0.167 (0.5/3) | 1.000 (3/3) |",
    );
    const html = readFileSync(join(exp.runDir, "report", "report.html"), "utf8");
    expect(html).toContain("<h2>Pairwise comparisons</h2>");
    expect(html).toContain("<td>0.667 (2/3)</td>");
    const manifest = JSON.parse(readFileSync(join(exp.runDir, "evaluate", "manifest.json"), "utf8")) as StageManifest;
    expect(manifest.notes.join("\n")).toContain(
      "pairwise tuned vs base: 1 of 4 comparisons without a verdict (1 unparseable, 0 errors",
    );

    // rerun: evaluate is skipped; forced, every verdict comes from the store: no judge call either way
    respond = () => {
      throw new Error("no judge call expected on a rerun");
    };
    const n = fake.requests.length;
    const second = await runExperiment({ exp, progress: SILENT_PROGRESS, only: ["evaluate", "report"], env: {} });
    expect(second[0]!.status).toBe("skipped");
    const forced = await runExperiment({ exp, progress: SILENT_PROGRESS, only: ["evaluate"], force: true, env: {} });
    expect(forced[0]!.counts).toMatchObject({
      "pairwise.comparisons": 8,
      "pairwise.computed": 0,
      "pairwise.cached": 8,
    });
    expect(fake.requests.length).toBe(n);
    const again = readFileSync(join(exp.runDir, "evaluate", "pairwise.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(again).toEqual(lines);
  });
});
