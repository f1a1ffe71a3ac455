import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { isMap, isNode, isScalar, LineCounter, parseDocument } from "yaml";
import { ConfigError } from "../errors/config-error.ts";
import { InputError } from "../errors/input-error.ts";
import { evaluatorConfigIssues } from "../evaluation/registry.ts";
import { type Experiment, ExperimentSchema } from "./experiment.ts";

/** A validated experiment with every relative path resolved against the file's folder. */
export interface LoadedExperiment {
  /** Absolute path of the YAML file. */
  file: string;
  config: Experiment;
  /** Absolute folder for outputs of this experiment: `<workspace>/<name>`. */
  runDir: string;
  /** Absolute path of the workspace store (`<workspace>/wayfarer.sqlite`). */
  storePath: string;
}

/** Hex sha256 of a JSON-serialisable value with sorted keys (stable across key order). */
export function stableHash(value: unknown): string {
  const norm = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(norm);
    if (v && typeof v === "object") {
      return Object.fromEntries(
        Object.keys(v as Record<string, unknown>)
          .sort()
          .map((k) => [k, norm((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return createHash("sha256")
    .update(JSON.stringify(norm(value)))
    .digest("hex");
}

/**
 * Reads, validates and resolves an experiment file. Errors name the file and line:
 * `InputError` when the file is missing or not YAML; `ConfigError` `file:line field "a.b": problem`
 * when a setting is invalid (every problem, one a line).
 */
export async function loadExperiment(path: string, cwd = process.cwd()): Promise<LoadedExperiment> {
  const file = resolve(cwd, path);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new InputError({ file }, code === "ENOENT" ? "no such experiment file" : `cannot read (${code})`, { cause });
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line;
    throw new InputError(
      { file, ...(line ? { line } : {}) },
      `not valid YAML: ${e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "")}`,
    );
  }
  const raw = doc.toJS() as unknown;
  if (!raw || typeof raw !== "object") throw new InputError({ file }, "expected a YAML mapping of settings");
  const parsed = ExperimentSchema.safeParse(raw);
  // Checks that need the evaluator registry (known ids, each evaluator's options), reported the same way.
  const issues: Array<{ path: PropertyKey[]; message: string; code?: string; keys?: string[] }> = parsed.success
    ? evaluatorConfigIssues(parsed.data.evaluate.evaluators).map((i) => ({ ...i, path: ["evaluate", ...i.path] }))
    : parsed.error.issues;
  if (issues.length > 0) {
    const lines = issues.map((issue) => {
      const path = issue.path.map(String);
      let node: unknown;
      for (let n = path.length; n >= 0 && !isNode(node); n--)
        node = doc.getIn(issue.path.slice(0, n) as string[], true);
      // An unknown key: the line of the key itself, not of the mapping holding it.
      if (issue.code === "unrecognized_keys" && issue.keys && isMap(node)) {
        const key = issue.keys[0];
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
        if (pair && isNode(pair.key)) node = pair.key;
      }
      const line = isNode(node) && node.range ? lineCounter.linePos(node.range[0]).line : undefined;
      return `${file}${line ? `:${line}` : ""} field "${path.join(".") || "(root)"}": ${issue.message}`;
    });
    throw new ConfigError(lines.length === 1 ? lines[0]! : `${lines.length} problems:\n  ${lines.join("\n  ")}`);
  }
  const config = resolvePaths(parsed.data!, dirname(file));
  const workspace = config.workspace;
  return {
    file,
    config,
    runDir: resolve(workspace, config.name),
    storePath: resolve(workspace, "wayfarer.sqlite"),
  };
}

/** Returns a copy with file paths made absolute relative to `base` (model cache names are kept). */
function resolvePaths(config: Experiment, base: string): Experiment {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const isCacheName = (p: string) => !p.includes("/") && !p.endsWith(".gguf");
  return {
    ...config,
    workspace: abs(config.workspace),
    import: { ...config.import, inputs: config.import.inputs.map((i) => ({ ...i, path: abs(i.path) })) },
    datasets: { ...config.datasets, golden: { ...config.datasets.golden, file: abs(config.datasets.golden.file) } },
    models: Object.fromEntries(
      Object.entries(config.models).map(([k, m]) => [
        k,
        m.provider === "llama" && !isCacheName(m.path) ? { ...m, path: abs(m.path) } : m,
      ]),
    ),
  };
}
