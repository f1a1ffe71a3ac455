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
 * Memory is bounded by the bucket size, whatever the dump size: pass 2 holds a bucket's bytes with
 * its output after them in one buffer (about twice the bucket; up to two are kept for reuse while
 * written blocks drain), pass 1 holds 16 MiB of bucket write buffers.
 *
 * Speed (issue 4): every source line is read once, in pass 1. A usual comment line is not even
 * `JSON.parse`d: a validating byte scan (`ndjson-fast.ts`) writes its bucket line straight from the
 * source bytes; any other line goes through `JSON.parse` + `coerce.ts` (same result, same errors).
 * A bucket line is the normalised record already serialised (`JSON.stringify` of the Post /
 * Comment) behind a small tab-separated header holding what the join needs (thread, ids, score,
 * time, source depth). Pass 2 reads a bucket as bytes, orders comments from the headers alone and
 * assembles each thread's JSON line by copying the stored bytes (only a comment's `depth` value is
 * rewritten), so the body text is never decoded, parsed or re-encoded again. The output is
 * byte-identical to `JSON.stringify(thread)` of the {@link Thread} (see {@link readNdjsonDumpsRaw}).
 *
 * A record is a comment when it has `body` and `link_id`, a post when it has `title`; anything else
 * is skipped. Comments whose post is not in the inputs are skipped and counted (one example per
 * thread). A duplicated post id keeps the first record. Malformed input never aborts: a bad JSON line
 * or field is skipped with its line; invalid UTF-8 is replaced and warned; a truncated/corrupt zstd
 * stream keeps the lines before the damage and is reported at the line after the last good one.
 */
import { closeSync, fstatSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { commentFromRecord, FieldProblem, postFromRecord, type RawRecord } from "../coerce.ts";
import type { SkippedRecord } from "../import.ts";
import { type ByteLineSink, type LineSink, LineSplitter } from "../lines.ts";
import type { ImportTally } from "../report.ts";
import { SubredditFilter } from "../subreddit-filter.ts";
import type { Comment, Thread } from "../thread.ts";
import type { orderComments } from "../tree.ts";
import { decompressedChunks, type ZstdDecoder, ZstdStreamError, zstdCliAvailable } from "../zstd.ts";
import type { ReaderContext } from "./context.ts";
import type { SpillJob, SpillResult } from "./ndjson-dump-worker.ts";
import { type FastScan, numberAt, scanComment, scannedSubreddit, writeFastComment } from "./ndjson-fast.ts";

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
  /**
   * Worker threads for pass 1 (parsing); 0 = parse on the main thread. Default: see
   * {@link defaultWorkers}. Output is the same either way.
   */
  workers?: number;
  /** Keep only records of these subreddits (see `subreddit-filter.ts`); absent = all. */
  subreddits?: readonly string[];
}

/** A block of complete threads JSONL lines (each `JSON.stringify(thread)` + `\n`, UTF-8) and what it holds. */
export interface ThreadsChunk {
  bytes: Buffer;
  threads: number;
  comments: number;
  /**
   * Call once `bytes` is no longer needed (written): its memory may then be reused for later
   * chunks. Never calling it is safe (the memory is then not reused).
   */
  release: () => void;
}

/** Where pass 1 sends what it makes of a line: the tally and the buckets (or a worker's reply). */
export interface SpillSink {
  skip(record: SkippedRecord): void;
  warn(record: SkippedRecord): void;
  /** Appends a bucket line for thread `threadName`. */
  put(threadName: string, bucketLine: string): void;
  /** A record left out by the subreddit filter. */
  filtered(kind: "post" | "comment"): void;
}

/**
 * One byte buffer per bucket that bucket lines are written into. When a buffer is full it is
 * handed to `drain` (the main thread writes it to the bucket file) or, without `drain` (a worker,
 * which sends all its bytes back per block), it grows.
 */
export class BucketBuffers {
  readonly bufs: Buffer[];
  readonly lens: number[];

  constructor(
    readonly count: number,
    private readonly size: number,
    private readonly drain?: (bucket: number, bytes: Buffer, length: number) => void,
  ) {
    this.bufs = Array.from({ length: count }, () => Buffer.allocUnsafeSlow(size));
    this.lens = new Array<number>(count).fill(0);
  }

  /** The buffer of bucket `i`, with room for `n` more bytes after `lens[i]`. */
  room(i: number, n: number): Buffer {
    let buf = this.bufs[i]!;
    if (this.lens[i]! + n <= buf.length) return buf;
    this.flush(i);
    buf = this.bufs[i]!;
    if (this.lens[i]! + n <= buf.length) return buf;
    const bigger = Buffer.allocUnsafeSlow(Math.max(buf.length * 2, this.lens[i]! + n));
    buf.copy(bigger, 0, 0, this.lens[i]!);
    this.bufs[i] = bigger;
    return bigger;
  }

  /** Appends a bucket line given as a string. */
  putString(i: number, s: string): void {
    // A UTF-16 unit takes at most 3 UTF-8 bytes.
    const buf = this.room(i, s.length * 3);
    this.lens[i]! += buf.write(s, this.lens[i]!, "utf8");
  }

  /** Hands bucket `i`'s bytes to `drain` (when there is one); an over-grown buffer shrinks back. */
  flush(i: number): void {
    if (!this.drain || this.lens[i] === 0) return;
    this.drain(i, this.bufs[i]!, this.lens[i]!);
    this.lens[i] = 0;
    if (this.bufs[i]!.length > this.size) this.bufs[i] = Buffer.allocUnsafeSlow(this.size);
  }
}

const scan: FastScan = { hash: 0, bound: 0 };

/**
 * Pass 1 for one line given as bytes (valid UTF-8, see {@link ByteLineSink}): the fast path
 * (`ndjson-fast.ts`) writes a usual comment straight into its bucket; any other line is decoded
 * and goes through {@link spillLine}, with the same result either way.
 */
export function spillLineBytes(
  buf: Buffer,
  from: number,
  to: number,
  line: number,
  fileIndex: number,
  file: string,
  sink: SpillSink,
  buckets: BucketBuffers,
  filter: SubredditFilter | null = null,
): boolean {
  if (scanComment(buf, from, to, scan)) {
    if (filter && !filter.keeps(scannedSubreddit(buf))) {
      sink.filtered("comment");
      return true;
    }
    const i = scan.hash % buckets.count;
    const out = buckets.room(i, scan.bound);
    buckets.lens[i] = writeFastComment(buf, out, buckets.lens[i]!, fileIndex, line);
    return true;
  }
  return spillLine(buf.toString("utf8", from, to), line, false, false, fileIndex, file, sink, filter);
}

/**
 * Pass 1 for one line: parses it once, normalises it into a Post or Comment and hands the bucket
 * line to `sink.put`, or reports why it was skipped. Returns true when the line was a record (not
 * blank), for progress counts.
 */
export function spillLine(
  text: string,
  line: number,
  invalidUtf8: boolean,
  tooLong: boolean,
  fileIndex: number,
  file: string,
  sink: SpillSink,
  filter: SubredditFilter | null = null,
): boolean {
  if (tooLong) {
    sink.skip({ file, line, reason: "line longer than 64 MiB" });
    return false;
  }
  if (text.length === 0 || text.trim() === "") return false;
  let rec: RawRecord;
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("not a JSON object");
    rec = v as RawRecord;
  } catch (e) {
    sink.skip({ file, line, reason: `not valid JSON: ${(e as Error).message}` });
    return true;
  }
  if (invalidUtf8) sink.warn({ file, line, reason: "invalid UTF-8 replaced by U+FFFD" });
  try {
    if (rec.body !== undefined && rec.link_id !== undefined) {
      // A comment's own subreddit field decides, before its other fields are checked: a broken
      // record of a left-out subreddit is not worth a report. Without the field, the join decides.
      const sub = typeof rec.subreddit === "string" && rec.subreddit !== "" ? rec.subreddit : null;
      if (filter && !filter.keeps(sub)) {
        sink.filtered("comment");
        return true;
      }
      const c = commentFromRecord(rec);
      sink.put(c.link_id, commentLine(fileIndex, line, c));
    } else if (rec.title !== undefined) {
      const post = postFromRecord(rec);
      if (filter && !filter.keeps(post.subreddit)) {
        sink.filtered("post");
        return true;
      }
      sink.put(post.name, postLine(fileIndex, line, post.name, JSON.stringify(post)));
    } else {
      sink.skip({ file, line, reason: "neither a post (title) nor a comment (body + link_id)" });
    }
  } catch (e) {
    if (!(e instanceof FieldProblem)) throw e;
    sink.skip({ file, line, field: e.field, reason: e.message });
  }
  return true;
}

/**
 * Default number of pass-1 worker threads: none below 4 cores or 8 MiB of input. On 2 cores the
 * main thread alone was faster (bench/results/import.md: the `zstd` process takes part of the
 * second core, and each worker costs its own TypeScript loading and block hand-offs); with 4 or
 * more cores, cores - 2 (at most 4), leaving one core to zstd and one to the main thread.
 */
export function defaultWorkers(totalBytes: number, cores: number): number {
  return totalBytes >= 8 << 20 && cores >= 4 ? Math.min(4, cores - 2) : 0;
}

/** FNV-1a 32-bit over UTF-16 code units: cheap and well spread for ids. */
export function bucketOf(threadName: string, buckets: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < threadName.length; i++) {
    h ^= threadName.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % buckets;
}

/** A string as a header field: JSON-quoted, so it holds no tab or newline. */
function q(s: string): string {
  return JSON.stringify(s);
}

/** Reads back a {@link q} field. */
function unq(s: string): string {
  return s.includes("\\") ? (JSON.parse(s) as string) : s.slice(1, -1);
}

/*
 * Bucket lines (every field is free of tabs and newlines: numbers, {@link q} strings, JSON text):
 *   p \t fileIndex \t line \t q(post.name) \t JSON.stringify(post)
 *   c \t fileIndex \t line \t score \t created_utc \t sourceDepth \t q(id) \t q(parent_id) \t q(link_id) \t JSON.stringify(comment)
 * Numbers round-trip exactly through String()/Number().
 */
function postLine(fileIndex: number, line: number, name: string, json: string): string {
  return `p\t${fileIndex}\t${line}\t${q(name)}\t${json}\n`;
}
function commentLine(fileIndex: number, line: number, c: Comment): string {
  return `c\t${fileIndex}\t${line}\t${c.score}\t${c.created_utc}\t${c.depth}\t${q(c.id)}\t${q(c.parent_id)}\t${q(c.link_id)}\t${JSON.stringify(c)}\n`;
}

/** What pass 2 keeps of a comment: the fields the ordering reads, and where its stored JSON is. */
interface LightComment {
  id: string;
  name: string;
  parent_id: string;
  score: number;
  created_utc: number;
  /** Source depth (-1 when absent). */
  depth: number;
  /** `JSON.stringify(comment)` is bucket bytes [start, end); its depth value is [valueAt, valueEnd). */
  start: number;
  valueAt: number;
  valueEnd: number;
  end: number;
}

/** The fields of a comment that {@link orderComments} reads. */
export interface OrderKey {
  id: string;
  name: string;
  parent_id: string;
  score: number;
  created_utc: number;
  depth: number;
}

/**
 * Exactly {@link orderComments} (same order, same depths: see tree.ts), but returning positions
 * into `items` and the computed depths instead of copied comments, so pass 2 never copies a record.
 * Kept equal to orderComments by a randomized test.
 */
export function orderCommentIndices(items: readonly OrderKey[]): { order: number[]; depth: number[] } {
  const byId = new Map<string, number>();
  for (let i = 0; i < items.length; i++) {
    const name = items[i]!.name;
    if (!byId.has(name)) byId.set(name, i);
  }
  const children = new Map<string, number[]>();
  const roots: number[] = [];
  const orphans: number[] = [];
  for (const i of byId.values()) {
    const c = items[i]!;
    if (c.parent_id.startsWith("t3_")) roots.push(i);
    else if (byId.has(c.parent_id) && c.parent_id !== c.name) {
      const list = children.get(c.parent_id);
      if (list) list.push(i);
      else children.set(c.parent_id, [i]);
    } else orphans.push(i);
  }
  const cmp = (ia: number, ib: number) => {
    const a = items[ia]!;
    const b = items[ib]!;
    return b.score - a.score || a.created_utc - b.created_utc || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  };
  const order: number[] = [];
  const depth: number[] = [];
  const seen = new Uint8Array(items.length);
  const walk = (level: number[], levelDepth: number[]) => {
    let current = level;
    let currentDepth = levelDepth;
    while (current.length > 0) {
      const next: number[] = [];
      const nextDepth: number[] = [];
      for (let k = 0; k < current.length; k++) {
        const i = current[k]!;
        if (seen[i]) continue;
        seen[i] = 1;
        const d = currentDepth[k]!;
        order.push(i);
        depth.push(d);
        const kids = children.get(items[i]!.name);
        if (kids) {
          kids.sort(cmp);
          for (const kid of kids) {
            next.push(kid);
            nextDepth.push(d + 1);
          }
        }
      }
      current = next;
      currentDepth = nextDepth;
    }
  };
  roots.sort(cmp);
  walk(roots, new Array<number>(roots.length).fill(0));
  orphans.sort(cmp);
  for (const o of orphans) walk([o], [Math.max(items[o]!.depth, 1)]);
  for (const i of byId.values()) if (!seen[i]) walk([i], [Math.max(items[i]!.depth, 1)]);
  return { order, depth };
}

const DEPTH_KEY = ',"depth":';

/**
 * Pass 2's buffer: one bucket file's bytes at [0, dataEnd), and after them the thread lines made
 * from it, so every piece is moved with `copyWithin` (a memmove inside one buffer; copying between
 * two Buffers costs an allocation per call). Blocks [from, at) are handed out as views and never
 * overwritten; when the buffer must grow, a new one is taken and the old views stay valid.
 */
class OutBytes {
  buf: Buffer = Buffer.alloc(0);
  dataEnd = 0;
  from = 0;
  at = 0;
  threads = 0;
  comments = 0;
  /**
   * Work buffers that may be used again once every block handed out from them is released (see
   * {@link ThreadsChunk.release}): a fresh 2x-bucket-size buffer per bucket costs page faults.
   */
  private readonly pool: { buf: Buffer; pending: number }[] = [];
  private current: { buf: Buffer; pending: number } | null = null;

  /** Reads a bucket file (with room for about as many output bytes after it). */
  load(path: string): Buffer {
    const fd = openSync(path, "r");
    try {
      const size = fstatSync(fd).size;
      const need = size * 2 + (1 << 20);
      let w = this.pool.find((x) => x.pending === 0 && x.buf.length >= need) ?? null;
      if (!w) {
        w = { buf: Buffer.allocUnsafeSlow(Math.ceil(need * 1.25)), pending: 0 };
        const free = this.pool.findIndex((x) => x.pending === 0);
        if (free >= 0) this.pool[free] = w;
        else if (this.pool.length < 2) this.pool.push(w);
      }
      this.current = w;
      this.buf = w.buf;
      let n = 0;
      while (n < size) {
        const got = readSync(fd, this.buf, n, size - n, n);
        if (got === 0) break;
        n += got;
      }
      this.dataEnd = n;
      this.from = n;
      this.at = n;
      return this.buf;
    } finally {
      closeSync(fd);
    }
  }
  /** Room for `n` more output bytes. */
  ensure(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
    this.current = null; // not pooled
  }
  /** Appends the bucket bytes [a, b). */
  copy(a: number, b: number): void {
    this.buf.copyWithin(this.at, a, b);
    this.at += b - a;
  }
  put(src: Uint8Array): void {
    for (let k = 0; k < src.length; k++) this.buf[this.at + k] = src[k]!;
    this.at += src.length;
  }
  take(): ThreadsChunk {
    const w = this.current;
    let released = false;
    if (w) w.pending++;
    const release = () => {
      if (w && !released) w.pending--;
      released = true;
    };
    const chunk = {
      bytes: this.buf.subarray(this.from, this.at),
      threads: this.threads,
      comments: this.comments,
      release,
    };
    this.from = this.at;
    this.threads = 0;
    this.comments = 0;
    return chunk;
  }
}

/** Output blocks are handed out at about this size. */
const OUT_BYTES = 8 << 20;
const DEPTH_KEY_BYTES = Buffer.from(DEPTH_KEY);
const T_POST = Buffer.from('{"post":');
const T_COMMENTS = Buffer.from(',"comments":[');

/** The {@link q} field `data[a, b)` (with its quotes) read back. */
function stringAt(data: Buffer, a: number, b: number): string {
  for (let i = a + 1; i < b - 1; i++) {
    const c = data[i]!;
    if (c >= 0x80 || c === 0x5c) return unq(data.toString("utf8", a, b));
  }
  return data.toString("latin1", a + 1, b - 1);
}

/** Writes a depth as JSON.stringify does. */
function putInt(out: OutBytes, n: number): void {
  if (n >= 0 && n < 10 && Number.isInteger(n)) {
    out.buf[out.at++] = 0x30 + n;
    return;
  }
  out.at += out.buf.write(String(n), out.at, "latin1");
}

/** Tab positions of a bucket line's header fields (scratch). */
const tabs = new Int32Array(10);

/**
 * Joins posts and comments of every dump file into threads (see the module doc) and yields them as
 * ready-to-write threads JSONL bytes, in blocks of about 8 MiB. Each line is exactly
 * `JSON.stringify(thread)` of the Thread {@link readNdjsonDumps} would yield.
 */
export async function* readNdjsonDumpsRaw(opts: ReadDumpsOptions): AsyncGenerator<ThreadsChunk> {
  const decoder = opts.decoder === "js" || opts.decoder === "cli" ? opts.decoder : zstdCliAvailable() ? "cli" : "js";
  let totalBytes = 0;
  for (const f of opts.files) totalBytes += statSync(f).size;
  const buckets = opts.buckets ?? Math.min(1024, Math.max(8, Math.ceil((totalBytes * 8) / (64 << 20))));
  const dir = mkdtempSync(join(opts.tmpDir, ".wayfarer-join-"));
  const fds: (number | undefined)[] = new Array(buckets).fill(undefined);
  const used: boolean[] = new Array(buckets).fill(false);
  const bucketPath = (i: number) => join(dir, `b${i}.ndjson`);
  try {
    const writeBucket = (i: number, bytes: Uint8Array, from: number, to: number) => {
      fds[i] ??= openSync(bucketPath(i), "a");
      used[i] = true;
      writeSync(fds[i]!, bytes, from, to - from);
    };
    // Bucket lines are written into per-bucket byte buffers and written out when a buffer fills:
    // 16 MiB of buffers in all.
    const bb = new BucketBuffers(buckets, Math.max(64 << 10, Math.floor((16 << 20) / buckets)), (i, bytes, n) =>
      writeBucket(i, bytes, 0, n),
    );
    const workers = opts.workers ?? defaultWorkers(totalBytes, availableParallelism());
    const filter = SubredditFilter.of(opts.subreddits);
    const pool = workers > 0 ? SpillPool.start(workers, buckets, opts.files, opts.subreddits ?? []) : null;
    if (pool) {
      try {
        await spillWithWorkers(opts, decoder, pool, (i, bytes, from, to) => {
          bb.flush(i);
          writeBucket(i, bytes, from, to);
        });
      } finally {
        await pool.close();
      }
    } else {
      for (const [fileIndex, file] of opts.files.entries()) {
        const ctx = opts.ctxFor(file);
        let lastLine = 0;
        let records = 0;
        const sink: SpillSink = {
          skip: (r) => opts.tally.skip(r),
          warn: (r) => opts.tally.warn(r),
          put: (threadName, s) => bb.putString(bucketOf(threadName, buckets), s),
          filtered: (kind) => {
            if (kind === "post") opts.tally.filteredPosts++;
            else opts.tally.filteredComments++;
          },
        };
        const counted = (line: number, isRecord: boolean) => {
          lastLine = line;
          if (isRecord) {
            records++;
            if (records % 100_000 === 0) ctx.progress(records);
          }
        };
        const onLine: LineSink = (text, line, invalidUtf8, tooLong) =>
          counted(line, spillLine(text, line, invalidUtf8, tooLong, fileIndex, file, sink, filter));
        const onBytes: ByteLineSink = (buf, from, to, line) =>
          counted(line, spillLineBytes(buf, from, to, line, fileIndex, file, sink, bb, filter));
        const splitter = new LineSplitter();
        try {
          for await (const chunk of decompressedChunks(file, decoder)) splitter.push(chunk, onLine, onBytes);
          splitter.end(onLine, onBytes);
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
    }
    for (let i = 0; i < buckets; i++) bb.flush(i);
    for (let i = 0; i < buckets; i++) {
      if (fds[i] !== undefined) closeSync(fds[i]!);
      fds[i] = undefined;
    }

    const out = new OutBytes();
    for (let b = 0; b < buckets; b++) {
      if (!used[b]) continue;
      // Read as bytes: JSON pieces are copied into the output, never decoded, parsed or re-encoded.
      const data = out.load(bucketPath(b));
      const groups = new Map<string, Group>();
      let group: Group | undefined; // of the previous comment line,
      let linkAt = 0; // whose link_id field is data[linkAt, linkEnd)
      let linkEnd = 0;
      let pos = 0;
      while (pos < out.dataEnd) {
        const isPost = data[pos] === 0x70; /* p */
        const fields = isPost ? 3 : 8;
        let t = 0;
        let i = pos + 2;
        tabs[0] = pos + 1;
        while (t < fields) {
          if (data[i] === 0x09) tabs[++t] = i;
          i++;
        }
        const jsonAt = i;
        const end = data.indexOf(0x0a, jsonAt);
        const file = opts.files[numberAt(data, tabs[0]! + 1, tabs[1]!)]!;
        const line = numberAt(data, tabs[1]! + 1, tabs[2]!);
        if (isPost) {
          const key = stringAt(data, tabs[2]! + 1, tabs[3]!);
          let g = groups.get(key);
          if (!g) {
            g = { comments: [] };
            groups.set(key, g);
          }
          if (g.post)
            opts.tally.skip({
              file,
              line,
              field: "id",
              reason: `duplicate post ${key} (first at ${g.post.file}:${g.post.line})`,
            });
          else g.post = { start: jsonAt, end, file, line };
        } else {
          // Comments of one thread mostly come together: the same link_id bytes, the same group.
          const la = tabs[7]! + 1;
          const le = tabs[8]!;
          let same = group !== undefined && le - la === linkEnd - linkAt;
          for (let k = 0; same && k < le - la; k++) same = data[la + k] === data[linkAt + k];
          if (!same) {
            const key = stringAt(data, la, le);
            group = groups.get(key);
            if (!group) {
              group = { comments: [] };
              groups.set(key, group);
            }
            linkAt = la;
            linkEnd = le;
          }
          const id = stringAt(data, tabs[5]! + 1, tabs[6]!);
          // The first `,"depth":` is the key itself: inside JSON strings every `"` is escaped.
          const valueAt = data.indexOf(DEPTH_KEY_BYTES, jsonAt) + DEPTH_KEY.length;
          let valueEnd = valueAt;
          while (data[valueEnd] !== 0x2c) valueEnd++;
          group!.comments.push({
            id,
            name: `t1_${id}`,
            parent_id: stringAt(data, tabs[6]! + 1, tabs[7]!),
            score: numberAt(data, tabs[2]! + 1, tabs[3]!),
            created_utc: numberAt(data, tabs[3]! + 1, tabs[4]!),
            depth: numberAt(data, tabs[4]! + 1, tabs[5]!),
            start: jsonAt,
            valueAt,
            valueEnd,
            end,
          });
          group!.first ??= { file, line };
        }
        pos = end + 1;
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
              reason: `comment of post ${key}, which is not in the inputs${filter ? " or is in a subreddit left out by the filter" : ""} (${g.comments.length} such comments, all skipped)`,
            },
            g.comments.length,
          );
          continue;
        }
        const { order, depth } = orderCommentIndices(g.comments);
        const tail = `],"source":${JSON.stringify({ kind: "pushshift-zst", file: g.post.file, line: g.post.line })}}\n`;
        let bound = T_POST.length + (g.post.end - g.post.start) + T_COMMENTS.length + tail.length * 3;
        for (const k of order) bound += g.comments[k]!.end - g.comments[k]!.start + 24;
        out.ensure(bound);
        out.put(T_POST);
        out.copy(g.post.start, g.post.end);
        out.put(T_COMMENTS);
        for (let k = 0; k < order.length; k++) {
          const c = g.comments[order[k]!]!;
          if (k > 0) out.buf[out.at++] = 0x2c;
          out.copy(c.start, c.valueAt);
          putInt(out, depth[k]!);
          out.copy(c.valueEnd, c.end);
        }
        out.at += out.buf.write(tail, out.at, "utf8");
        out.threads++;
        out.comments += order.length;
        if (out.at - out.from >= OUT_BYTES) yield out.take();
      }
      groups.clear();
      if (out.at > out.from) yield out.take();
    }
  } finally {
    for (let i = 0; i < buckets; i++) {
      if (fds[i] !== undefined) closeSync(fds[i]!);
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A thread of a bucket in pass 2: its post's JSON, its comments, and the first comment's place. */
interface Group {
  post?: { start: number; end: number; file: string; line: number };
  comments: LightComment[];
  first?: { file: string; line: number };
}

/** Joins posts and comments of every dump file into threads (see the module doc), one Thread at a time. */
export async function* readNdjsonDumps(opts: ReadDumpsOptions): AsyncGenerator<Thread> {
  for await (const chunk of readNdjsonDumpsRaw(opts)) {
    const text = chunk.bytes.toString("utf8");
    chunk.release();
    let from = 0;
    for (;;) {
      const nl = text.indexOf("\n", from);
      if (nl === -1) break;
      yield JSON.parse(text.slice(from, nl)) as Thread;
      from = nl + 1;
    }
  }
}

/**
 * Worker threads running pass 1 on blocks of lines. Answers are applied strictly in submission
 * order (with main-thread events slotted in by {@link local}), so the tally and the bucket files
 * come out exactly as in a single-threaded run.
 */
class SpillPool {
  private readonly workers: Worker[];
  private inFlight = 0;
  private nextSeq = 0;
  private applySeq = 0;
  private readonly done = new Map<number, SpillResult | (() => void)>();
  private wake: (() => void) | null = null;
  private failure: Error | null = null;
  apply: (r: SpillResult) => void = () => undefined;

  private constructor(workers: Worker[]) {
    this.workers = workers;
    for (const w of workers) {
      w.on("message", (r: SpillResult) => {
        this.inFlight--;
        this.done.set(r.seq, r);
        this.drain();
      });
      w.on("error", (e) => this.fail(e));
      w.on("exit", (code) => {
        if (this.inFlight > 0) this.fail(new Error(`dump parsing worker exited (${code})`));
      });
    }
  }

  /**
   * Starts `n` workers, or returns null when they cannot be started (the TypeScript loader, tsx,
   * is not installed): the caller then parses on the main thread.
   */
  static start(n: number, buckets: number, files: string[], subreddits: readonly string[]): SpillPool | null {
    try {
      createRequire(import.meta.url).resolve("tsx/esm/api");
    } catch {
      return null;
    }
    const boot = new URL("./ndjson-dump-worker-boot.mjs", import.meta.url);
    return new SpillPool(
      Array.from({ length: n }, () => new Worker(boot, { workerData: { buckets, files, subreddits }, execArgv: [] })),
    );
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.wake?.();
  }

  private drain(): void {
    for (;;) {
      const item = this.done.get(this.applySeq);
      if (item === undefined) break;
      this.done.delete(this.applySeq);
      this.applySeq++;
      if (typeof item === "function") item();
      else this.apply(item);
    }
    this.wake?.();
  }

  private async waitUntil(ok: () => boolean): Promise<void> {
    while (!ok()) {
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = null;
    }
    if (this.failure) throw this.failure;
  }

  /** Sends a block to a worker (its bytes are transferred); waits while too many are in flight. */
  async submit(job: Omit<SpillJob, "seq">): Promise<void> {
    await this.waitUntil(() => this.inFlight < this.workers.length * 2);
    const seq = this.nextSeq++;
    this.inFlight++;
    this.workers[seq % this.workers.length]!.postMessage({ ...job, seq } satisfies SpillJob, [
      job.bytes.buffer as ArrayBuffer,
    ]);
  }

  /** Runs `fn` on the main thread once every block submitted before it has been applied. */
  local(fn: () => void): void {
    this.done.set(this.nextSeq++, fn);
    this.drain();
  }

  /** Waits until every submitted block has been applied. */
  async idle(): Promise<void> {
    await this.waitUntil(() => this.applySeq === this.nextSeq);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Blocks of about this many bytes go to the workers. */
const BLOCK_BYTES = 1 << 20;
const MAX_LINE_BYTES = 64 * 1024 * 1024;

/** Copies `parts` (total `n` bytes) into one buffer with its own memory (transferable). */
function ownCopy(parts: Buffer[], n: number): Buffer {
  const out = Buffer.from(new ArrayBuffer(n));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Pass 1 with workers: the main thread only cuts the decompressed stream into blocks of whole
 * lines (counting newlines for line numbers) and writes the workers' bucket bytes. Same results as
 * the single-threaded loop (line numbers, skips, warnings, over-long lines, damaged streams).
 */
async function spillWithWorkers(
  opts: ReadDumpsOptions,
  decoder: "cli" | "js",
  pool: SpillPool,
  write: (bucket: number, bytes: Uint8Array, from: number, to: number) => void,
): Promise<void> {
  let ctx: ReaderContext | undefined;
  let records = 0;
  pool.apply = (r) => {
    for (let k = 0; k < r.buckets.length; k++) write(r.buckets[k]!, r.bytes, r.offsets[k]!, r.offsets[k + 1]!);
    for (const [kind, record] of r.events) {
      if (kind === "s") opts.tally.skip(record);
      else opts.tally.warn(record);
    }
    opts.tally.filteredPosts += r.filtered[0];
    opts.tally.filteredComments += r.filtered[1];
    const before = Math.floor(records / 100_000);
    records += r.records;
    if (Math.floor(records / 100_000) > before) ctx?.progress(records);
  };
  for (const [fileIndex, file] of opts.files.entries()) {
    ctx = opts.ctxFor(file);
    records = 0;
    let carry: Buffer[] = [];
    let carryBytes = 0;
    let lines = 0; // lines handed out so far (the last one's number)
    let overflow = false;
    const tooLong = (line: number) =>
      pool.local(() => opts.tally.skip({ file, line, reason: "line longer than 64 MiB" }));
    /** Sends the carried whole lines (and, when `last`, the unterminated tail too). */
    const send = async (last: boolean) => {
      if (carryBytes === 0) return;
      let cutPart = carry.length - 1;
      let cutAt = -1;
      if (last) cutAt = carry[cutPart]!.length;
      else {
        for (; cutPart >= 0; cutPart--) {
          const nl = carry[cutPart]!.lastIndexOf(0x0a);
          if (nl !== -1) {
            cutAt = nl + 1;
            break;
          }
        }
        if (cutAt === -1) return;
      }
      const head = carry.slice(0, cutPart);
      head.push(carry[cutPart]!.subarray(0, cutAt));
      let n = 0;
      for (const p of head) n += p.length;
      const bytes = ownCopy(head, n);
      const rest = carry[cutPart]!.subarray(cutAt);
      carry = rest.length > 0 ? [rest, ...carry.slice(cutPart + 1)] : carry.slice(cutPart + 1);
      carryBytes -= n;
      const firstLine = lines + 1;
      for (let i = bytes.indexOf(0x0a); i !== -1; i = bytes.indexOf(0x0a, i + 1)) lines++;
      await pool.submit({ fileIndex, firstLine, bytes, last });
    };
    try {
      for await (const raw of decompressedChunks(file, decoder)) {
        // fzstd may reuse its output memory; pipe and file chunks are fresh.
        let chunk = decoder === "js" ? Buffer.from(raw) : (raw as Buffer);
        if (overflow) {
          const nl = chunk.indexOf(0x0a);
          if (nl === -1) continue;
          tooLong(++lines);
          overflow = false;
          chunk = chunk.subarray(nl + 1);
        }
        if (chunk.length === 0) continue;
        carry.push(chunk);
        carryBytes += chunk.length;
        if (carryBytes >= BLOCK_BYTES) {
          await send(false);
          if (carryBytes > MAX_LINE_BYTES) {
            overflow = true;
            carry = [];
            carryBytes = 0;
          }
        }
      }
      if (overflow) tooLong(++lines);
      else await send(true);
    } catch (e) {
      if (!(e instanceof ZstdStreamError) && (e as NodeJS.ErrnoException).code === undefined) throw e;
      await send(false);
      const lastLine = lines;
      pool.local(() =>
        opts.tally.skip({
          file,
          line: lastLine + 1,
          reason: `${(e as Error).message}; kept the ${lastLine} lines before it`,
        }),
      );
    }
    await pool.idle();
    ctx.progress(records);
  }
}
