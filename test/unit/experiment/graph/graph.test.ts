/**
 * The artifact graph without models: hand-made artifacts that write files and count their runs.
 * Order from declared inputs, cycles refused, reuse by key, only what changed reruns, a selection
 * whose pick flips reruns what starts from it (and one whose pick stays does not), --only/--from,
 * an artifact that fails leaves no manifest and is rerun, status rows.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Experiment } from "../../../../src/config/experiment.ts";
import type { LoadedExperiment } from "../../../../src/config/load.ts";
import { ConfigError } from "../../../../src/errors/config-error.ts";
import type { Artifact } from "../../../../src/experiment/graph/artifact.ts";
import { ArtifactGraph, planGraph } from "../../../../src/experiment/graph/graph.ts";
import { type ArtifactOutcome, type RunEvent, runGraph } from "../../../../src/experiment/graph/run-graph.ts";
import { selectionArtifact } from "../../../../src/experiment/graph/selection.ts";
import { SILENT_PROGRESS } from "../../../../src/experiment/progress.ts";
import { Store } from "../../../../src/store/store.ts";

const runs: string[] = [];
/** An artifact writing `out.txt` = its settings' `text` + its inputs' out.txt; counts its runs. */
function node(id: string, inputs: string[], text: string, extra: Partial<Artifact> = {}): Artifact {
  return {
    id,
    kind: id.split(":")[0]!,
    inputs,
    dir: id.replace(":", "/"),
    version: 1,
    settings: { text },
    async run(ctx) {
      runs.push(id);
      let s = text;
      for (const i of inputs) s += `|${readFileSync(join(ctx.inputDir(i), "out.txt"), "utf8")}`;
      await writeFile(join(ctx.dir, "out.txt"), s);
      return { counts: { chars: s.length }, outputs: ["out.txt"] };
    },
    ...extra,
  };
}
/** A selection: picks the input whose out.txt holds the larger number after "score=". */
function pick(id: string, inputs: string[]): Artifact {
  return {
    id,
    kind: "selection",
    inputs,
    dir: id.replace(":", "/"),
    version: 1,
    settings: {},
    async run(ctx) {
      runs.push(id);
      const score = (i: string) =>
        Number(/score=(\d+)/.exec(readFileSync(join(ctx.inputDir(i), "out.txt"), "utf8"))![1]);
      const best = [...inputs].sort((a, b) => score(b) - score(a))[0]!;
      await writeFile(join(ctx.dir, "out.txt"), best);
      await writeFile(join(ctx.dir, "numbers.txt"), inputs.map((i) => `${i}=${score(i)}`).join(","));
      return { counts: {}, outputs: ["out.txt"] };
    },
  };
}

function study(s: { a: string; b: string; judge: string; sft2: string }): Artifact[] {
  return [
    node("datasets", [], "data"),
    node("adapter:sft", ["datasets"], "sft"),
    node("adapter:raft", ["datasets"], s.sft2),
    node("answers:sft", ["adapter:sft"], "ans"),
    node("answers:raft", ["adapter:raft"], "ans"),
    node("scores:sft", ["answers:sft"], `score=${s.a} ${s.judge}`),
    node("scores:raft", ["answers:raft"], `score=${s.b} ${s.judge}`),
    pick("select:best", ["scores:sft", "scores:raft"]),
    node("adapter:dpo", ["select:best"], "dpo"),
    node("answers:dpo", ["adapter:dpo"], "ans"),
    node("report", ["scores:sft", "scores:raft", "answers:dpo"], "report"),
  ];
}

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "wf-graph-"));
  const exp = {
    file: join(dir, "x.yaml"),
    runDir: join(dir, "run"),
    storePath: join(dir, "s.sqlite"),
    config: { name: "g" },
  } as unknown as LoadedExperiment;
  return { dir, exp };
}

async function run(exp: LoadedExperiment, artifacts: Artifact[], o: { only?: string[]; from?: string[] } = {}) {
  const graph = new ArtifactGraph(artifacts);
  runs.length = 0;
  using store = Store.open(exp.storePath);
  const out: ArtifactOutcome[] = await runGraph({
    exp,
    graph,
    store,
    progress: SILENT_PROGRESS,
    ...(o.only ? { only: graph.select(o.only, (a) => a.kind) } : {}),
    ...(o.from ? { force: graph.downstream(graph.select(o.from, (a) => a.kind)) } : {}),
  });
  return { ran: [...runs], out };
}

describe("ArtifactGraph", () => {
  it("orders from declared inputs (declaration order among ready ones) and refuses cycles and unknown inputs", () => {
    const g = new ArtifactGraph([node("c", ["b"], ""), node("a", [], ""), node("b", ["a"], ""), node("d", [], "")]);
    expect(g.order.map((a) => a.id)).toEqual(["a", "b", "c", "d"]);
    expect([...g.downstream(["b"])].sort()).toEqual(["b", "c"]);
    expect([...g.upstream(["c"])].sort()).toEqual(["a", "b", "c"]);
    expect(() => new ArtifactGraph([node("x", ["y"], ""), node("y", ["z"], ""), node("z", ["x"], "")])).toThrow(
      /cycle: x -> y -> z -> x/,
    );
    expect(() => new ArtifactGraph([node("x", ["nope"], "")])).toThrow(ConfigError);
    expect(() => new ArtifactGraph([node("x", ["nope"], "")])).toThrow(/"x" reads "nope"/);
  });

  it("reuses everything on a second run; reruns only a changed artifact and what reads it", async () => {
    const { exp } = setup();
    const s = { a: "5", b: "3", judge: "j1", sft2: "raft" };
    expect((await run(exp, study(s))).ran).toHaveLength(11);
    expect((await run(exp, study(s))).ran).toEqual([]);
    // the judge: both score sets; the pick (sft) is unchanged, so DPO is reused; the report reruns
    expect((await run(exp, study({ ...s, judge: "j2" }))).ran).toEqual([
      "scores:sft",
      "scores:raft",
      "select:best",
      "report",
    ]);
    // one adapter: it, its answers, its scores, the selection, the report — not sft's line
    expect((await run(exp, study({ ...s, judge: "j2", sft2: "raft-p0.8" }))).ran).toEqual([
      "adapter:raft",
      "answers:raft",
      "scores:raft",
      "select:best",
      "report",
    ]);
  });

  it("a changed score that flips the pick reruns what starts from it, visibly", async () => {
    const { exp } = setup();
    const s = { a: "5", b: "3", judge: "j", sft2: "raft" };
    await run(exp, study(s));
    expect(readFileSync(join(exp.runDir, "select", "best", "out.txt"), "utf8")).toBe("scores:sft");
    const flipped = await run(exp, study({ ...s, b: "9" }));
    expect(flipped.ran).toEqual(["scores:raft", "select:best", "adapter:dpo", "answers:dpo", "report"]);
    expect(readFileSync(join(exp.runDir, "select", "best", "out.txt"), "utf8")).toBe("scores:raft");
    using store = Store.open(exp.storePath);
    const plan = planGraph(new ArtifactGraph(study({ ...s, b: "9" })), exp.runDir, store);
    expect(plan.every((r) => r.state === "done")).toBe(true);
    const stale = planGraph(new ArtifactGraph(study({ ...s, b: "1" })), exp.runDir, store);
    expect(stale.find((r) => r.id === "scores:raft")).toMatchObject({ state: "stale", reason: "settings changed" });
    expect(stale.find((r) => r.id === "select:best")).toMatchObject({
      state: "stale",
      reason: "input scores:raft changes",
    });
    expect(stale.find((r) => r.id === "adapter:sft")!.state).toBe("done");
  });

  it("--only runs the selected artifacts on what is on disk; --from reruns an artifact and all it feeds", async () => {
    const { exp } = setup();
    const s = { a: "5", b: "3", judge: "j", sft2: "raft" };
    await expect(run(exp, study(s), { only: ["scores:sft"] })).rejects.toThrow(/"scores:sft" needs "answers:sft"/);
    await run(exp, study(s));
    const only = await run(exp, study({ ...s, judge: "j2" }), { only: ["scores:sft"] });
    expect(only.ran).toEqual(["scores:sft"]);
    // back to judge j: scores:sft is stale anyway; --from forces adapter:raft and everything downstream of it
    const from = await run(exp, study(s), { from: ["adapter:raft"] });
    expect(from.ran).toEqual([
      "adapter:raft",
      "answers:raft",
      "scores:sft",
      "scores:raft",
      "select:best",
      "adapter:dpo",
      "answers:dpo",
      "report",
    ]);
    expect(from.ran).not.toContain("adapter:sft");
    expect(from.ran).not.toContain("answers:sft");
  });

  it("a failing artifact leaves no manifest, shows as failed with its message, and is rerun", async () => {
    const { exp } = setup();
    const s = { a: "5", b: "3", judge: "j", sft2: "raft" };
    await run(exp, study(s));
    let fail = true;
    const boom = (a: Artifact): Artifact =>
      a.id === "answers:raft"
        ? {
            ...a,
            settings: { text: "new" },
            async run(ctx) {
              await mkdir(ctx.dir, { recursive: true });
              await writeFile(join(ctx.dir, "out.txt"), "half-writ");
              if (fail) throw new Error("killed mid-write");
              return node(a.id, [...a.inputs], "new").run(ctx);
            },
          }
        : a;
    await expect(run(exp, study(s).map(boom))).rejects.toThrow("killed mid-write");
    using store = Store.open(exp.storePath);
    const plan = planGraph(new ArtifactGraph(study(s).map(boom)), exp.runDir, store);
    expect(plan.find((r) => r.id === "answers:raft")).toMatchObject({
      state: "failed",
      reason: "killed mid-write",
      manifest: null,
    });
    expect(plan.find((r) => r.id === "scores:raft")!.state).toBe("stale");
    fail = false;
    expect((await run(exp, study(s).map(boom))).ran).toEqual(["answers:raft", "scores:raft", "select:best", "report"]);
    // a marker left by a process that is gone reads as failed (interrupted)
    writeFileSync(
      join(exp.runDir, ".state", "report.json"),
      JSON.stringify({ id: "report", status: "running", pid: 2 ** 22 + 12345, startedAt: "2099-01-01T00:00:00Z" }),
    );
    const p2 = planGraph(new ArtifactGraph(study(s).map(boom)), exp.runDir, store);
    expect(p2.find((r) => r.id === "report")!.state).toBe("done");
  });
});

describe("run events", () => {
  it("start/done per artifact, progress of its bars with rate and ETA, tokens spent over the run", async () => {
    const { exp } = setup();
    const counting: Artifact = {
      ...node("answers:x", [], "x"),
      async run(ctx) {
        const bar = ctx.progress.bar("generate x", 3);
        for (let i = 1; i <= 3; i++) bar.update(i);
        bar.stop();
        await writeFile(join(ctx.dir, "out.txt"), "x");
        return {
          counts: { answers: 3 },
          outputs: ["out.txt"],
          cost: { promptTokens: 30, completionTokens: 12, usd: 0.5 },
        };
      },
    };
    const events: RunEvent[] = [];
    const graph = new ArtifactGraph([counting, node("report", ["answers:x"], "r")]);
    using store = Store.open(exp.storePath);
    await runGraph({ exp, graph, store, progress: SILENT_PROGRESS, onEvent: (e) => events.push(e) });
    expect(events.map((e) => `${e.type}${"id" in e ? `:${e.id}` : ""}`)).toEqual([
      "run-start",
      "artifact-start:answers:x",
      "progress:answers:x",
      "progress:answers:x",
      "artifact-done:answers:x",
      "artifact-start:report",
      "artifact-done:report",
      "run-done",
    ]);
    const last = events.filter((e) => e.type === "progress").at(-1)!;
    expect(last).toMatchObject({ label: "generate x", done: 3, total: 3, etaSeconds: 0 });
    expect(events.at(-1)).toMatchObject({
      ran: 2,
      reused: 0,
      spent: { promptTokens: 30, completionTokens: 12, usd: 0.5 },
    });
    expect(events[1]).toMatchObject({ reason: "new, [1/2]" });
  });
});

describe("one artifact per dataset recipe", () => {
  it("changing RAFT's P reruns the RAFT set, the RAFT adapter, its answers and scores, the pick, and what starts from the pick only when the pick is the RAFT adapter — not the SFT or preference data, the SFT adapter, the reward model, the base answers", async () => {
    const { exp } = setup();
    /** A recipe writing `train.jsonl` and `card.json` from its settings. */
    const recipe = (name: string, inputs: string[], text: string): Artifact => ({
      ...node(`dataset:${name}`, inputs, text),
      dir: `datasets/${name}`,
      async run(ctx) {
        runs.push(`dataset:${name}`);
        await writeFile(join(ctx.dir, "train.jsonl"), text);
        await writeFile(join(ctx.dir, "card.json"), `{"title": "${name} (${text})"}`);
        return { counts: {}, outputs: ["train.jsonl", "card.json"] };
      },
    });
    /** Writes `out.txt` = `file` of its first input + the out.txt of the others that have one + its id. */
    const reader = (id: string, inputs: string[], file: string, reads?: Record<string, string[]>): Artifact => ({
      ...node(id, inputs, id),
      ...(reads ? { reads } : {}),
      async run(ctx) {
        runs.push(id);
        const parts = [readFileSync(join(ctx.inputDir(inputs[0]!), file), "utf8")];
        for (const i of inputs.slice(1)) {
          const f = join(ctx.inputDir(i), "out.txt");
          if (existsSync(f)) parts.push(readFileSync(f, "utf8"));
        }
        await writeFile(join(ctx.dir, "out.txt"), `${parts.join("|")}|${id}`);
        return { counts: {}, outputs: ["out.txt"] };
      },
    });
    /** One judge score for variant `v`. */
    const scores = (v: string, value: number): Artifact => ({
      ...node(`scores:${v}`, [`answers:${v}`], String(value)),
      async run(ctx) {
        runs.push(`scores:${v}`);
        const answer = readFileSync(join(ctx.inputDir(`answers:${v}`), "out.txt"), "utf8");
        const row = { variant: v, itemId: "q1", evaluator: "judge", status: "scored", value, answer };
        await writeFile(join(ctx.dir, "scores.jsonl"), `${JSON.stringify(row)}\n`);
        return { counts: {}, outputs: ["scores.jsonl"] };
      },
    });
    const c = {
      generate: {
        variants: [
          { name: "sft", model: "m", adapter: "sft" },
          { name: "raft", model: "m", adapter: "raft" },
        ],
      },
    } as unknown as Experiment;
    const graph = (p: number, sft = 5, raft = 3) => [
      node("corpus", [], "threads"),
      recipe("golden", [], "questions"),
      recipe("sft", ["corpus", "dataset:golden"], "sft examples"),
      recipe("preferences", ["corpus"], "pairs"),
      recipe("raft", ["corpus"], `raft examples, oracle p=${p}`),
      reader("datasets", ["dataset:raft", "dataset:golden", "dataset:sft", "dataset:preferences"], "card.json"),
      reader("adapter:sft", ["dataset:sft"], "train.jsonl", { "dataset:sft": ["train.jsonl"] }),
      reader("adapter:raft", ["dataset:raft"], "train.jsonl", { "dataset:raft": ["train.jsonl"] }),
      reader("adapter:reward", ["dataset:preferences"], "train.jsonl"),
      reader("answers:base", ["dataset:golden"], "train.jsonl"),
      reader("answers:sft", ["dataset:golden", "adapter:sft"], "train.jsonl"),
      reader("answers:raft", ["dataset:golden", "adapter:raft"], "train.jsonl"),
      scores("sft", sft),
      scores("raft", raft),
      // the real selection artifact: its choice.json holds the picked adapter's output hash
      selectionArtifact("best", { among: ["sft", "raft"], by: "judge", higherIsBetter: true }, c),
      reader("adapter:dpo", ["select:best", "dataset:preferences"], "choice.json"),
      node("report", [], "r", {
        inputs: ["datasets", "answers:base", "scores:sft", "scores:raft", "adapter:dpo", "adapter:reward"],
      }),
    ];
    // what ran, from the runner's outcomes (the selection artifact does not log into `runs`)
    const ran = async (g: Artifact[]) => (await run(exp, g)).out.filter((o) => o.status === "ran").map((o) => o.id);
    expect(await ran(graph(0.8))).toHaveLength(17);
    expect(await ran(graph(0.8))).toEqual([]);
    const raftLine = ["dataset:raft", "datasets", "adapter:raft", "answers:raft", "scores:raft", "select:best"];
    // the pick is sft (5 > 3) and stays so: what starts from it is reused
    expect(await ran(graph(0.6))).toEqual([...raftLine, "report"]);
    // the pick flips to raft (7 > 5): DPO starts over from the RAFT adapter
    expect(await ran(graph(0.6, 5, 7))).toEqual(["scores:raft", "select:best", "adapter:dpo", "report"]);
    expect(JSON.parse(readFileSync(join(exp.runDir, "select", "best", "choice.json"), "utf8"))).toMatchObject({
      variant: "raft",
      adapter: "raft",
    });
    // the pick stays raft but RAFT's P changes: the retrained RAFT adapter retrains DPO
    expect(await ran(graph(0.3, 5, 7))).toEqual([...raftLine, "adapter:dpo", "report"]);
  });
});
