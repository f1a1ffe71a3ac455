import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadExperiment, stableHash } from "../../../src/config/load.ts";
import { ConfigError } from "../../../src/errors/config-error.ts";
import { InputError } from "../../../src/errors/input-error.ts";
import { ROOT } from "../../helpers/paths.ts";

const dir = mkdtempSync(join(tmpdir(), "wf-config-"));
const write = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};

const VALID = `name: t
import:
  inputs: [{ path: data }]
datasets:
  golden: { file: golden.csv }
models:
  m: { provider: llama, path: smollm2-135m-instruct-q4_1 }
train:
  adapters: [{ name: a, base: m }]
generate:
  variants: [{ name: base, model: m }, { name: tuned, model: m, adapter: a }]
`;

describe("loadExperiment", () => {
  it("loads the bundled examples with defaults filled and paths resolved", async () => {
    const exp = await loadExperiment("examples/quickstart.yaml", ROOT);
    expect(exp.config.name).toBe("quickstart");
    expect(exp.config.import.inputs[0]!.path).toBe(join(ROOT, "examples/quickstart/threads"));
    expect(exp.config.datasets.golden.file).toBe(join(ROOT, "examples/quickstart/golden.csv"));
    expect(exp.runDir).toBe(join(ROOT, "runs/quickstart"));
    expect(exp.config.train.adapters[0]!.lora.r).toBe(16);
    expect(exp.config.generate.temperature).toBe(0);
    expect(exp.config.corpus.quality.minUpvoteRatio).toBe(0.8);
    const w = await loadExperiment("examples/wanderchat.yaml", ROOT);
    expect(w.config.datasets.golden.file).toBe(join(ROOT, "..", "shared/data/wanderchat/golden_answers.csv"));
  });

  it("keeps model cache names and resolves model file paths", async () => {
    const exp = await loadExperiment(write("ok.yaml", VALID));
    expect(exp.config.models.m).toMatchObject({ path: "smollm2-135m-instruct-q4_1" });
    const exp2 = await loadExperiment(write("ok2.yaml", VALID.replace("smollm2-135m-instruct-q4_1", "models/x.gguf")));
    expect(exp2.config.models.m).toMatchObject({ path: join(dir, "models/x.gguf") });
  });

  it("names the file when it is missing", async () => {
    const err = await loadExperiment(join(dir, "nope.yaml")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(`${join(dir, "nope.yaml")}: no such experiment file`);
  });

  it("names file and line of a YAML syntax error", async () => {
    const f = write("bad.yaml", "name: t\nimport:\n  inputs: [ {path: x }\nmodels: {}\n");
    const err = await loadExperiment(f).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(new RegExp(`^${f}:\\d+: not valid YAML`));
  });

  it("names file, line and field of an invalid setting", async () => {
    const f = write("badfield.yaml", VALID.replace("generate:\n", "generate:\n  temperature: hot\n"));
    const err = await loadExperiment(f).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(new RegExp(`^${f}:11 field "generate.temperature": `));
  });

  it("rejects cross-references to unknown models and adapters before any work", async () => {
    const f = write("xref.yaml", VALID.replace("adapter: a }", "adapter: zzz }"));
    const err = await loadExperiment(f).catch((e: unknown) => e);
    expect((err as Error).message).toContain('field "generate.variants.1.adapter": no adapter "zzz" in train.adapters');
    const g = write("xref2.yaml", VALID.replace("base: m }", "base: nope }"));
    expect(((await loadExperiment(g).catch((e: unknown) => e)) as Error).message).toContain(
      'no model "nope" in models (have: m)',
    );
  });

  it("rejects unknown keys (typos do not silently fall back to defaults)", async () => {
    const f = write("typo.yaml", VALID.replace("generate:\n", "generate:\n  maxTokenz: 5\n"));
    expect(((await loadExperiment(f).catch((e: unknown) => e)) as Error).message).toContain("maxTokenz");
  });

  it("points an unknown key at its own line, and explains a malformed evaluate.pairwise.pairs", async () => {
    const typo = write(
      "pairwise-typo.yaml",
      `${VALID}evaluate:\n  judge: { model: m }\n  pairwise:\n    baseline: base\n    reference: false\n    max_tokens: 100\n`,
    );
    expect(((await loadExperiment(typo).catch((e: unknown) => e)) as Error).message).toBe(
      `${typo}:17 field "evaluate.pairwise": Unrecognized key: "max_tokens"`,
    );
    const flat = write(
      "pairwise-flat.yaml",
      `${VALID}evaluate:\n  judge: { model: m }\n  pairwise:\n    pairs: [base, tuned]\n`,
    );
    expect(((await loadExperiment(flat).catch((e: unknown) => e)) as Error).message).toBe(
      `${flat}:15 field "evaluate.pairwise.pairs": expected "all" or a list of [A, B] variant-name pairs, e.g. [[base, sft]]`,
    );
  });
});

describe("stableHash", () => {
  it("ignores key order but not values", () => {
    expect(stableHash({ a: 1, b: [1, { c: 2, d: 3 }] })).toBe(stableHash({ b: [1, { d: 3, c: 2 }], a: 1 }));
    expect(stableHash({ a: 1 })).not.toBe(stableHash({ a: 2 }));
    expect(stableHash([1, 2])).not.toBe(stableHash([2, 1]));
  });
});

describe("evaluate.evaluators checked against the registry when the file loads", () => {
  it("names the line of an unknown id (with a suggestion) and of a bad option", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wf-load-eval-"));
    const file = join(dir, "e.yaml");
    writeFileSync(
      file,
      [
        "name: t",
        "import:",
        "  inputs: [{ path: x }]",
        "datasets:",
        "  golden: { file: g.csv }",
        "models:",
        "  m: { provider: llama, path: smollm2-135m-instruct-q4_1 }",
        "generate:",
        "  variants: [{ name: base, model: m }]",
        "evaluate:",
        "  evaluators:",
        "    - bleu",
        "    - embeding-cosine",
        "    - { id: rougeL, options: { stemer: false } }",
        "",
      ].join("\n"),
    );
    const err = await loadExperiment(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toMatch(
      /e\.yaml:13 field "evaluate\.evaluators\.1": unknown evaluator "embeding-cosine" \(did you mean embedding-cosine\?\)/,
    );
    expect(msg).toMatch(/e\.yaml:14 field "evaluate\.evaluators\.2\.options": Unrecognized key: "stemer"/);
  });
});
