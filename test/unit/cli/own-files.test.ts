/**
 * A new user's path through the commands with the files Wayfarer itself writes: the evaluate stage's
 * scores.jsonl and `human export`'s judgments go into `wayfarer meta` as they are, and `human` and `serve`
 * find the store `wayfarer run` used from the experiment file, whatever folder they are started from.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runServe } from "../../../src/cli/commands/serve.ts";
import { main } from "../../../src/cli/main.ts";
import { loadExperiment } from "../../../src/config/load.ts";
import { resolveStoreLocation } from "../../../src/config/store-location.ts";
import { findRater, submitRating, tasksForRater } from "../../../src/evaluation/human/tasks.ts";
import { parseMetricScores } from "../../../src/evaluation/meta/judgments.ts";
import { SILENT_PROGRESS } from "../../../src/experiment/progress.ts";
import { runExperiment } from "../../../src/experiment/runner.ts";
import type { AnswerRecord } from "../../../src/experiment/stages/generate-stage.ts";
import { Store } from "../../../src/store/store.ts";
import { answersJsonl, writeStage } from "../experiment/stage-fixtures.ts";

function capture(cwd: string) {
  const o = { out: "", err: "" };
  return {
    o,
    ctx: { cwd, env: {}, out: (s: string) => (o.out += s), err: (s: string) => (o.err += s), interactive: false },
  };
}

const EXPERIMENT = `name: own
workspace: ws
import:
  inputs: [{ path: data }]
datasets:
  golden: { file: golden.csv }
models:
  m: { provider: llama, path: smollm2-135m-instruct-q4_1 }
generate:
  variants: [{ name: base, model: m }, { name: tuned, model: m }, { name: short, model: m }]
evaluate:
  evaluators: [bleu, rougeL]
`;

describe("meta on Wayfarer's own files; one store for run, human and serve", () => {
  it("evaluate/scores.jsonl and human export output go into meta unconverted, found from the experiment file", async () => {
    const root = mkdtempSync(join(tmpdir(), "wf-own-"));
    mkdirSync(join(root, "project"));
    mkdirSync(join(root, "elsewhere"));
    const file = join(root, "project", "exp.yaml");
    writeFileSync(file, EXPERIMENT);
    const exp = await loadExperiment(file);
    writeStage(exp.runDir, "generate", { "answers.jsonl": answersJsonl() });
    writeStage(exp.runDir, "datasets");
    writeStage(exp.runDir, "train");
    await runExperiment({ exp, progress: SILENT_PROGRESS, only: ["evaluate"], env: {} });
    const scoresFile = join(exp.runDir, "evaluate", "scores.jsonl");
    expect(readFileSync(scoresFile, "utf8").split("\n")[0]).toMatch(/^\{"variant":"base","itemId":"q1","evaluator"/);

    // every command below runs from another folder and names only the experiment file
    const cwd = join(root, "elsewhere");
    const answers = answersJsonl()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as AnswerRecord);
    writeFileSync(
      join(cwd, "items.jsonl"),
      answers
        .map((a) => JSON.stringify({ variant: a.variant, item_id: a.itemId, question: a.question, answer: a.answer }))
        .join("\n"),
    );
    const created = capture(cwd);
    const args = ["--experiment", "../project/exp.yaml"];
    expect(
      await main(
        ["human", "create", ...args, "--raters", "ana,ben", "--items", "items.jsonl", "--criteria", "helpfulness"],
        created.ctx,
      ),
    ).toBe(0);
    expect(created.o.out).toMatch(/^12 tasks, 24 assignments/);
    expect(created.o.err).toContain(`store: ${exp.storePath}; `);
    expect(existsSync(join(cwd, "runs"))).toBe(false);
    const where = await resolveStoreLocation({ experiment: "../project/exp.yaml", cwd });
    expect(where).toEqual({ path: exp.storePath, experiment: "own", experimentFile: file, from: "experiment file" });
    expect((await resolveStoreLocation({ experiment: "own", cwd })).path).toBe(join(cwd, "runs", "wayfarer.sqlite"));
    expect((await resolveStoreLocation({ experiment: "../project/exp.yaml", store: "s.db", cwd })).path).toBe(
      join(cwd, "s.db"),
    );

    // both raters rate every answer by its length (what the test's tuned answers have more of)
    {
      using store = Store.open(exp.storePath);
      const links = [...created.o.out.matchAll(/\/r\/([\w-]+)/g)].map((m) => m[1]!);
      for (const token of links.slice(0, 2)) {
        const rater = findRater(store, token)!;
        for (const t of tasksForRater(store, rater))
          submitRating(store, rater, {
            assignmentId: t.id,
            scores: { helpfulness: Math.min(5, 1 + Math.floor(t.answer.length / 8)) },
          });
      }
    }
    const exported = capture(cwd);
    expect(await main(["human", "export", ...args, "--what", "judgments", "--out", "human.jsonl"], exported.ctx)).toBe(
      0,
    );
    expect(exported.o.err).toBe("24 ratings written to human.jsonl\n");

    const m = capture(cwd);
    const code = await main(
      ["meta", "--human", "human.jsonl", "--scores", scoresFile, "--resamples", "20", "--json"],
      m.ctx,
    );
    expect(m.o.err).toBe("");
    expect(code).toBe(0);
    const result = JSON.parse(m.o.out);
    expect(result.skipped).toEqual({ scores: {}, human: {} });
    expect(result.unread).toEqual({ scores: {}, human: {} });
    expect(result.meta.results.map((r: { evaluator: string }) => r.evaluator)).toEqual(["bleu", "rougeL"]);
    for (const r of result.meta.results) expect(r.levels.item.n).toBe(12);
    expect(result.meta.human[0]).toMatchObject({ criterion: "helpfulness", items: 12, ratings: 24, raters: 2 });

    // serve opens the same store from the experiment file; without one (and no runs/ here) it refuses
    const served = capture(cwd);
    const stop = new AbortController();
    const serving = runServe({ experiment: "../project/exp.yaml", port: 0 }, served.ctx, stop.signal);
    while (!served.o.out.includes("listening on")) await new Promise((r) => setTimeout(r, 20));
    stop.abort();
    await serving;
    // the first line names the store; with an experiment file the chat models follow (issue 12)
    expect(served.o.err.split("\n")[0]).toBe(`store: ${exp.storePath}`);
    const bare = capture(cwd);
    expect(await main(["serve", "--port", "0"], bare.ctx)).toBe(1);
    expect(bare.o.err).toMatch(/runs\/wayfarer\.sqlite: no such store; give the experiment file/);
    expect(existsSync(join(cwd, "runs"))).toBe(false);
  });

  it("a scores.jsonl row an evaluator could not measure is skipped and counted by its status", () => {
    const text = [
      { variant: "a", itemId: "q1", evaluator: "judge", status: "scored", value: 7, reason: "ok", signature: "s" },
      { variant: "a", itemId: "q2", evaluator: "judge", status: "error", value: null, reason: "bad", signature: "s" },
      {
        variant: "a",
        itemId: "q3",
        evaluator: "judge",
        status: "not-applicable",
        value: null,
        reason: "",
        signature: "s",
      },
      { input_id: "q4", system_id: "a", evaluator: "judge", score: 3, signatur: "typo" },
    ]
      .map((r) => JSON.stringify(r))
      .join("\n");
    const r = parseMetricScores("scores.jsonl", text);
    expect(r.records).toEqual([
      { inputId: "q1", systemId: "a", evaluator: "judge", score: 7 },
      { inputId: "q4", systemId: "a", evaluator: "judge", score: 3 },
    ]);
    expect(r.skipped).toEqual({ "status error (not measured)": 1, "status not-applicable (not measured)": 1 });
    expect(r.unread).toEqual({ signatur: 1 });
  });
});
