/**
 * `threads-csv`: one row per thread with the comments concatenated into one cell, the shape of
 * `../shared/data/wanderchat/golden_reddit_threads.csv` (columns `title`, `selftext`, `comments`,
 * plus any others, which are ignored; duplicate and empty header names are tolerated).
 *
 * The source joined its comments with `", "` after stripping apostrophes, digits and brackets
 * (so `[deleted]` became `deleted`). That join cannot be undone exactly; {@link splitConcatenatedComments}
 * documents the rule we use. Threads get a content-derived id (`h` + 12 hex of SHA-256 of
 * title + "\n" + selftext), subreddit from a `subreddit` column or `"unknown"`, `created_utc` 0 and
 * comment scores 0 (unknown in the source), comments all top level in source order.
 */
import { createHash } from "node:crypto";
import type { Comment, Thread } from "../thread.ts";
import type { ReaderContext } from "./context.ts";
import { readCsvRows } from "./csv.ts";

const USED = ["title", "selftext", "comments", "subreddit"];

/**
 * Splits a `", "`-joined comment string into comments. A `", "` is a boundary when
 * (a) the text before it ends a sentence (`.`, `!`, `?`, `…`, `)` or a closing quote after one of
 * them) and the text after it starts like a sentence (upper-case letter, digit, quote, `(`, `*`),
 * or (b) the piece on either side is exactly `deleted` or `removed` (a stripped `[deleted]`), which
 * comes back as `[deleted]`/`[removed]` so `corpus` drops it. Comments that end without
 * punctuation and are followed by another comment stay merged with it (under-splitting, never
 * splitting inside a sentence). Empty pieces are dropped.
 */
export function splitConcatenatedComments(joined: string): string[] {
  const parts = joined.split(", ");
  const out: string[] = [];
  let current = parts[0] ?? "";
  const isStub = (s: string) => /^(deleted|removed)$/i.test(s.trim());
  for (let i = 1; i < parts.length; i++) {
    const next = parts[i]!;
    const endsSentence = /[.!?…](["'”’)\]]*)$/.test(current.trimEnd()) || /\)$/.test(current.trimEnd());
    const startsSentence = /^[\p{Lu}\p{N}"'“‘(*]/u.test(next);
    if ((endsSentence && startsSentence) || isStub(current) || isStub(next)) {
      out.push(current);
      current = next;
    } else current += `, ${next}`;
  }
  out.push(current);
  return out
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => (isStub(s) ? `[${s.toLowerCase()}]` : s));
}

/** Reads threads from a threads CSV (see the module doc). Rows without a title are skipped. */
export async function* readThreadsCsv(ctx: ReaderContext): AsyncGenerator<Thread> {
  let missing: string[] = [];
  let width = 0;
  let records = 0;
  for await (const row of readCsvRows(ctx, (header) => {
    width = header.length;
    missing = ["title", "comments"].filter((c) => !header.includes(c));
  })) {
    if (missing.length > 0) break;
    records++;
    if (row.width !== width) {
      ctx.tally.skip({
        file: ctx.file,
        line: row.line,
        reason: `expected ${width} columns (as the header), got ${row.width}`,
      });
      continue;
    }
    const title = (row.cells.title ?? "").trim();
    if (title === "") {
      ctx.tally.skip({ file: ctx.file, line: row.line, field: "title", reason: "empty title" });
      continue;
    }
    for (const f of row.badUtf8) {
      if (USED.includes(f))
        ctx.tally.warn({ file: ctx.file, line: row.line, field: f, reason: "invalid UTF-8 replaced by U+FFFD" });
    }
    const selftext = row.cells.selftext ?? "";
    const id = `h${createHash("sha256").update(`${title}\n${selftext}`).digest("hex").slice(0, 12)}`;
    const subreddit = row.cells.subreddit?.trim() || "unknown";
    const bodies = splitConcatenatedComments(row.cells.comments ?? "");
    const comments: Comment[] = bodies.map((body, i) => ({
      id: `${id}c${i + 1}`,
      name: `t1_${id}c${i + 1}`,
      parent_id: `t3_${id}`,
      link_id: `t3_${id}`,
      body,
      author: null,
      score: 0,
      created_utc: 0,
      depth: 0,
      distinguished: null,
      stickied: false,
      is_submitter: false,
      edited: false,
    }));
    yield {
      post: {
        id,
        name: `t3_${id}`,
        subreddit,
        title,
        selftext,
        author: null,
        score: 0,
        upvote_ratio: null,
        num_comments: comments.length,
        created_utc: 0,
        permalink: "",
        url: null,
        over_18: false,
        link_flair_text: null,
        removed_by_category: null,
        is_self: true,
        stickied: false,
        distinguished: null,
        edited: false,
      },
      comments,
      source: { kind: "threads-csv", file: ctx.file, line: row.line },
    };
  }
  if (missing.length > 0) {
    ctx.tally.skip({
      file: ctx.file,
      line: 1,
      field: missing.join(","),
      reason: `not a threads CSV: header lacks column(s) ${missing.join(", ")}; file skipped`,
    });
  }
  ctx.progress(records);
}
