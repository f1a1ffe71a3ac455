/**
 * The report's charts: Vega-Lite specifications compiled and rendered to SVG here (vega + vega-lite
 * in Node, renderer "none" -> `toSVG`), inlined in the HTML. The report therefore needs no script and
 * no network to show them; the specs are kept in report.json for anyone who wants them interactive.
 */
import type * as vl from "vega-lite";
import type { MetaStats } from "../evaluation/stats/meta-stats.ts";
import type { TrainSummary } from "../store/records.ts";

/** A chart: its Vega-Lite spec and the rendered SVG. */
export interface Chart {
  title: string;
  spec: vl.TopLevelSpec;
  svg: string;
}

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

/** Compiles and renders a Vega-Lite spec to an SVG string (deterministic for the same spec). */
export async function renderVegaLite(spec: vl.TopLevelSpec): Promise<string> {
  // loaded on first use: the CLI starts faster for the commands that draw nothing
  const [vega, vegaLite] = await Promise.all([import("vega"), import("vega-lite")]);
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Leaderboard: per evaluator, each variant's mean with its 95% interval (point + rule). */
export function leaderboardSpec(stats: MetaStats): vl.TopLevelSpec | null {
  const values = stats.evaluators.flatMap((e) =>
    stats.variants.flatMap((v) => {
      const c = stats.cells[v]?.[e];
      return c && c.value !== null
        ? [{ evaluator: e, variant: v, mean: c.value, low: c.low ?? c.value, high: c.high ?? c.value, n: c.n }]
        : [];
    }),
  );
  if (!values.length) return null;
  return {
    $schema: SCHEMA,
    data: { values },
    facet: { row: { field: "evaluator", type: "nominal", title: null } },
    resolve: { scale: { x: "independent" } },
    spec: {
      width: 420,
      layer: [
        {
          mark: { type: "rule", strokeWidth: 2 },
          encoding: {
            y: { field: "variant", type: "nominal", title: null },
            x: {
              field: "low",
              type: "quantitative",
              title: "mean with 95% bootstrap interval",
              scale: { zero: false },
            },
            x2: { field: "high" },
          },
        },
        {
          mark: { type: "point", filled: true, size: 60 },
          encoding: {
            y: { field: "variant", type: "nominal" },
            x: { field: "mean", type: "quantitative" },
            tooltip: [{ field: "variant" }, { field: "mean", format: ".3f" }, { field: "n" }],
          },
        },
      ],
    },
  } as vl.TopLevelSpec;
}

/** Heatmap of Spearman rho between every two evaluators (diagonal = 1). */
export function heatmapSpec(stats: MetaStats): vl.TopLevelSpec | null {
  if (stats.evaluators.length < 2) return null;
  const values: { a: string; b: string; rho: number | null; label: string }[] = [];
  for (const a of stats.evaluators)
    for (const b of stats.evaluators) {
      if (a === b) {
        values.push({ a, b, rho: 1, label: "1" });
        continue;
      }
      const x = stats.agreement.find((r) => (r.a === a && r.b === b) || (r.a === b && r.b === a));
      const rho = x?.rho.value ?? null;
      values.push({ a, b, rho, label: rho === null ? "n/a" : `${rho.toFixed(2)} (n=${x!.n})` });
    }
  return {
    $schema: SCHEMA,
    data: { values },
    width: 60 * stats.evaluators.length,
    height: 60 * stats.evaluators.length,
    layer: [
      {
        mark: "rect",
        encoding: {
          x: { field: "a", type: "nominal", title: null },
          y: { field: "b", type: "nominal", title: null },
          color: {
            field: "rho",
            type: "quantitative",
            scale: { domain: [-1, 1], scheme: "redblue" },
            title: "Spearman rho",
          },
        },
      },
      {
        mark: { type: "text", fontSize: 10 },
        encoding: { x: { field: "a", type: "nominal" }, y: { field: "b", type: "nominal" }, text: { field: "label" } },
      },
    ],
  } as vl.TopLevelSpec;
}

/** Training curves: loss per step for every adapter (train solid, eval dashed). */
export function trainingSpec(training: readonly TrainSummary[]): vl.TopLevelSpec | null {
  const values = training.flatMap((t) => [
    ...t.losses.map((l) => ({ adapter: t.adapter, method: t.method, split: "train", step: l.step, loss: l.loss })),
    ...t.evalLosses.map((l) => ({ adapter: t.adapter, method: t.method, split: "eval", step: l.step, loss: l.loss })),
  ]);
  if (!values.length) return null;
  return {
    $schema: SCHEMA,
    data: { values },
    width: 480,
    height: 220,
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "step", type: "quantitative" },
      y: { field: "loss", type: "quantitative", scale: { zero: false } },
      color: { field: "adapter", type: "nominal" },
      // train solid, eval dashed (the default order is alphabetical: eval would be the solid one)
      strokeDash: {
        field: "split",
        type: "nominal",
        scale: {
          domain: ["train", "eval"],
          range: [
            [1, 0],
            [4, 3],
          ],
        },
      },
    },
  } as vl.TopLevelSpec;
}

/**
 * The metrics each method is judged by, under TRL's logged names: the reward model's pairwise accuracy
 * and margin (chosen minus rejected score), DPO's implicit-reward margin and accuracy, and the RL
 * policy's mean reward-model score and KL to its start policy. SFT/RAFT have only their loss.
 */
export const METHOD_METRICS: Record<string, readonly string[]> = {
  reward: ["accuracy", "margin"],
  dpo: ["rewards/margins", "rewards/accuracies"],
  rlhf: ["reward", "kl"],
};

/**
 * Method metrics per logged training step (train batches), one panel per metric, a line per adapter:
 * reward accuracy and margin, DPO margins and accuracies, RL reward and KL. Null when no adapter
 * logged any of {@link METHOD_METRICS}.
 */
export function methodMetricsSpec(training: readonly TrainSummary[]): vl.TopLevelSpec | null {
  const values = training.flatMap((t) => {
    const keys = METHOD_METRICS[t.trainingMethod ?? ""] ?? [];
    return (t.metrics ?? []).flatMap((m) =>
      keys.flatMap((k) => {
        const v = m.metrics[k];
        return typeof v === "number" && Number.isFinite(v)
          ? [
              {
                adapter: t.adapter,
                method: t.trainingMethod,
                metric: `${t.trainingMethod}: ${k}`,
                step: m.step,
                value: v,
              },
            ]
          : [];
      }),
    );
  });
  if (!values.length) return null;
  return {
    $schema: SCHEMA,
    data: { values },
    facet: { row: { field: "metric", type: "nominal", title: null } },
    resolve: { scale: { y: "independent" } },
    spec: {
      width: 480,
      height: 120,
      mark: { type: "line", point: true },
      encoding: {
        x: { field: "step", type: "quantitative" },
        y: { field: "value", type: "quantitative", scale: { zero: false }, title: null },
        color: { field: "adapter", type: "nominal" },
      },
    },
  } as vl.TopLevelSpec;
}

/** Seconds per artifact (horizontal bars). */
export function timeSpec(artifacts: readonly { id: string; kind: string; seconds: number }[]): vl.TopLevelSpec | null {
  if (!artifacts.length) return null;
  return {
    $schema: SCHEMA,
    data: { values: artifacts.map((a) => ({ id: a.id, kind: a.kind, seconds: a.seconds })) },
    width: 420,
    mark: "bar",
    encoding: {
      y: { field: "id", type: "nominal", sort: null, title: null },
      x: { field: "seconds", type: "quantitative", title: "seconds (last run of each artifact)" },
      color: { field: "kind", type: "nominal" },
    },
  } as vl.TopLevelSpec;
}

/** Renders the specs that exist (null specs are left out). */
export async function renderCharts(
  specs: Record<string, { title: string; spec: vl.TopLevelSpec | null }>,
): Promise<Record<string, Chart>> {
  const out: Record<string, Chart> = {};
  for (const [k, { title, spec }] of Object.entries(specs))
    if (spec) out[k] = { title, spec, svg: await renderVegaLite(spec) };
  return out;
}
