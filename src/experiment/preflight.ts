/**
 * Preflight: every input an experiment names is checked before the first stage runs, so that a
 * missing model file or a golden CSV without its columns is reported in a second, not after import,
 * corpus, datasets and training have run. All problems are collected and reported together, one line
 * each, naming the experiment file's line of the setting and, for a data file, its own file:line.
 *
 * Checked, for the stages that will run:
 * - import: every `import.inputs[].path` exists; a file is not empty; a folder holds at least one file;
 * - datasets: the golden CSV reads (header with its columns, at least one usable row) — the same reader
 *   the datasets stage uses, so the message is the one it would give;
 * - train: each adapter's base model resolves to a GGUF file (path or model cache name), and the
 *   trainer's Python environment exists;
 * - generate: each variant's model (a GGUF file, or an endpoint whose API key variable is set);
 * - evaluate: the evaluate stage's own check (evaluator ids, the resources they need), and the judge,
 *   embedder and pairwise judge models (file or API key).
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { isMap, isNode, isScalar, LineCounter, parseDocument } from "yaml";
import { pairwiseJudgeModel } from "../config/experiment.ts";
import type { LoadedExperiment } from "../config/load.ts";
import { readGoldenCsv } from "../datasets/golden.ts";
import { ConfigError } from "../errors/config-error.ts";
import { WayfarerError } from "../errors/wayfarer-error.ts";
import { resolveGgufPath } from "../models/model-cache.ts";
import { apiKeyOf } from "../models/registry.ts";
import { claimRunFolder } from "../store/run-folder.ts";
import { trainerPython } from "../training/python.ts";
import type { StageId } from "./stage.ts";
import { checkEvaluateStage } from "./stages/evaluate-stage.ts";

/** One problem found by {@link findPreflightProblems}. */
export interface PreflightProblem {
  /** Setting path in the experiment file, e.g. ["models", "smollm2", "path"]. */
  setting: (string | number)[];
  /** What is wrong, naming the data file (and its line) where there is one. */
  message: string;
}

/** Line (1-based) of a setting in the experiment file; the nearest enclosing setting when it is absent. */
function settingLines(text: string): (path: (string | number)[]) => number | undefined {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });
  return (path) => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) {
        // a key of a mapping: point at the key's line rather than the value's start
        if (n === path.length && n > 0) {
          const parent = doc.getIn(path.slice(0, n - 1), true);
          if (isMap(parent)) {
            const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(path[n - 1]));
            if (pair && isNode(pair.key) && pair.key.range) return counter.linePos(pair.key.range[0]).line;
          }
        }
        return counter.linePos(node.range[0]).line;
      }
    }
    return undefined;
  };
}

const message = (e: unknown) => (WayfarerError.isInstance(e) ? e.message : String((e as Error)?.message ?? e));

/**
 * Every problem with the inputs the selected stages read (see the module comment); empty when all is
 * well. Reads only file metadata, the golden CSV and the environment — never a model or the network.
 */
export async function findPreflightProblems(
  exp: LoadedExperiment,
  stages: readonly StageId[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<PreflightProblem[]> {
  const c = exp.config;
  const problems: PreflightProblem[] = [];
  const add = (setting: (string | number)[], msg: string) => {
    problems.push({ setting, message: msg });
  };
  const checkedModels = new Set<string>();
  const model = (name: string, setting: (string | number)[]) => {
    if (checkedModels.has(name)) return;
    checkedModels.add(name);
    const m = c.models[name];
    if (!m) return; // the schema already refused an unknown model name
    try {
      if (m.provider === "llama") resolveGgufPath(m.path, env);
      else apiKeyOf(name, m, env);
    } catch (e) {
      add(
        m.provider === "llama" ? ["models", name, "path"] : ["models", name, "apiKeyEnv"],
        `${message(e)} (used by ${setting.join(".")})`,
      );
    }
  };

  if (stages.includes("import")) {
    for (const [i, input] of c.import.inputs.entries()) {
      const at = ["import", "inputs", i, "path"];
      if (!existsSync(input.path)) {
        add(at, `${input.path}: input not found`);
        continue;
      }
      const st = statSync(input.path);
      if (st.isFile() && st.size === 0) add(at, `${input.path}: empty file (nothing to import)`);
      else if (st.isDirectory() && !hasFile(input.path)) add(at, `${input.path}: folder holds no files to import`);
    }
  }
  if (stages.includes("datasets")) {
    try {
      await readGoldenCsv(c.datasets.golden.file, { limit: 1 });
    } catch (e) {
      add(["datasets", "golden", "file"], message(e));
    }
  }
  if (stages.includes("train") && c.train.adapters.length > 0) {
    for (const [i, a] of c.train.adapters.entries()) model(a.base, ["train", "adapters", i, "base"]);
    try {
      trainerPython(env);
    } catch (e) {
      add(["train"], message(e));
    }
  }
  if (stages.includes("generate"))
    for (const [i, v] of c.generate.variants.entries()) model(v.model, ["generate", "variants", i]);
  if (stages.includes("evaluate")) {
    // evaluator ids and the resources they need (judge, embedder, reference LM): the evaluate stage's own check
    try {
      checkEvaluateStage(c, env);
    } catch (e) {
      add(["evaluate", "evaluators"], message(e));
    }
    if (c.evaluate.judge) model(c.evaluate.judge.model, ["evaluate", "judge", "model"]);
    if (c.evaluate.embedder) model(c.evaluate.embedder.model, ["evaluate", "embedder", "model"]);
    const pj = pairwiseJudgeModel(c);
    if (pj !== undefined) model(pj, ["evaluate", "pairwise", "judge"]);
  }
  return problems;
}

function hasFile(dir: string): boolean {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith(".")) continue;
    if (e.isFile()) return true;
    if (e.isDirectory() && hasFile(`${dir}/${e.name}`)) return true;
  }
  return false;
}

/**
 * Checks the inputs of the selected stages and claims the run folder (see claimRunFolder) before
 * any stage runs. Throws one ConfigError listing every problem, one per line:
 * `<experiment file>:<line> <setting>: <problem>`.
 */
export async function preflight(
  exp: LoadedExperiment,
  stages: readonly StageId[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const problems = await findPreflightProblems(exp, stages, env);
  if (problems.length > 0) {
    const lineOf = settingLines(await readFile(exp.file, "utf8"));
    const lines = problems.map((p) => {
      const line = lineOf(p.setting);
      return `${exp.file}${line ? `:${line}` : ""} ${p.setting.join(".")}: ${p.message}`;
    });
    throw new ConfigError(
      `${problems.length === 1 ? "a problem" : `${problems.length} problems`} with the experiment's inputs, found before running any stage:\n  ${lines.join("\n  ")}`,
    );
  }
  await claimRunFolder(exp);
}
