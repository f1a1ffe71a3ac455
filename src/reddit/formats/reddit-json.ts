/**
 * `reddit-json`: Reddit's own JSON (reddit.md, "Listings" and "Comment trees"). A file holds one of:
 * - a comment page, `GET /comments/{id}.json`: `[postListing, commentListing]`;
 * - a JSON array of comment pages;
 * - a Listing of posts (`/r/{sub}/new.json` etc.): threads without comments;
 * - a single `{kind: "t3", data}`.
 * Nested `replies` (a Listing, or `""` when none) are flattened; `more` objects are kept as
 * {@link MoreComments} (counts and ids), not fetched. Records that fail are skipped with their JSON
 * path in `field` (e.g. `[1].data.children[3].data.created_utc`); `line` is the thread's 1-based
 * index in the file.
 */
import { readFile } from "node:fs/promises";
import { commentFromRecord, FieldProblem, postFromRecord, type RawRecord } from "../coerce.ts";
import type { Comment, MoreComments, Thread } from "../thread.ts";
import { orderComments } from "../tree.ts";
import type { ReaderContext } from "./context.ts";

type Thing = { kind?: unknown; data?: unknown };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isListing(v: unknown): v is { kind: "Listing"; data: { children: unknown[] } } {
  return isObject(v) && v.kind === "Listing" && isObject(v.data) && Array.isArray(v.data.children);
}

function isCommentPage(v: unknown): v is [unknown, unknown] {
  return Array.isArray(v) && v.length === 2 && isListing(v[0]) && isListing(v[1]);
}

/** 1-based line of a character offset. */
function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

/** Reads threads from a Reddit JSON file (see the module doc). An unparseable file is one skipped record. */
export async function* readRedditJson(ctx: ReaderContext): AsyncGenerator<Thread> {
  const bytes = await readFile(ctx.file);
  let textContent: string;
  try {
    textContent = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    textContent = new TextDecoder("utf-8").decode(bytes);
    ctx.tally.warn({ file: ctx.file, reason: "invalid UTF-8 replaced by U+FFFD" });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(textContent.charCodeAt(0) === 0xfeff ? textContent.slice(1) : textContent);
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    ctx.tally.skip({
      file: ctx.file,
      line: m ? lineAt(textContent, Number(m[1])) : undefined,
      reason: `not valid JSON: ${(e as Error).message}; file skipped`,
    });
    return;
  }
  let index = 0;
  const emit = (page: unknown, path: string): Thread | undefined => {
    index++;
    ctx.progress(index);
    return threadFromPage(page, path, index, ctx);
  };
  if (isCommentPage(doc)) {
    const t = emit(doc, "");
    if (t) yield t;
  } else if (Array.isArray(doc) && doc.every(isCommentPage)) {
    for (let i = 0; i < doc.length; i++) {
      const t = emit(doc[i], `[${i}]`);
      if (t) yield t;
    }
  } else if (isListing(doc)) {
    const children = doc.data.children;
    for (let i = 0; i < children.length; i++) {
      const child = children[i] as Thing;
      index++;
      if (!isObject(child) || child.kind !== "t3") {
        ctx.tally.skip({
          file: ctx.file,
          line: index,
          field: `data.children[${i}].kind`,
          reason: `expected a post (t3), got ${JSON.stringify((child as Thing)?.kind)}`,
        });
        continue;
      }
      const t = postOnly(child.data, `data.children[${i}].data`, index, ctx);
      if (t) yield t;
    }
  } else if (isObject(doc) && doc.kind === "t3") {
    const t = postOnly(doc.data, "data", 1, ctx);
    if (t) yield t;
  } else {
    ctx.tally.skip({
      file: ctx.file,
      line: 1,
      reason:
        "not a Reddit comment page ([postListing, commentListing]), an array of them, a Listing of posts or a t3 object; file skipped",
    });
  }
}

/**
 * Builds one thread from an in-memory comment page `[postListing, commentListing]` (the shape of
 * `GET /comments/{id}`; nested `replies` or a flat list with `parent_id` links both work). Used by
 * `collect`, which assembles the page from several API responses. Problems are skipped into
 * `ctx.tally` like the file reader does; returns undefined when the page is unusable (not a comment
 * page, or its post fails). `line` is reported as the record number in skips.
 */
export function threadFromCommentPage(page: unknown, ctx: ReaderContext, line = 1): Thread | undefined {
  if (!isCommentPage(page)) {
    ctx.tally.skip({ file: ctx.file, line, reason: "not a Reddit comment page ([postListing, commentListing])" });
    return undefined;
  }
  return threadFromPage(page, "", line, ctx);
}

function postOnly(data: unknown, path: string, line: number, ctx: ReaderContext): Thread | undefined {
  try {
    if (!isObject(data)) throw new FieldProblem("", "not an object");
    return {
      post: postFromRecord(data as RawRecord),
      comments: [],
      source: { kind: "reddit-json", file: ctx.file, line },
    };
  } catch (e) {
    if (!(e instanceof FieldProblem)) throw e;
    ctx.tally.skip({ file: ctx.file, line, field: e.field ? `${path}.${e.field}` : path, reason: e.message });
    return undefined;
  }
}

function threadFromPage(page: unknown, path: string, line: number, ctx: ReaderContext): Thread | undefined {
  const [postListing, commentListing] = page as [{ data: { children: Thing[] } }, { data: { children: Thing[] } }];
  const first = postListing.data.children[0];
  if (!isObject(first) || first.kind !== "t3") {
    ctx.tally.skip({
      file: ctx.file,
      line,
      field: `${path}[0].data.children[0]`,
      reason: "comment page without a post (t3)",
    });
    return undefined;
  }
  const thread = postOnly(first.data, `${path}[0].data.children[0].data`, line, ctx);
  if (!thread) return undefined;
  const comments: Comment[] = [];
  const more: MoreComments[] = [];
  const walk = (children: Thing[], at: string) => {
    children.forEach((child, i) => {
      const here = `${at}[${i}]`;
      if (!isObject(child) || !isObject(child.data)) {
        ctx.tally.skip({ file: ctx.file, line, field: here, reason: "not a thing ({kind, data})" });
        return;
      }
      const data = child.data as RawRecord;
      if (child.kind === "more") {
        const ids = Array.isArray(data.children) ? data.children.filter((c): c is string => typeof c === "string") : [];
        more.push({
          parent_id: String(data.parent_id ?? thread.post.name),
          count: Number(data.count ?? ids.length) || 0,
          children: ids,
        });
        return;
      }
      if (child.kind !== "t1") {
        ctx.tally.skip({
          file: ctx.file,
          line,
          field: `${here}.kind`,
          reason: `expected a comment (t1) or more, got ${JSON.stringify(child.kind)}`,
        });
        return;
      }
      try {
        comments.push(commentFromRecord({ link_id: thread.post.name, ...data }));
      } catch (e) {
        if (!(e instanceof FieldProblem)) throw e;
        // Its replies are still read below; they become orphans in orderComments.
        ctx.tally.skip({ file: ctx.file, line, field: `${here}.data.${e.field}`, reason: e.message });
      }
      if (isListing(data.replies)) walk(data.replies.data.children as Thing[], `${here}.data.replies.data.children`);
    });
  };
  walk(commentListing.data.children, `${path}[1].data.children`);
  const result: Thread = { post: thread.post, comments: orderComments(comments), source: thread.source };
  if (more.length > 0) result.more = more;
  return result;
}
