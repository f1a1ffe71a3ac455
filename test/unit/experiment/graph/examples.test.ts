/**
 * The example experiments load, validate and build their graphs (none is run here), and the graph of
 * an experiment reruns exactly what a change affects: keys are computed with every artifact's output
 * taken to change when its key does (a selection's pick taken to stay the same), so the set of
 * changed keys is the set of artifacts a run would redo.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadExperiment } from "../../../../src/config/load.ts";
import { buildGraph } from "../../../../src/experiment/graph/build.ts";
import { type ArtifactGraph, artifactKey } from "../../../../src/experiment/graph/graph.ts";
import "../../../../src/report/artifact.ts";
import { ROOT } from "../../../helpers/paths.ts";

function keys(g: ArtifactGraph): Map<string, string> {
  const key = new Map<string, string>();
  const out = new Map<string, string>();
  for (const a of g.order) {
    const inputs = Object.fromEntries(a.inputs.map((i) => [i, out.get(i)!]));
    const k = artifactKey(a, inputs, null);
    key.set(a.id, k);
    out.set(a.id, a.kind === "selection" ? "same pick" : k);
  }
  return key;
}
function changed(a: ArtifactGraph, b: ArtifactGraph): string[] {
  const ka = keys(a);
  return [...keys(b)].filter(([id, k]) => ka.get(id) !== k).map(([id]) => id);
}

describe("example experiments", () => {
  it.each(["quickstart", "wanderchat", "study-cpu", "paper-7b"])("%s.yaml loads and builds its graph", async (name) => {
    const exp = await loadExperiment(join(ROOT, "examples", `${name}.yaml`));
    const g = buildGraph(exp);
    const ids = g.order.map((a) => a.id);
    expect(ids.slice(0, 4)).toEqual(["collect", "import", "corpus", "datasets"]);
    expect(ids.at(-1)).toBe("report");
    for (const v of exp.config.generate.variants) {
      expect(ids).toContain(`answers:${v.name}`);
      expect(ids).toContain(`scores:${v.name}`);
    }
    for (const a of exp.config.train.adapters)
      expect(ids.indexOf(`adapter:${a.name}`)).toBeLessThan(ids.indexOf("generate"));
  });

  it("study-cpu: its selection reads the candidates' scores and feeds the report", async () => {
    const g = buildGraph(await loadExperiment(join(ROOT, "examples", "study-cpu.yaml")));
    expect(g.byId.get("select:best-smol")!.inputs).toEqual(["scores:smol-sft", "scores:smol-raft"]);
    expect(g.byId.get("report")!.inputs).toContain("select:best-smol");
    // DPO and RLHF start from the pick; RLHF also waits for its reward model
    expect(g.byId.get("adapter:best-dpo")!.inputs).toEqual(["datasets", "select:best-smol"]);
    expect(g.byId.get("adapter:best-rlhf")!.inputs).toEqual(["datasets", "select:best-smol", "adapter:smol-reward"]);
    // each adapter reads only its own training set (RAFT's P does not retrain the SFT adapters)
    expect(g.byId.get("adapter:smol-raft")!.reads).toEqual({ datasets: ["raft/"] });
    expect(g.byId.get("adapter:smol-sft")!.reads).toEqual({ datasets: ["sft/"] });
    expect(g.byId.get("adapter:best-dpo")!.reads).toEqual({ datasets: ["preferences/"] });
    // a reward model is never a chat variant
    expect(g.order.some((a) => a.id === "answers:smol-reward")).toBe(false);
    expect(g.byId.get("pairwise")!.inputs).toEqual(["generate"]);
  });

  it("quickstart: the judge reruns only scoring, meta and report; an adapter only its own line", async () => {
    const text = await import("node:fs").then((fs) =>
      fs.readFileSync(join(ROOT, "examples", "quickstart.yaml"), "utf8"),
    );
    const dir = mkdtempSync(join(tmpdir(), "wf-examples-"));
    const load = async (t: string) => {
      writeFileSync(
        join(dir, "q.yaml"),
        t.replace("workspace: ../runs", "workspace: runs").replaceAll("quickstart/", `${ROOT}examples/quickstart/`),
      );
      return buildGraph(await loadExperiment(join(dir, "q.yaml")));
    };
    const base = await load(text);
    expect(changed(base, await load(text))).toEqual([]);
    const judge = await load(
      text.replace("maxTokens: 200, maxExplanationChars: 240", "maxTokens: 120, maxExplanationChars: 240"),
    );
    expect(changed(base, judge)).toEqual(["scores:base", "scores:sft", "evaluate", "meta", "report"]);
    const lr = await load(text.replace("learning_rate: 3.0e-4", "learning_rate: 1.0e-4"));
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
