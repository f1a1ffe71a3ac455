/**
 * A wrong experiment file is refused before anything runs, with one message per problem and its
 * line: unknown key, wrong type, unknown model, a cycle in starting points (schema). Missing files
 * and models not in the cache are the preflight's (src/experiment/preflight.ts, its own tests).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadExperiment } from "../../../src/config/load.ts";
import { ConfigError } from "../../../src/errors/config-error.ts";

const dir = mkdtempSync(join(tmpdir(), "wf-validate-"));
function write(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

const base = (extra: { adapters?: string; variants?: string; top?: string; models?: string } = {}) => `name: v
import:
  inputs: [{ path: nowhere/threads }]
datasets:
  golden: { file: missing.csv }
models:
  smol: { provider: llama, path: ${extra.models ?? "smollm2-135m-instruct-q4_1"} }
train:
  adapters:
${extra.adapters ?? "    - { name: sft, base: smol }"}
generate:
  variants:
${extra.variants ?? "    - { name: base, model: smol }\n    - { name: sft, model: smol, adapter: sft }"}
evaluate:
  evaluators: [bleu]
${extra.top ?? ""}`;

async function problems(text: string): Promise<string[]> {
  const e = await loadExperiment(write("x.yaml", text)).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(ConfigError);
  const msg = (e as Error).message;
  return msg.includes("problems:")
    ? msg
        .split("\n")
        .slice(1)
        .map((l) => l.trim())
    : [msg];
}

describe("experiment validation", () => {
  it("lists every schema problem, each with its line: unknown key, wrong type, unknown model", async () => {
    const p = await problems(
      base({
        variants: "    - { name: base, model: smol, colour: red }\n    - { name: sft, model: nope }",
        top: "seed: many\n",
      }),
    );
    // shape problems come together; cross-references (zod refinements) once the shape is right
    expect(p).toHaveLength(2);
    expect(p.find((l) => l.includes("colour"))).toMatch(
      /x\.yaml:13 field "generate\.variants\.0": Unrecognized key: "colour"/,
    );
    expect(p.find((l) => l.includes("seed"))).toMatch(/x\.yaml:17 field "seed": .*number/);
    const refs = await problems(
      base({ variants: "    - { name: base, model: nope }\n    - { name: sft, model: gone }" }),
    );
    expect(refs).toEqual([
      expect.stringMatching(/x\.yaml:13 field "generate\.variants\.0\.model": no model "nope"/),
      expect.stringMatching(/x\.yaml:14 field "generate\.variants\.1\.model": no model "gone"/),
    ]);
  });

  it("refuses a cycle in starting points, directly and through a selection", async () => {
    // only dpo/rlhf take `from:` (src/config/training.ts), and they start from sft/raft adapters, so a
    // cycle also breaks that rule: both are reported, the cycle once, at the line of its first adapter
    const direct = await problems(
      base({
        adapters:
          "    - { name: sft, base: smol }\n    - { name: a, base: smol, method: dpo, from: b }\n    - { name: b, base: smol, method: dpo, from: a }",
      }),
    );
    expect(direct.filter((l) => l.includes("cycle"))).toEqual([
      expect.stringMatching(/x\.yaml:11 field "train\.adapters\.1\.from": starting points form a cycle: a -> b -> a/),
    ]);
    expect(direct.join("\n")).toMatch(/adapter "b" is a dpo adapter; DPO starts from an sft or raft adapter/);
    const viaSelection = await problems(
      base({
        adapters: "    - { name: sft, base: smol }\n    - { name: d, base: smol, method: dpo, from: best }",
        variants:
          "    - { name: base, model: smol }\n    - { name: sft, model: smol, adapter: sft }\n    - { name: d, model: smol, adapter: d }",
        top: "selections:\n  best: { among: [sft, d], by: bleu }\n",
      }),
    );
    expect(viaSelection.join("\n")).toMatch(
      /field "train\.adapters\.1\.from": starting points form a cycle: d -> selection best -> d$/m,
    );
    expect(viaSelection.join("\n")).toMatch(
      /selection "best" may pick variant "d", which is not an sft or raft adapter/,
    );
    const unknown = await problems(
      base({
        adapters: "    - { name: sft, base: smol }\n    - { name: d, base: smol, method: dpo, from: nothing }",
        top: "selections:\n  best: { among: [base, ghost], by: rougeL }\n",
      }),
    );
    expect(unknown.join("\n")).toMatch(/selections\.best\.among\.1": no variant "ghost"/);
    expect(unknown.join("\n")).toMatch(/selections\.best\.by": evaluator "rougeL" is not in evaluate\.evaluators/);
    expect(unknown.join("\n")).toMatch(/"nothing" is neither an adapter/);
  });
});
