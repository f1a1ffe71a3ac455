/**
 * `threads-jsonl`: Wayfarer's own format, one {@link Thread} JSON object per line (what
 * `importThreads` writes and `corpus` reads). Lines are checked for the fields later stages rely on;
 * a line that is not JSON or lacks them is skipped with its line number.
 */

import { readLines } from "../lines.ts";
import type { Thread } from "../thread.ts";
import type { ReaderContext } from "./context.ts";

/** Why `value` is not a usable Thread (the first problem found), or null when it is. Field is a JSON path. */
export function threadProblem(value: unknown): { field: string; reason: string } | null {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return { field: "", reason: "not a JSON object" };
  const t = value as Record<string, unknown>;
  const post = t.post as Record<string, unknown> | undefined;
  if (typeof post !== "object" || post === null) return { field: "post", reason: "missing or not an object" };
  for (const f of ["id", "name", "subreddit", "title", "selftext"]) {
    if (typeof post[f] !== "string") return { field: `post.${f}`, reason: "missing or not a string" };
  }
  for (const f of ["score", "num_comments", "created_utc"]) {
    if (typeof post[f] !== "number") return { field: `post.${f}`, reason: "missing or not a number" };
  }
  if (!Array.isArray(t.comments)) return { field: "comments", reason: "missing or not an array" };
  for (let i = 0; i < t.comments.length; i++) {
    const c = t.comments[i] as Record<string, unknown> | null;
    if (typeof c !== "object" || c === null) return { field: `comments[${i}]`, reason: "not an object" };
    for (const f of ["id", "name", "parent_id", "body"]) {
      if (typeof c[f] !== "string") return { field: `comments[${i}].${f}`, reason: "missing or not a string" };
    }
    if (typeof c.depth !== "number") return { field: `comments[${i}].depth`, reason: "missing or not a number" };
  }
  if (typeof t.source !== "object" || t.source === null) return { field: "source", reason: "missing or not an object" };
  return null;
}

/** Reads a threads JSONL file, skipping (and counting) bad lines. Blank lines are ignored. */
export async function* readThreadsJsonlChecked(ctx: ReaderContext): AsyncGenerator<Thread> {
  let records = 0;
  for await (const l of readLines(ctx.file)) {
    if (l.tooLong) {
      ctx.tally.skip({ file: ctx.file, line: l.line, reason: "line longer than 64 MiB" });
      continue;
    }
    if (l.text.trim() === "") continue;
    records++;
    if (records % 10_000 === 0) ctx.progress(records);
    if (l.invalidUtf8) ctx.tally.warn({ file: ctx.file, line: l.line, reason: "invalid UTF-8 replaced by U+FFFD" });
    let value: unknown;
    try {
      value = JSON.parse(l.text);
    } catch (e) {
      ctx.tally.skip({ file: ctx.file, line: l.line, reason: `not valid JSON: ${(e as Error).message}` });
      continue;
    }
    const problem = threadProblem(value);
    if (problem) {
      ctx.tally.skip({ file: ctx.file, line: l.line, field: problem.field, reason: problem.reason });
      continue;
    }
    yield value as Thread;
  }
  ctx.progress(records);
}
