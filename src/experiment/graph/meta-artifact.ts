/**
 * The `meta` artifact: numbers the report states with uncertainty, computed once from
 * `evaluate/scores.jsonl` — per variant x evaluator the mean with a bootstrap 95% interval, paired
 * comparisons of every two variants per evaluator (mean difference with interval, Wilcoxon
 * signed-rank p), and the agreement of every two evaluators (Spearman rho over the answers both
 * scored, with a bootstrap interval). Writes `meta/meta.json` (MetaStats, src/evaluation/stats/meta-stats.ts).
 */
import { join } from "node:path";
import type { Experiment } from "../../config/experiment.ts";
import { readJsonlAll, writeJson } from "../../datasets/jsonl.ts";
import { computeMetaStats } from "../../evaluation/stats/meta-stats.ts";
import { STATS_DEFAULTS } from "../../evaluation/stats/variant-stats.ts";
import type { ScoreRecord } from "../../store/records.ts";
import type { Artifact } from "./artifact.ts";

/** The meta artifact of an experiment (reads the `evaluate` aggregate). */
export function metaArtifact(c: Experiment): Artifact {
  const variants = c.generate.variants.map((v) => v.name);
  return {
    id: "meta",
    kind: "meta",
    inputs: ["evaluate"],
    dir: "meta",
    version: 1,
    settings: { variants, ...STATS_DEFAULTS },
    async run(ctx) {
      const rows = await readJsonlAll<ScoreRecord>(join(ctx.inputDir("evaluate"), "scores.jsonl"));
      const stats = computeMetaStats(rows, variants);
      await writeJson(join(ctx.dir, "meta.json"), stats);
      return {
        counts: { evaluators: stats.evaluators.length, comparisons: stats.paired.length },
        outputs: ["meta.json"],
      };
    },
  };
}
