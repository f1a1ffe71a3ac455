/**
 * Selection rules as artifacts: `select:<name>` reads the scores of its candidate variants and picks
 * the one with the best mean under one evaluator. Only the pick (`choice.json`: the variant, its adapter
 * and that adapter's output hash) is hashed, so a changed score reruns what starts from the pick only
 * when the pick itself changes, and a retrained picked adapter (RAFT's P changed) reruns it too; the
 * numbers behind it are in `selection.json` and in the report.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Experiment } from "../../config/experiment.ts";
import type { SelectionConfig } from "../../config/study.ts";
import { readJsonlAll, writeJson } from "../../datasets/jsonl.ts";
import { WayfarerError } from "../../errors/wayfarer-error.ts";
import { type MeanCi, meanWithCi } from "../../evaluation/stats/variant-stats.ts";
import type { ScoreRecord } from "../stages/evaluate-stage.ts";
import type { Artifact } from "./artifact.ts";

/** `select/<name>/choice.json`: the pick. */
export interface SelectionChoice {
  selection: string;
  variant: string;
  /** The picked variant's adapter (null for a base model). */
  adapter: string | null;
  /** The output hash of the picked adapter's artifact when the pick ran (null for a base model). */
  adapterOutput: string | null;
}

/** `select/<name>/selection.json`: the pick and the numbers behind it. */
export interface SelectionRecord extends SelectionChoice {
  by: string;
  higherIsBetter: boolean;
  candidates: ({ variant: string; adapter: string | null } & MeanCi)[];
}

/** Reads the pick of a selection from its folder; null when it has not run. */
export function readChoice(dir: string): SelectionChoice | null {
  const f = join(dir, "choice.json");
  return existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as SelectionChoice) : null;
}

/** The artifact of one selection rule. Ties go to the candidate listed first. */
export function selectionArtifact(name: string, s: SelectionConfig, c: Experiment): Artifact {
  const adapterOf = (v: string) => c.generate.variants.find((x) => x.name === v)?.adapter ?? null;
  return {
    id: `select:${name}`,
    kind: "selection",
    // the candidates' adapters too: what starts from the pick trains on the picked adapter's weights
    inputs: [
      ...s.among.map((v) => `scores:${v}`),
      ...new Set(s.among.flatMap((v) => (adapterOf(v) ? [`adapter:${adapterOf(v)}`] : []))),
    ],
    dir: `select/${name}`,
    version: 2,
    settings: s,
    async run(ctx) {
      const candidates: SelectionRecord["candidates"] = [];
      for (const v of s.among) {
        const rows = await readJsonlAll<ScoreRecord>(join(ctx.inputDir(`scores:${v}`), "scores.jsonl"));
        const values = rows
          .filter((r) => r.evaluator === s.by && r.status === "scored" && r.value !== null)
          .map((r) => r.value!);
        candidates.push({ variant: v, adapter: adapterOf(v), ...meanWithCi(values) });
      }
      const sign = s.higherIsBetter ? 1 : -1;
      let best: (typeof candidates)[number] | undefined;
      for (const cand of candidates)
        if (cand.value !== null && (best === undefined || sign * cand.value > sign * best.value!)) best = cand;
      if (!best)
        throw new WayfarerError(
          `selection "${name}": none of ${s.among.join(", ")} has a score by ${s.by} (every answer unscored?)`,
        );
      const adapterOutput = best.adapter
        ? (
            JSON.parse(readFileSync(join(ctx.inputDir(`adapter:${best.adapter}`), "manifest.json"), "utf8")) as {
              outputHash: string;
            }
          ).outputHash
        : null;
      const choice: SelectionChoice = { selection: name, variant: best.variant, adapter: best.adapter, adapterOutput };
      await writeJson(join(ctx.dir, "selection.json"), {
        ...choice,
        by: s.by,
        higherIsBetter: s.higherIsBetter,
        candidates,
      } satisfies SelectionRecord);
      await writeJson(join(ctx.dir, "choice.json"), choice);
      const fmt = (x: MeanCi) =>
        `${x.value?.toFixed(3) ?? "n/a"}${x.low !== null ? ` [${x.low.toFixed(3)}, ${x.high!.toFixed(3)}]` : ""} (n=${x.n})`;
      return {
        counts: { candidates: candidates.length },
        outputs: ["choice.json"],
        notes: [
          `${name}: picked ${best.variant} by ${s.by} — ${candidates.map((x) => `${x.variant} ${fmt(x)}`).join("; ")}`,
        ],
      };
    },
  };
}
