/**
 * The example experiments load, validate and build their graphs (none is run here), and the graph of
 * an experiment reruns exactly what a change affects. Keys are computed with every artifact's output
 * taken to change when its key does; a selection's output is either its key (what `wayfarer status`
 * shows before the run: a stale pick makes what starts from it stale) or, for what a run redoes, the
 * pick it makes plus the key of the picked adapter (choice.json holds that adapter's output hash).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadExperiment } from "../../../../src/config/load.ts";
import { buildGraph } from "../../../../src/experiment/graph/build.ts";
import { type ArtifactGraph, artifactKey } from "../../../../src/experiment/graph/graph.ts";
import "../../../../src/report/artifact.ts";
import { ROOT } from "../../../helpers/paths.ts";

/** Each artifact's key; `picks` (selection id -> picked adapter id) makes selections output their pick. */
function keys(g: ArtifactGraph, picks?: Record<string, string>): Map<string, string> {
  const key = new Map<string, string>();
  const out = new Map<string, string>();
  for (const a of g.order) {
    const inputs = Object.fromEntries(a.inputs.map((i) => [i, out.get(i)!]));
    const k = artifactKey(a, inputs, null);
    key.set(a.id, k);
    const pick = picks?.[a.id];
    out.set(a.id, a.kind === "selection" && pick ? `${pick} ${out.get(pick)}` : k);
  }
  return key;
}
/** Ids whose key differs between the two graphs (in b's order). */
function changed(a: ArtifactGraph, b: ArtifactGraph, picks?: Record<string, string>): string[] {
  const ka = keys(a, picks);
  return [...keys(b, picks)].filter(([id, k]) => ka.get(id) !== k).map(([id]) => id);
}

/** One folder for every edited example (the report's settings hold the file's paths). */
const DIR = mkdtempSync(join(tmpdir(), "wf-examples-"));

/** Loads an example's text (edited) from {@link DIR}, its paths pointing at examples/. */
async function loadText(name: string, edit: (t: string) => string = (t) => t): Promise<ArtifactGraph> {
  const text = readFileSync(join(ROOT, "examples", `${name}.yaml`), "utf8");
  const dir = DIR;
  writeFileSync(
    join(dir, "q.yaml"),
    edit(text)
      .replace("workspace: ../runs", "workspace: runs")
      .replaceAll("quickstart/", `${ROOT}examples/quickstart/`),
  );
  return buildGraph(await loadExperiment(join(dir, "q.yaml")));
}

const RECIPES: Record<string, string[]> = {
  quickstart: ["dataset:golden", "dataset:sft"],
  wanderchat: ["dataset:golden", "dataset:sft"],
  "study-cpu": ["retrieval-index", "dataset:golden", "dataset:sft", "dataset:preferences", "dataset:raft"],
  "paper-7b": ["dataset:golden", "dataset:sft"],
};

describe("example experiments", () => {
  it.each(["quickstart", "wanderchat", "study-cpu", "paper-7b"])("%s.yaml loads and builds its graph", async (name) => {
    const exp = await loadExperiment(join(ROOT, "examples", `${name}.yaml`));
    const g = buildGraph(exp);
    const ids = g.order.map((a) => a.id);
    // one artifact per dataset recipe (and the retrieval index where RAFT or RAG reads it), then the aggregate card
    expect(ids.slice(0, 3 + RECIPES[name]!.length + 1)).toEqual([
      "collect",
      "import",
      "corpus",
      ...RECIPES[name]!,
      "datasets",
    ]);
    expect(ids.at(-1)).toBe("report");
    for (const v of exp.config.generate.variants) {
      expect(ids).toContain(`answers:${v.name}`);
      expect(ids).toContain(`scores:${v.name}`);
    }
    for (const a of exp.config.train.adapters)
      expect(ids.indexOf(`adapter:${a.name}`)).toBeLessThan(ids.indexOf("generate"));
  });

  it("study-cpu: adapters read their own recipe, answers the golden set, the selection its candidates", async () => {
    const g = buildGraph(await loadExperiment(join(ROOT, "examples", "study-cpu.yaml")));
    expect(g.byId.get("select:best-smol")!.inputs).toEqual([
      "scores:smol-sft",
      "scores:smol-raft",
      "adapter:smol-sft",
      "adapter:smol-raft",
    ]);
    expect(g.byId.get("report")!.inputs).toContain("select:best-smol");
    // DPO and RLHF start from the pick; RLHF also waits for its reward model
    expect(g.byId.get("adapter:best-dpo")!.inputs).toEqual(["dataset:preferences", "select:best-smol"]);
    expect(g.byId.get("adapter:best-rlhf")!.inputs).toEqual([
      "dataset:preferences",
      "select:best-smol",
      "adapter:smol-reward",
    ]);
    // each adapter reads only its own recipe's data files
    expect(g.byId.get("adapter:smol-raft")!.inputs).toEqual(["dataset:raft"]);
    expect(g.byId.get("adapter:smol-raft")!.reads).toEqual({ "dataset:raft": ["train.jsonl", "validation.jsonl"] });
    expect(g.byId.get("adapter:smol-sft")!.inputs).toEqual(["dataset:sft"]);
    expect(g.byId.get("adapter:smol-reward")!.inputs).toEqual(["dataset:preferences"]);
    // RAFT data and the RAG variants read the retrieval index; the SFT set reads the golden set (overlap guard)
    expect(g.byId.get("dataset:raft")!.inputs).toEqual(["corpus", "retrieval-index"]);
    expect(g.byId.get("dataset:sft")!.inputs).toEqual(["corpus", "dataset:golden"]);
    expect(g.byId.get("dataset:golden")!.inputs).toEqual([]);
    expect(g.byId.get("answers:smol-raft")!.inputs).toEqual(["dataset:golden", "adapter:smol-raft", "retrieval-index"]);
    expect(g.byId.get("answers:smol-sft-rag")!.inputs).toEqual([
      "dataset:golden",
      "adapter:smol-sft",
      "retrieval-index",
    ]);
    expect(g.byId.get("answers:smol-base")!.inputs).toEqual(["dataset:golden"]);
    expect(g.byId.get("answers:smol-base")!.reads).toEqual({ "dataset:golden": ["golden.jsonl"] });
    // a reward model is never a chat variant
    expect(g.order.some((a) => a.id === "answers:smol-reward")).toBe(false);
    expect(g.byId.get("pairwise")!.inputs).toEqual(["generate"]);
  });

  it("study-cpu: changing RAFT's P reruns only RAFT data, the RAFT adapters, what starts from them, their answers and scores", async () => {
    const base = await loadText("study-cpu");
    expect(changed(base, await loadText("study-cpu"))).toEqual([]);
    const p = await loadText("study-cpu", (t) => t.replace("oracleProbability: 0.8", "oracleProbability: 0.5"));
    // what `wayfarer status` marks stale: the pick reads smol-raft's scores and adapter, so what starts from it waits
    const raftLine = [
      "dataset:raft",
      "datasets", // the aggregate card (the report's datasets row)
      "adapter:smol-raft",
      "adapter:gemma-raft",
      "answers:smol-raft",
      "answers:gemma-raft",
      "generate",
      "scores:smol-raft",
      "scores:gemma-raft",
      "pairwise", // one artifact over all variants; each comparison is cached in the store
      "select:best-smol",
    ];
    const fromPick = [
      "adapter:best-dpo",
      "adapter:best-rlhf",
      "answers:best-dpo",
      "answers:best-rlhf",
      "scores:best-dpo",
      "scores:best-rlhf",
    ];
    const stale = changed(base, p);
    expect(stale).toEqual([
      "dataset:raft",
      "datasets",
      "adapter:smol-raft",
      "adapter:gemma-raft",
      "answers:smol-raft",
      "answers:gemma-raft",
      "scores:smol-raft",
      "scores:gemma-raft",
      "select:best-smol",
      "adapter:best-dpo",
      "adapter:best-rlhf",
      "answers:best-dpo",
      "answers:best-rlhf",
      "generate",
      "scores:best-dpo",
      "scores:best-rlhf",
      "pairwise",
      "evaluate",
      "meta",
      "report",
    ]);
    expect(new Set(stale)).toEqual(new Set([...raftLine, ...fromPick, "evaluate", "meta", "report"]));
    for (const kept of [
      "retrieval-index",
      "dataset:golden",
      "dataset:sft",
      "dataset:preferences",
      "adapter:smol-sft",
      "adapter:gemma-sft",
      "adapter:smol-reward",
      "answers:smol-base",
      "answers:gemma-base",
      "answers:smol-sft",
      "answers:smol-sft-rag",
    ])
      expect(stale).not.toContain(kept);
    // what a run redoes: when the pick is the (retrained) RAFT adapter, DPO and RLHF retrain from it;
    // when the pick is the unchanged SFT adapter, they are reused
    expect(new Set(changed(base, p, { "select:best-smol": "adapter:smol-raft" }))).toEqual(new Set(stale));
    expect(new Set(changed(base, p, { "select:best-smol": "adapter:smol-sft" }))).toEqual(
      new Set([...raftLine, "evaluate", "meta", "report"]),
    );
  });

  it("study-cpu: the retrieval settings rerun the index, the RAFT set and line, and the RAG variants' answers — not the SFT adapters or the plain answers", async () => {
    const base = await loadText("study-cpu");
    const r = await loadText("study-cpu", (t) =>
      t.replace("retrieval: { splits: [train, validation] }", "retrieval: { splits: [train] }"),
    );
    const picks = { "select:best-smol": "adapter:smol-sft" };
    expect(changed(base, r, picks)).toEqual([
      "retrieval-index",
      "dataset:raft",
      "datasets",
      "adapter:smol-raft",
      "adapter:gemma-raft",
      "answers:smol-raft",
      "answers:gemma-raft",
      "answers:smol-sft-rag",
      "scores:smol-raft",
      "scores:gemma-raft",
      "scores:smol-sft-rag", // Ragas context metrics score the contexts these answers retrieved
      "select:best-smol",
      "generate",
      "pairwise",
      "evaluate",
      "meta",
      "report",
    ]);
  });

  it("study-cpu: changing the judge reruns only scoring, the pick (same pick: nothing starts over), meta and report (and, since the judge model is also the RAFT teacher and the pairwise judge, a new judge model reruns the RAFT line and pairwise too)", async () => {
    const base = await loadText("study-cpu");
    const picks = { "select:best-smol": "adapter:smol-sft" };
    const scores = [
      "scores:smol-base",
      "scores:smol-sft",
      "scores:gemma-base",
      "scores:gemma-sft",
      "scores:smol-raft",
      "scores:gemma-raft",
      "scores:smol-sft-rag",
      "select:best-smol", // reads the candidates' judge scores; its pick stays, so DPO and RLHF are reused
      "scores:best-dpo",
      "scores:best-rlhf",
    ];
    // the judge's grading settings: every score set, the pick (same pick: DPO and RLHF reused), meta, report
    const options = await loadText("study-cpu", (t) =>
      t.replace("maxTokens: 120, maxExplanationChars: 200", "maxTokens: 100, maxExplanationChars: 200"),
    );
    expect(changed(base, options, picks)).toEqual([...scores, "evaluate", "meta", "report"]);
    // another judge model for the evaluators only (evaluate.judge -> a new models key): the same set;
    // the RAFT teacher and the pairwise judge keep the model key "judge"
    const judge2 = await loadText("study-cpu", (t) =>
      t
        .replace("  judge:\n", "  judge2: { provider: llama, path: gemma-3-270m-q4_k_m }\n  judge:\n")
        .replace("judge: { model: judge }", "judge: { model: judge2 }"),
    );
    expect(changed(base, judge2, picks)).toEqual([...scores, "evaluate", "meta", "report"]);
    // the model behind the key "judge" (RAFT teacher + judge + pairwise judge): also the RAFT set and its line
    const model = await loadText("study-cpu", (t) =>
      t.replace(
        "  judge:\n    provider: llama\n    path: smollm2-135m-instruct-q4_1",
        "  judge:\n    provider: llama\n    path: gemma-3-270m-q4_k_m",
      ),
    );
    expect(changed(base, model, picks)).toEqual([
      "dataset:raft",
      "datasets",
      "adapter:smol-raft",
      "adapter:gemma-raft",
      "answers:smol-raft",
      "answers:gemma-raft",
      ...scores.slice(0, 8),
      "generate",
      ...scores.slice(8),
      "pairwise",
      "evaluate",
      "meta",
      "report",
    ]);
  });

  it("quickstart: the judge reruns only scoring, meta and report; an adapter only its own line", async () => {
    const text = readFileSync(join(ROOT, "examples", "quickstart.yaml"), "utf8");
    const base = await loadText("quickstart");
    expect(changed(base, await loadText("quickstart"))).toEqual([]);
    const judge = await loadText("quickstart", (t) =>
      t.replace("maxTokens: 200, maxExplanationChars: 240", "maxTokens: 120, maxExplanationChars: 240"),
    );
    expect(text).toContain("maxTokens: 200, maxExplanationChars: 240");
    expect(changed(base, judge)).toEqual(["scores:base", "scores:sft", "evaluate", "meta", "report"]);
    const lr = await loadText("quickstart", (t) => t.replace("learning_rate: 3.0e-4", "learning_rate: 1.0e-4"));
    expect(changed(base, lr)).toEqual([
      "adapter:sft",
      "answers:sft",
      "generate",
      "scores:sft",
      "evaluate",
      "meta",
      "report",
    ]);
  });
});
