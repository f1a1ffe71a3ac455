/**
 * `reddit-csv`: one row per post, as in the CSV exports found in the wild (e.g.
 * `../shared/data/reddit-top-2013/*.csv`, header `created_utc,score,domain,id,title,ups,downs,...`).
 * Quirks handled (data/README.md): float-string `created_utc`, `True`/`False` booleans, `edited`
 * `False` or an epoch, absolute permalinks, no `author`/`subreddit` columns (subreddit is read from
 * the permalink, else the file name). Text is kept raw (entities decoded later by `corpus`).
 * Posts only: threads get `comments: []`.
 */
import { basename, extname } from "node:path";
import { FieldProblem, postFromRecord } from "../coerce.ts";
import type { Thread } from "../thread.ts";
import type { ReaderContext } from "./context.ts";
import { readCsvRows } from "./csv.ts";

/** Columns a post row must have: `id`, `title`, `created_utc`. */
export const REDDIT_CSV_REQUIRED = ["id", "title", "created_utc"] as const;
/** Columns whose text we keep; invalid UTF-8 in them is a warning. */
const TEXT_COLUMNS = new Set(["title", "selftext", "link_flair_text", "subreddit", "author"]);

/**
 * Reads posts from a Reddit CSV export. A header without the required columns skips the whole file
 * (one skipped record, line 1); a row with a different number of cells than the header, or an
 * unusable field, is skipped with its line and field.
 */
export async function* readRedditCsv(ctx: ReaderContext): AsyncGenerator<Thread> {
  let width = 0;
  let missing: string[] = [];
  const fallbackSub = basename(ctx.file, extname(ctx.file));
  let records = 0;
  for await (const row of readCsvRows(ctx, (header) => {
    width = header.length;
    missing = REDDIT_CSV_REQUIRED.filter((c) => !header.includes(c));
  })) {
    if (missing.length > 0) {
      records = -1;
      ctx.tally.skip({
        file: ctx.file,
        line: 1,
        field: missing.join(","),
        reason: `not a Reddit post CSV: header lacks column(s) ${missing.join(", ")}; file skipped`,
      });
      return;
    }
    records++;
    if (records % 10_000 === 0) ctx.progress(records);
    if (row.width !== width) {
      ctx.tally.skip({
        file: ctx.file,
        line: row.line,
        reason: `expected ${width} columns (as the header), got ${row.width}`,
      });
      continue;
    }
    let post: Thread["post"];
    try {
      post = postFromRecord(row.cells, fallbackSub);
    } catch (e) {
      if (!(e instanceof FieldProblem)) throw e;
      ctx.tally.skip({ file: ctx.file, line: row.line, field: e.field, reason: e.message });
      continue;
    }
    for (const f of row.badUtf8) {
      if (TEXT_COLUMNS.has(f))
        ctx.tally.warn({ file: ctx.file, line: row.line, field: f, reason: "invalid UTF-8 replaced by U+FFFD" });
    }
    yield { post, comments: [], source: { kind: "reddit-csv", file: ctx.file, line: row.line } };
  }
  if (missing.length > 0 && records === 0) {
    ctx.tally.skip({
      file: ctx.file,
      line: 1,
      field: missing.join(","),
      reason: `not a Reddit post CSV: header lacks column(s) ${missing.join(", ")}; file skipped`,
    });
  }
  ctx.progress(records);
}
