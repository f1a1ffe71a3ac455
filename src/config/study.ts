/**
 * Settings of the study graph that are not a stage's own: selection rules ("the best of these
 * variants by evaluator X"), which later adapters name as their starting point (`from:`).
 */
import { z } from "zod";

const Name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "use letters, digits, '.', '_' or '-' (no spaces)");

export const SelectionSchema = z
  .object({
    among: z.array(Name).min(1).describe("Variant names (generate.variants) to choose from."),
    by: z.string().min(1).describe("Evaluator id (evaluate.evaluators) whose mean decides."),
    higherIsBetter: z.boolean().default(true).describe("false when a lower value is better (perplexity, latency)."),
  })
  .strict();
export type SelectionConfig = z.output<typeof SelectionSchema>;

export const SelectionsSchema = z
  .record(Name, SelectionSchema)
  .default({})
  .describe(
    "Selection rules: name -> {among, by}. An adapter whose `from` names a rule starts from the adapter of the variant it picks; the pick is an artifact (select:<name>), so a changed score that changes the pick reruns what starts from it.",
  );

/** A validation problem at a path of the experiment file (the loader adds the line). */
export interface StudyIssue {
  path: (string | number)[];
  message: string;
}

interface StudyShape {
  selections?: Record<string, SelectionConfig>;
  train: { adapters: readonly { name: string; [k: string]: unknown }[] };
  generate: { variants: readonly { name: string; adapter?: string | undefined }[] };
  evaluate: { evaluators: readonly (string | { id: string })[] };
}

/** The starting point an adapter names in `from` (a string), if any; other shapes belong to the trainer's schema. */
export function adapterFrom(adapter: { [k: string]: unknown }): string | undefined {
  const f = adapter.from;
  if (typeof f === "string") return f;
  if (f && typeof f === "object" && typeof (f as { adapter?: unknown }).adapter === "string")
    return (f as { adapter: string }).adapter;
  return undefined;
}

/**
 * Checks the selections and the starting points: known variants and evaluators, `from` naming an
 * adapter or a selection, and no cycle (an adapter that starts, directly or through a selection,
 * from itself). One issue per problem.
 */
export function studyIssues(x: StudyShape): StudyIssue[] {
  const issues: StudyIssue[] = [];
  const variants = new Map(x.generate.variants.map((v) => [v.name, v]));
  const evaluators = new Set(x.evaluate.evaluators.map((e) => (typeof e === "string" ? e : e.id)));
  const selections = x.selections ?? {};
  for (const [name, s] of Object.entries(selections)) {
    s.among.forEach((v, i) => {
      if (!variants.has(v))
        issues.push({
          path: ["selections", name, "among", i],
          message: `no variant "${v}" in generate.variants (have: ${[...variants.keys()].join(", ")})`,
        });
    });
    if (!evaluators.has(s.by))
      issues.push({
        path: ["selections", name, "by"],
        message: `evaluator "${s.by}" is not in evaluate.evaluators (have: ${[...evaluators].join(", ")})`,
      });
  }
  const adapters = new Map(x.train.adapters.map((a) => [a.name, a]));
  // edges: adapter -> the adapters it may start from (through a selection: `via` names it)
  const startsFrom = new Map<string, { to: string; via?: string }[]>();
  x.train.adapters.forEach((a, i) => {
    const from = adapterFrom(a);
    if (from === undefined) return;
    if (adapters.has(from)) startsFrom.set(a.name, [{ to: from }]);
    else if (selections[from])
      startsFrom.set(
        a.name,
        selections[from].among
          .map((v) => variants.get(v)?.adapter)
          .filter((n): n is string => n !== undefined)
          .map((to) => ({ to, via: from })),
      );
    else
      issues.push({
        path: ["train", "adapters", i, "from"],
        message: `"${from}" is neither an adapter (train.adapters) nor a selection (selections)`,
      });
  });
  const reported = new Set<string>();
  x.train.adapters.forEach((a, i) => {
    // depth-first from a: does a path lead back to a?
    const seen = new Set<string>();
    const path: string[] = [a.name];
    const shown: string[] = [a.name]; // with the selections the path goes through
    const back = (n: string): boolean => {
      for (const { to: m, via } of startsFrom.get(n) ?? []) {
        path.push(m);
        shown.push(via ? `selection ${via} -> ${m}` : m);
        if (m === a.name) return true;
        if (!seen.has(m)) {
          seen.add(m);
          if (back(m)) return true;
        }
        path.pop();
        shown.pop();
      }
      return false;
    };
    if (back(a.name)) {
      const key = [...path.slice(0, -1)].sort().join(",");
      if (reported.has(key)) return;
      reported.add(key);
      issues.push({
        path: ["train", "adapters", i, "from"],
        message: `starting points form a cycle: ${shown.join(" -> ")}`,
      });
    }
  });
  return issues;
}
