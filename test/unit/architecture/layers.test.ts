/**
 * The layering of ARCHITECTURE.md, checked on the import statements of src/: foundation (errors,
 * config, store, models) -> stages (reddit, corpus, datasets, retrieval, training, evaluation) ->
 * experiment -> report and server -> cli. A module imports only from its own layer or lower ones;
 * experiment/ and report/ never import each other. Known exceptions are listed with their reason.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../helpers/paths.ts";

const LAYER: Record<string, number> = {
  errors: 0,
  config: 0,
  store: 0,
  models: 0,
  reddit: 1,
  corpus: 1,
  datasets: 1,
  retrieval: 1,
  training: 1,
  evaluation: 1,
  experiment: 2,
  report: 3,
  server: 3,
  cli: 4,
};

/** Imports that break the rule today, each with why (remove when fixed). */
const EXCEPTIONS: Record<string, string> = {
  "config/load.ts -> evaluation/registry.ts": "evaluator option checks report with the file's line numbers",
  "models/ -> evaluation/": "embedders share the evaluation's encoder",
  "models/rag-prompt.ts -> retrieval/index.ts":
    "the RAG prompt formats retrieved documents (their type could move to models/)",
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

describe("layers", () => {
  it("every import goes to the same or a lower layer; experiment and report do not import each other", () => {
    const src = join(ROOT, "src");
    const violations: string[] = [];
    const used = new Set<string>();
    for (const f of files(src)) {
      const from = relative(src, f);
      const fromTop = from.split("/")[0]!;
      const text = readFileSync(f, "utf8");
      for (const m of text.matchAll(/^(?:import|export)[^"';]*?from\s+"(\.[^"]+)"|^import\s+"(\.[^"]+)"/gm)) {
        const spec = m[1] ?? m[2]!;
        const to = relative(src, resolve(f, "..", spec));
        const toTop = to.split("/")[0]!;
        if (!(fromTop in LAYER) || !(toTop in LAYER) || fromTop === toTop) continue;
        const bad =
          LAYER[toTop]! > LAYER[fromTop]! ||
          (fromTop === "experiment" && toTop === "report") ||
          (fromTop === "report" && toTop === "experiment");
        if (!bad) continue;
        const key = `${from} -> ${to}`;
        const excused = Object.keys(EXCEPTIONS).find((e) => {
          const [a, b] = e.split(" -> ") as [string, string];
          return (a.endsWith("/") ? from.startsWith(a) : from === a) && (b.endsWith("/") ? to.startsWith(b) : to === b);
        });
        if (excused) used.add(excused);
        if (!excused) violations.push(key);
      }
    }
    expect(violations).toEqual([]);
    // an exception that no import needs any more is removed from the list
    expect(Object.keys(EXCEPTIONS).filter((e) => !used.has(e))).toEqual([]);
  });
});
