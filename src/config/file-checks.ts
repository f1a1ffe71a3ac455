/**
 * Checks of an experiment that need the file system, run before anything runs (`wayfarer run`):
 * input files and folders exist, the golden CSV exists, every local model resolves to a GGUF file
 * (a path or a name in the model cache). Every problem is reported, each with its line in the file.
 */
import { existsSync, readFileSync } from "node:fs";
import { isNode, LineCounter, parseDocument } from "yaml";
import { ConfigError } from "../errors/config-error.ts";
import { resolveGgufPath } from "../models/model-cache.ts";
import type { LoadedExperiment } from "./load.ts";

/** A problem at a path of the experiment file. */
export interface FileIssue {
  path: (string | number)[];
  message: string;
}

/** The problems of `exp` that only the file system shows (empty when none). */
export function experimentFileIssues(exp: LoadedExperiment, env: NodeJS.ProcessEnv = process.env): FileIssue[] {
  const c = exp.config;
  const issues: FileIssue[] = [];
  c.import.inputs.forEach((input, i) => {
    if (!existsSync(input.path))
      issues.push({ path: ["import", "inputs", i, "path"], message: `input not found: ${input.path}` });
  });
  if (!existsSync(c.datasets.golden.file))
    issues.push({
      path: ["datasets", "golden", "file"],
      message: `golden set file not found: ${c.datasets.golden.file}`,
    });
  for (const [name, m] of Object.entries(c.models)) {
    if (m.provider !== "llama") continue;
    try {
      resolveGgufPath(m.path, env);
    } catch (e) {
      issues.push({ path: ["models", name, "path"], message: (e as Error).message });
    }
  }
  return issues;
}

/** The 1-based line of a path in a YAML file (the deepest node of the path that exists), or undefined. */
export function lineOf(file: string, path: readonly (string | number)[]): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as (string | number)[], true);
    if (isNode(node) && node.range) return lc.linePos(node.range[0]).line;
  }
  return undefined;
}

/** Throws one ConfigError listing every issue as `file:line field "a.b": message`, one a line. */
export function throwIssues(file: string, issues: readonly FileIssue[]): void {
  if (!issues.length) return;
  const lines = issues.map((i) => {
    const line = lineOf(file, i.path);
    return `${file}${line ? `:${line}` : ""} field "${i.path.join(".")}": ${i.message}`;
  });
  throw new ConfigError(lines.length === 1 ? lines[0]! : `${lines.length} problems:\n  ${lines.join("\n  ")}`);
}
