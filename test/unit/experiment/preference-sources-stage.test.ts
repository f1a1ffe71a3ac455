/**
 * The preference recipe through the datasets stage with every non-teacher source at once: Reddit votes from the
 * corpus splits, human pairwise choices from the workspace store (rater UI), and judge verdicts of another
 * experiment's evaluate/pairwise.jsonl + generate/answers.jsonl. A judge file with a line missing a field is one
 * clear error naming file, line and field; the recipe (artifact dataset:preferences) then shows as failed while
 * the other recipes keep their outputs, and the next run reruns it alone.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadExperiment } from "../../../src/config/load.ts";
import type { DatasetCard } from "../../../src/datasets/card.ts";
import type { PreferencePair } from "../../../src/datasets/preferences.ts";
import { InputError } from "../../../src/errors/input-error.ts";
import { createRatingTasks, findRater, submitRating, tasksForRater } from "../../../src/evaluation/human/tasks.ts";
import { experimentStatus } from "../../../src/experiment/graph/status.ts";
import { SILENT_PROGRESS } from "../../../src/experiment/progress.ts";
import { runExperiment } from "../../../src/experiment/runner.ts";
import { Store } from "../../../src/store/store.ts";
import { HAS_SMOLLM2 } from "../../helpers/paths.ts";
import { makeComment, makePost, makeThread } from "../../helpers/threads.ts";
import { writeStage } from "./stage-fixtures.ts";

const yaml = (from: string) => `name: prefs
workspace: ws
import: { inputs: [{ path: data }] }
datasets:
  sft: { minTargetScore: 0 }
  golden: { file: golden.csv }
  preferences:
    sources:
      - { kind: reddit-votes, minScoreMargin: 10 }
      - { kind: human }
      - { kind: judge, from: ${from} }
models:
  m: { provider: llama, path: smollm2-135m-instruct-q4_1 }
generate: { variants: [{ name: base, model: m }] }
`;

describe.skipIf(!HAS_SMOLLM2)("preference sources through the datasets stage", () => {
  it("builds pairs from votes, human choices and judge verdicts, each counted in the card", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wf-pref-sources-"));
    mkdirSync(join(dir, "data"));
    writeFileSync(
      join(dir, "golden.csv"),
      "Index,Notes,Golden Question,Golden Answer\n1,,Where to eat in Rome?,Trastevere.\n",
    );
    writeFileSync(join(dir, "exp.yaml"), yaml("other"));
    const exp = await loadExperiment(join(dir, "exp.yaml"));
    const thread = makeThread(makePost("p1", { title: "Kyoto in autumn?", selftext: "" }), [
      makeComment("a", "t3_p1", "Go to Eikando for the maple leaves at night.", { score: 50 }),
      makeComment("b", "t3_p1", "It is crowded everywhere, stay home.", { score: 2 }),
    ]);
    writeStage(exp.runDir, "corpus", { "threads.jsonl": "" });
    mkdirSync(join(exp.runDir, "corpus", "splits"));
    for (const s of ["train", "validation", "test"])
      writeFileSync(
        join(exp.runDir, "corpus", "splits", `${s}.jsonl`),
        s === "train" ? `${JSON.stringify(thread)}\n` : "",
      );
    // human choices: both raters prefer the longer answer of each pair
    {
      using store = Store.open(exp.storePath);
      const answers = { short: "Walk.", long: "Walk along the river, then take the tram up the hill." };
      const created = createRatingTasks(store, {
        experiment: "prefs",
        items: ["q1", "q2"].flatMap((item_id) =>
          Object.entries(answers).map(([variant, answer]) => ({
            variant,
            item_id,
            question: `Question ${item_id}?`,
            answer,
          })),
        ),
        raters: ["ana", "ben"],
        pairwise: true,
        seed: 1,
      });
      for (const cred of created.raters) {
        const rater = findRater(store, cred.token)!;
        for (const t of tasksForRater(store, rater).filter((x) => x.kind === "pair"))
          submitRating(store, rater, { assignmentId: t.id, choice: t.answer.length > t.answerB!.length ? "a" : "b" });
      }
    }
    // judge verdicts of another experiment in the same workspace
    const other = join(exp.config.workspace, "other");
    mkdirSync(join(other, "evaluate"), { recursive: true });
    mkdirSync(join(other, "generate"), { recursive: true });
    const v = (itemId: string, verdict: string | null, consistent: boolean | null) =>
      JSON.stringify({
        itemId,
        variantA: "base",
        variantB: "tuned",
        status: verdict ? "scored" : "unparseable",
        verdict,
        consistent,
      });
    const pairwise = `${[v("k1", "B", true), v("k2", "tie", true), v("k3", null, null)].join("\n")}\n`;
    writeFileSync(join(other, "evaluate", "pairwise.jsonl"), pairwise);
    writeFileSync(
      join(other, "generate", "answers.jsonl"),
      `${["base", "tuned"]
        .flatMap((variant) =>
          ["k1", "k2", "k3"].map((itemId) =>
            JSON.stringify({ variant, itemId, question: `Q ${itemId}?`, answer: `${variant} says ${itemId}` }),
          ),
        )
        .join("\n")}\n`,
    );

    await runExperiment({ exp, progress: SILENT_PROGRESS, only: ["datasets"], env: {} });
    const ds = join(exp.runDir, "datasets");
    const rows = readFileSync(join(ds, "preferences", "train.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as PreferencePair);
    expect(rows.map((r) => [r.source, r.chosen[0]!.content, r.margin])).toEqual([
      ["reddit-votes", "Go to Eikando for the maple leaves at night.", 48],
      ["human", "Walk along the river, then take the tram up the hill.", 2],
      ["human", "Walk along the river, then take the tram up the hill.", 2],
      ["judge", "tuned says k1", null],
    ]);
    const card = JSON.parse(readFileSync(join(ds, "preferences", "card.json"), "utf8")) as DatasetCard;
    expect(card.filters.map((f) => [f.id, f.in, f.out, f.dropped])).toEqual([
      ["0:reddit-votes:train", 1, 1, {}],
      ["0:reddit-votes:validation", 0, 0, {}],
      ["1:human:train", 4, 2, {}],
      ["2:judge:train", 3, 1, { "judge-tie": 1, "judge-unparseable": 1 }],
    ]);
    expect(card.provenance["1:human"]).toMatchObject({ experiment: "prefs", choices: 4 });

    // a judge line without variantB: one error naming file, line and field
    writeFileSync(
      join(other, "evaluate", "pairwise.jsonl"),
      `${v("k1", "B", true)}\n{"itemId": "k2", "variantA": "base", "status": "scored"}\n`,
    );
    const err = await runExperiment({ exp, progress: SILENT_PROGRESS, only: ["datasets"], force: true, env: {} }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(
      `${join(other, "evaluate", "pairwise.jsonl")}:2 field "variantB": missing or not a string`,
    );
    // one artifact per recipe: the failed one shows as failed, the others stay done
    const states = () =>
      Object.fromEntries(
        experimentStatus(exp)
          .filter((r) => r.kind === "dataset" || r.kind === "datasets")
          .map((r) => [r.id, r.state]),
      );
    // (the corpus here is a hand-written fixture whose manifest no key matches: what reads it shows stale)
    expect(states()).toEqual({
      "dataset:golden": "done",
      "dataset:sft": "stale",
      "dataset:preferences": "failed",
      datasets: "stale",
    });
    // the judged run fixed again: only the preference recipe reruns; its pairs are the first run's, so the
    // aggregate card (keyed on the recipes' outputs) is as it was
    writeFileSync(join(other, "evaluate", "pairwise.jsonl"), pairwise);
    const again = await runExperiment({ exp, progress: SILENT_PROGRESS, only: ["datasets"], env: {} });
    expect(again.flatMap((g) => g.artifacts.filter((a) => a.status === "ran").map((a) => a.id))).toEqual([
      "dataset:preferences",
    ]);
    expect(
      readFileSync(join(ds, "preferences", "train.jsonl"), "utf8")
        .trim()
        .split("\n"),
    ).toHaveLength(4);
    // no longer failed (stale only through the fixture corpus, as above)
    expect(states()).toMatchObject({ "dataset:golden": "done", "dataset:preferences": "stale" });
  }, 60_000);
});
