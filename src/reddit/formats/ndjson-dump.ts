/**
 * `ndjson-zst`: Pushshift / Arctic Shift dumps — `RS_YYYY-MM.zst` (posts) and `RC_YYYY-MM.zst`
 * (comments), one JSON object per line, zstd-compressed with a long window; plain `.ndjson` files of
 * the same records are read too. Field quirks follow reddit.md ("Dumps"): `created_utc` as a string,
 * `edited` as `false`/`true`/epoch, missing fields.
 *
 * Posts and comments from *all* dump inputs of an import are joined into threads by `link_id`, in
 * bounded memory, in two passes:
 * 1. stream every file line by line; each usable record is normalised (Post / Comment) and appended
 *    to one of B bucket files chosen by a hash of its thread id (B grows with the input size so a
 *    bucket stays around 64 MiB of JSON);
 * 2. read one bucket at a time, group by thread, order comments and compute depth from `parent_id`
 *    ({@link orderComments}), and yield threads (sorted by post fullname within a bucket).
 * Memory is one bucket plus write buffers (flushed at 16 MiB), whatever the dump size.
 *
 * A record is a comment when it has `body` and `link_id`, a post when it has `title`; anything else
 * is skipped. Comments whose post is not in the inputs are skipped and counted (one example per
 * thread). A duplicated post id keeps the first record. Malformed input never aborts: a bad JSON line
 * or field is skipped with its line; invalid UTF-8 is replaced and warned; a truncated/corrupt zstd
 * stream keeps the lines before the damage and is reported at the line after the last good one.
 */
import { appendFileSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { commentFromRecord, FieldProblem, postFromRecord, type RawRecord } from "../coerce.ts";
import { readLines, splitLines } from "../lines.ts";
import type { ImportTally } from "../report.ts";
import type { Comment, Post, Thread } from "../thread.ts";
import { orderComments } from "../tree.ts";
import { decompressedChunks, type ZstdDecoder, ZstdStreamError, zstdCliAvailable } from "../zstd.ts";
import type { ReaderContext } from "./context.ts";

/** Options of {@link readNdjsonDumps}. */
export interface ReadDumpsOptions {
  files: string[];
  tally: ImportTally;
  ctxFor: (file: string) => ReaderContext;
  /** Where the bucket folder is created (removed at the end). */
  tmpDir: string;
  /** zstd decoder (default `auto`: the `zstd` CLI when on PATH, else fzstd). */
  decoder?: ZstdDecoder;
  /** Number of buckets; default from total input size (compressed size x 8 / 64 MiB, 8..1024). */
  buckets?: number;
}

type BucketLine =
  | { t: "p"; post: Post; file: string; line: number }
  | { t: "c"; c: Comment; file: string; line: number };

/** FNV-1a 32-bit over UTF-16 code units: cheap and well spread for ids. */
function bucketOf(threadName: string, buckets: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < threadName.length; i++) {
    h ^= threadName.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % buckets;
}

/** `link_id` of a comment line without parsing it (fast path); null when absent or not simple. */
const LINK_ID = /"link_id"\s*:\s*"(t3_[A-Za-z0-9_]+)"/;

/** Raw comment lines are spilled as `c\t<fileIndex>\t<line>\t<json>` and parsed in pass 2. */
function rawCommentLine(fileIndex: number, line: number, text: string): string {
  return `c\t${fileIndex}\t${line}\t${text}\n`;
}

/** Joins posts and comments of every dump file into threads (see the module doc). */
export async function* readNdjsonDumps(opts: ReadDumpsOptions): AsyncGenerator<Thread> {
  const decoder = opts.decoder === "js" || opts.decoder === "cli" ? opts.decoder : zstdCliAvailable() ? "cli" : "js";
  let totalBytes = 0;
  for (const f of opts.files) totalBytes += statSync(f).size;
  const buckets = opts.buckets ?? Math.min(1024, Math.max(8, Math.ceil((totalBytes * 8) / (64 << 20))));
  const dir = mkdtempSync(join(opts.tmpDir, ".wayfarer-join-"));
  try {
    const buffers: string[][] = Array.from({ length: buckets }, () => []);
    let buffered = 0;
    const flush = () => {
      buffers.forEach((lines, i) => {
        if (lines.length > 0) appendFileSync(join(dir, `b${i}.ndjson`), lines.join(""));
        buffers[i] = [];
      });
      buffered = 0;
    };
    const put = (threadName: string, rec: BucketLine) => {
      const s = `${JSON.stringify(rec)}\n`;
      buffers[bucketOf(threadName, buckets)]!.push(s);
      buffered += s.length;
      if (buffered > 16 << 20) flush();
    };
    const putRaw = (threadName: string, s: string) => {
      buffers[bucketOf(threadName, buckets)]!.push(s);
      buffered += s.length;
      if (buffered > 16 << 20) flush();
    };
    for (const [fileIndex, file] of opts.files.entries()) {
      const ctx = opts.ctxFor(file);
      let lastLine = 0;
      let records = 0;
      try {
        for await (const l of splitLines(decompressedChunks(file, decoder))) {
          lastLine = l.line;
          if (l.tooLong) {
            opts.tally.skip({ file, line: l.line, reason: "line longer than 64 MiB" });
            continue;
          }
          if (l.text.length === 0 || l.text.trim() === "") continue;
          records++;
          if (records % 100_000 === 0) ctx.progress(records);
          // Fast path: a comment line is routed by its link_id and parsed only once, in pass 2.
          if (!l.invalidUtf8 && !l.text.includes("\n")) {
            const m = LINK_ID.exec(l.text);
            if (m && l.text.includes('"body"')) {
              putRaw(m[1]!, rawCommentLine(fileIndex, l.line, l.text));
              continue;
            }
          }
          let rec: RawRecord;
          try {
            const v: unknown = JSON.parse(l.text);
            if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("not a JSON object");
            rec = v as RawRecord;
          } catch (e) {
            opts.tally.skip({ file, line: l.line, reason: `not valid JSON: ${(e as Error).message}` });
            continue;
          }
          if (l.invalidUtf8) opts.tally.warn({ file, line: l.line, reason: "invalid UTF-8 replaced by U+FFFD" });
          try {
            if (rec.body !== undefined && rec.link_id !== undefined) {
              const c = commentFromRecord(rec);
              put(c.link_id, { t: "c", c, file, line: l.line });
            } else if (rec.title !== undefined) {
              const post = postFromRecord(rec);
              put(post.name, { t: "p", post, file, line: l.line });
            } else {
              opts.tally.skip({ file, line: l.line, reason: "neither a post (title) nor a comment (body + link_id)" });
            }
          } catch (e) {
            if (!(e instanceof FieldProblem)) throw e;
            opts.tally.skip({ file, line: l.line, field: e.field, reason: e.message });
          }
        }
      } catch (e) {
        if (!(e instanceof ZstdStreamError) && (e as NodeJS.ErrnoException).code === undefined) throw e;
        opts.tally.skip({
          file,
          line: lastLine + 1,
          reason: `${(e as Error).message}; kept the ${lastLine} lines before it`,
        });
      }
      ctx.progress(records);
    }
    flush();

    for (let b = 0; b < buckets; b++) {
      const path = join(dir, `b${b}.ndjson`);
      let exists = true;
      try {
        statSync(path);
      } catch {
        exists = false;
      }
      if (!exists) continue;
      const groups = new Map<
        string,
        {
          post?: { post: Post; file: string; line: number };
          comments: Comment[];
          first?: { file: string; line: number };
        }
      >();
      for await (const l of readLines(path)) {
        if (l.text === "") continue;
        let rec: BucketLine;
        if (l.text.startsWith("c\t")) {
          const a = l.text.indexOf("\t", 2);
          const b = l.text.indexOf("\t", a + 1);
          const file = opts.files[Number(l.text.slice(2, a))]!;
          const line = Number(l.text.slice(a + 1, b));
          try {
            const v: unknown = JSON.parse(l.text.slice(b + 1));
            if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("not a JSON object");
            rec = { t: "c", c: commentFromRecord(v as RawRecord), file, line };
          } catch (e) {
            if (e instanceof FieldProblem) opts.tally.skip({ file, line, field: e.field, reason: e.message });
            else opts.tally.skip({ file, line, reason: `not valid JSON: ${(e as Error).message}` });
            continue;
          }
        } else rec = JSON.parse(l.text) as BucketLine;
        const key = rec.t === "p" ? rec.post.name : rec.c.link_id;
        let g = groups.get(key);
        if (!g) {
          g = { comments: [] };
          groups.set(key, g);
        }
        if (rec.t === "p") {
          if (g.post)
            opts.tally.skip({
              file: rec.file,
              line: rec.line,
              field: "id",
              reason: `duplicate post ${key} (first at ${g.post.file}:${g.post.line})`,
            });
          else g.post = { post: rec.post, file: rec.file, line: rec.line };
        } else {
          g.comments.push(rec.c);
          g.first ??= { file: rec.file, line: rec.line };
        }
      }
      const keys = [...groups.keys()].sort();
      for (const key of keys) {
        const g = groups.get(key)!;
        if (!g.post) {
          opts.tally.skipMany(
            {
              file: g.first!.file,
              line: g.first!.line,
              field: "link_id",
              reason: `comment of post ${key}, which is not in the inputs (${g.comments.length} such comments, all skipped)`,
            },
            g.comments.length,
          );
          continue;
        }
        yield {
          post: g.post.post,
          comments: orderComments(g.comments),
          source: { kind: "pushshift-zst", file: g.post.file, line: g.post.line },
        };
      }
      groups.clear();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
