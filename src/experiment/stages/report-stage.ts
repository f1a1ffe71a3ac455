import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeJson } from "../../datasets/jsonl.ts";
import { renderHtml, renderMarkdown } from "../../report/render.ts";
import { gatherReportData } from "../../report/report-data.ts";
import type { Stage } from "../stage.ts";

/** report: `report/report.{html,md,json}` from every stage's outputs. */
export const reportStage: Stage = {
  id: "report",
  deps: ["datasets", "train", "generate", "evaluate"],
  version: 1,
  // human ratings arrive through the server at any time; the report is cheap, so it always runs
  alwaysRun: true,
  settings: (exp) => exp.config,
  async run(ctx) {
    const data = await gatherReportData(ctx.exp, ctx.store);
    const dir = ctx.dir("report");
    await writeFile(join(dir, "report.html"), renderHtml(data));
    await writeFile(join(dir, "report.md"), renderMarkdown(data));
    await writeJson(join(dir, "report.json"), data);
    ctx.progress.log(`  report: ${join(dir, "report.html")}`);
    return { counts: { variants: data.variants.length, questions: data.examples.length }, outputs: ["report.json"] };
  },
};
