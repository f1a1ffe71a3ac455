/**
 * Preflight: every input an experiment names is checked before the first stage, all problems reported
 * at once with the experiment file's line; and a run folder belongs to one experiment file.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadExperiment } from "../../../src/config/load.ts";
import { ConfigError } from "../../../src/errors/config-error.ts";
import { SILENT_PROGRESS } from "../../../src/experiment/progress.ts";
import { runExperiment } from "../../../src/experiment/runner.ts";
import { ROOT } from "../../helpers/paths.ts";

const failure = (p: Promise<unknown>) =>
  p.then(
    () => "ran",
    (e: unknown) => (e instanceof ConfigError ? e.message : `not a ConfigError: ${String(e)}`),
  );

describe("preflight", () => {
  it("reports every missing or broken input at once, with its line, before any stage runs", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wf-preflight-"));
    mkdirSync(join(dir, "emptydir"));
    writeFileSync(join(dir, "empty.json"), "");
    writeFileSync(join(dir, "golden.csv"), "Index,Question,Answer\r\n1,Where?,There.\r\n");
    const file = join(dir, "exp.yaml");
    writeFileSync(
      file,
      `name: pf
workspace: ws
import:
  inputs:
    - path: nowhere
    - path: empty.json
    - path: emptydir
datasets:
  golden: { file: golden.csv }
models:
  small: { provider: llama, path: no-such-model-in-cache }
  local: { provider: llama, path: models/missing.gguf }
  judge:
    provider: openai-compatible
    baseURL: https://api.example.com/v1
    model: gpt-x
    apiKeyEnv: WF_TEST_KEY_NOT_SET
train:
  adapters:
    - { name: sft, base: local }
generate:
  variants: [{ name: base, model: small }, { name: tuned, model: local, adapter: sft }]
evaluate:
  evaluators: [bleu, judge-single]
  judge: { model: judge }
`,
    );
    const exp = await loadExperiment(file);
    const msg = await failure(runExperiment({ exp, progress: SILENT_PROGRESS, env: { WAYFARER_PYTHON: "/bin/true" } }));
    const lines = msg.split("\n");
    expect(lines[0]).toBe("7 problems with the experiment's inputs, found before running any stage:");
    expect(lines.slice(1)).toEqual([
      `  ${file}:5 import.inputs.0.path: ${join(dir, "nowhere")}: input not found`,
      `  ${file}:6 import.inputs.1.path: ${join(dir, "empty.json")}: empty file (nothing to import)`,
      `  ${file}:7 import.inputs.2.path: ${join(dir, "emptydir")}: folder holds no files to import`,
      expect.stringMatching(
        new RegExp(
          `^  ${file}:9 datasets\\.golden\\.file: ${join(dir, "golden.csv")}:1 field "Golden Question": missing column\\(s\\) "Golden Question", "Golden Answer"`,
        ),
      ),
      `  ${file}:12 models.local.path: ${join(dir, "models/missing.gguf")}: model file not found (used by train.adapters.0.base)`,
      expect.stringMatching(
        new RegExp(
          `^  ${file}:11 models\\.small\\.path: model "no-such-model-in-cache" is not in the model cache .*\\(used by generate\\.variants\\.0\\)$`,
        ),
      ),
      `  ${file}:17 models.judge.apiKeyEnv: model "judge": environment variable WF_TEST_KEY_NOT_SET is not set (the API key is read from it) (used by evaluate.judge.model)`,
    ]);
    // nothing ran, nothing was claimed
    expect(existsSync(join(dir, "ws"))).toBe(false);
    // only the inputs of the selected stages are checked
    expect(await failure(runExperiment({ exp, progress: SILENT_PROGRESS, only: ["import"], env: {} }))).toMatch(
      /^3 problems/,
    );
  });

  it("a copy of an experiment file with the same name is refused; its own name gives it its own run folder", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wf-owner-"));
    cpSync(join(ROOT, "examples/quickstart"), join(dir, "quickstart"), { recursive: true });
    const text = readFileSync(join(ROOT, "examples/quickstart.yaml"), "utf8").replace(
      "workspace: ../runs",
      "workspace: runs",
    );
    writeFileSync(join(dir, "a.yaml"), text);
    writeFileSync(join(dir, "b.yaml"), text.replace("learning_rate: 3.0e-4", "learning_rate: 1.0e-4"));
    const run = async (f: string) =>
      runExperiment({
        exp: await loadExperiment(join(dir, f)),
        progress: SILENT_PROGRESS,
        only: ["collect", "import"],
        env: {},
      });
    expect((await run("a.yaml"))[1]).toMatchObject({ stage: "import", status: "ran", counts: { threads: 40 } });
    const owner = JSON.parse(readFileSync(join(dir, "runs/quickstart/experiment.json"), "utf8"));
    expect(owner).toMatchObject({ file: join(dir, "a.yaml"), name: "quickstart" });
    expect(await failure(run("b.yaml"))).toBe(
      `${join(dir, "b.yaml")}: experiment name "quickstart" is already used by ${join(dir, "a.yaml")}, whose runs are in ${join(dir, "runs/quickstart")}; two files with one name would overwrite each other's outputs and share their rows in the store. Give this file its own name (name: quickstart-2, for example), or delete ${join(dir, "runs/quickstart")} to start it over`,
    );
    // the owner reruns as before
    expect((await run("a.yaml"))[1]!.status).toBe("skipped");
    writeFileSync(join(dir, "b.yaml"), text.replace("name: quickstart", "name: quickstart-lr"));
    expect((await run("b.yaml"))[1]!.status).toBe("ran");
    expect(existsSync(join(dir, "runs/quickstart-lr/import/threads.jsonl"))).toBe(true);
    // a moved (renamed) owner: its folder goes to the file that runs now
    rmSync(join(dir, "a.yaml"));
    writeFileSync(join(dir, "c.yaml"), text);
    expect((await run("c.yaml"))[1]!.status).toBe("skipped");
    expect(JSON.parse(readFileSync(join(dir, "runs/quickstart/experiment.json"), "utf8")).file).toBe(
      join(dir, "c.yaml"),
    );
    // the whole project copied: the copy's run folder is its own (same place relative to its file)
    const copy = `${dir}-copy`;
    cpSync(dir, copy, { recursive: true });
    const inCopy = await runExperiment({
      exp: await loadExperiment(join(copy, "c.yaml")),
      progress: SILENT_PROGRESS,
      only: ["collect", "import"],
      env: {},
    });
    expect(inCopy[1]).toMatchObject({ stage: "import" });
    expect(JSON.parse(readFileSync(join(copy, "runs/quickstart/experiment.json"), "utf8")).file).toBe(
      join(copy, "c.yaml"),
    );
    // and the original is still its own folder's owner
    expect((await run("c.yaml"))[1]!.status).toBe("skipped");
  });
});
