import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { defaultDeps } from "../../reddit/collect/client.ts";
import { collectThreads, THREADS_FILE } from "../../reddit/collect/collect.ts";
import type { Stage, StageResult } from "../stage.ts";

/**
 * collect: threads from the Reddit API (when the experiment has a `collect` section), journaled
 * page by page so a killed run resumes without refetching. Without `collect` it writes an empty
 * threads file and the pipeline reads only the import inputs.
 */
export const collectStage: Stage = {
  id: "collect",
  deps: [],
  version: 1,
  settings: (exp) => exp.config.collect ?? null,
  async run(ctx): Promise<StageResult> {
    const options = ctx.exp.config.collect;
    const dir = ctx.dir("collect");
    if (!options) {
      await writeFile(join(dir, THREADS_FILE), "");
      return { counts: { threads: 0 }, outputs: [THREADS_FILE], notes: [] };
    }
    let bar: ReturnType<typeof ctx.progress.bar> | undefined;
    const report = await collectThreads({
      options,
      outDir: dir,
      deps: defaultDeps(ctx.env, (line) => ctx.progress.log(`  ${line}`)),
      onProgress: (p) => {
        bar ??= ctx.progress.bar("collect threads", 0);
        bar.update(p.threads, `${p.fetched} fetched, ${p.fromJournal} from journal`);
      },
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    bar?.stop();
    const notes: string[] = [];
    if (report.cappedListings > 0) notes.push(`${report.cappedListings} listing(s) hit Reddit's ~1,000-item cap`);
    if (report.skippedCount > 0)
      notes.push(`collect skipped ${report.skippedCount} record(s) (see collect/collect-report.json)`);
    return {
      counts: {
        threads: report.threads,
        comments: report.comments,
        pagesFetched: report.pages.fetched,
        pagesFromJournal: report.pages.fromJournal,
      },
      outputs: [THREADS_FILE],
      notes,
    };
  },
};
