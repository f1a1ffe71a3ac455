import { join } from "node:path";
import { writeJson } from "../../datasets/jsonl.ts";
import { importThreads } from "../../reddit/import.ts";
import type { Stage } from "../stage.ts";

/** import: every input of the experiment -> `import/threads.jsonl` + `import/report.json`. */
export const importStage: Stage = {
  id: "import",
  deps: ["collect"],
  version: 1,
  settings: (exp) => exp.config.import,
  async run(ctx) {
    const dir = ctx.dir("import");
    const files = new Set<string>();
    const report = await importThreads({
      inputs: [
        ...(ctx.exp.config.collect
          ? [{ path: join(ctx.dir("collect"), "threads.jsonl"), format: "threads-jsonl" as const }]
          : []),
        ...ctx.exp.config.import.inputs,
      ],
      outFile: join(dir, "threads.jsonl"),
      ...(ctx.exp.config.import.subreddits ? { subreddits: ctx.exp.config.import.subreddits } : {}),
      onProgress: ({ file, records }) => {
        if (!files.has(file) && records >= 100_000) ctx.progress.log(`  reading ${file} (large file)`);
        files.add(file);
      },
    });
    await writeJson(join(dir, "report.json"), report);
    const notes: string[] = [];
    if (report.skippedCount > 0) {
      notes.push(
        `import skipped ${report.skippedCount} record(s); first: ${report.skipped
          .slice(0, 3)
          .map((s) => `${s.file}${s.line ? `:${s.line}` : ""}: ${s.reason}`)
          .join("; ")}`,
      );
    }
    if (report.filtered.posts + report.filtered.comments > 0)
      notes.push(
        `import left out ${report.filtered.posts} post(s) and ${report.filtered.comments} comment(s) of other subreddits (import.subreddits)`,
      );
    if (report.warningCount > 0)
      notes.push(`import repaired ${report.warningCount} record(s) (see import/report.json)`);
    return {
      counts: {
        files: report.files,
        threads: report.threads,
        comments: report.comments,
        skipped: report.skippedCount,
        ...(ctx.exp.config.import.subreddits
          ? { filteredPosts: report.filtered.posts, filteredComments: report.filtered.comments }
          : {}),
      },
      outputs: ["threads.jsonl"],
      notes,
    };
  },
};
