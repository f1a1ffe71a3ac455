/**
 * The report as an artifact of the experiment graph (kind `report`, folder `report/`): reads the
 * other artifacts' files, writes `report.html` (self-contained, no script, charts as inline SVG),
 * `report.md` and `report.json`. Its key includes a fingerprint of the human ratings in the store,
 * so a new rating makes it stale. Importing this module registers the kind.
 */
import { rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { LoadedExperiment } from "../config/load.ts";
import { writeJson } from "../datasets/jsonl.ts";
import { type Artifact, registerArtifactKind } from "../store/artifacts.ts";
import { ratingsFingerprint } from "../store/runs.ts";
import { heatmapSpec, leaderboardSpec, methodMetricsSpec, renderCharts, timeSpec, trainingSpec } from "./charts.ts";
import { renderHtml, renderMarkdown } from "./render.ts";
import { gatherReportData } from "./report-data.ts";
import { gatherStudyData } from "./study-data.ts";
import { renderStudyHtml, renderStudyMarkdown, STUDY_CSS } from "./study-render.ts";

/** Writes the report files into `dir`; returns the data written to report.json. */
export async function writeReport(exp: LoadedExperiment, store: Parameters<typeof gatherReportData>[1], dir: string) {
  const data = await gatherReportData(exp, store);
  const study = await gatherStudyData(exp, data);
  const charts = await renderCharts({
    leaderboard: { title: "leaderboard with 95% intervals", spec: study.stats ? leaderboardSpec(study.stats) : null },
    heatmap: { title: "evaluator agreement heatmap", spec: study.stats ? heatmapSpec(study.stats) : null },
    training: { title: "training curves", spec: trainingSpec(data.training) },
    methodMetrics: {
      title: "reward-model accuracy and margin, DPO margins and accuracies, RL reward and KL per step",
      spec: methodMetricsSpec(data.training),
    },
    time: { title: "seconds per artifact", spec: timeSpec(study.artifacts) },
  });
  study.charts = Object.fromEntries(Object.entries(charts).map(([k, c]) => [k, { title: c.title, spec: c.spec }]));
  let html = renderHtml(data);
  const studyHtml = renderStudyHtml(study, charts);
  html = html.includes("</style>") ? html.replace("</style>", `${STUDY_CSS}</style>`) : html;
  html = html.includes("</body>") ? html.replace("</body>", `${studyHtml}\n</body>`) : `${html}${studyHtml}`;
  await writeFile(join(dir, "report.html.partial"), html);
  await rename(join(dir, "report.html.partial"), join(dir, "report.html"));
  await writeFile(join(dir, "report.md.partial"), `${renderMarkdown(data)}${renderStudyMarkdown(study)}`);
  await rename(join(dir, "report.md.partial"), join(dir, "report.md"));
  const json = { ...data, study };
  await writeJson(join(dir, "report.json"), json);
  return json;
}

/** The report artifact of an experiment: reads every artifact the report shows. */
export function reportArtifact(exp: LoadedExperiment): Artifact {
  const c = exp.config;
  return {
    id: "report",
    kind: "report",
    inputs: [
      "datasets",
      ...c.train.adapters.map((a) => `adapter:${a.name}`),
      "generate",
      "evaluate",
      "meta",
      ...Object.keys(c.selections ?? {}).map((s) => `select:${s}`),
    ],
    dir: "report",
    version: 2,
    settings: c,
    observe: (store) => ratingsFingerprint(store, c.name),
    async run(ctx) {
      const data = await writeReport(ctx.exp, ctx.store, ctx.dir);
      ctx.progress.log(`  report: ${join(ctx.dir, "report.html")}`);
      return {
        counts: {
          variants: data.variants.length,
          questions: data.examples.length,
          findings: data.study.findings.length,
        },
        outputs: ["report.json"],
      };
    },
  };
}

registerArtifactKind("report", (exp) => [reportArtifact(exp)]);
