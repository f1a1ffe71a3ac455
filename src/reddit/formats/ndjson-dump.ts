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
 * Speed (issue 4): every source line is decoded and `JSON.parse`d exactly once, in pass 1, and the
 * normalised record is spilled already serialised (`JSON.stringify` of the Post / Comment) behind a
 * small tab-separated header holding what the join needs (thread, ids, score, time, source depth).
 * Pass 2 reads a bucket as bytes, orders comments from the headers alone and writes each thread's
 * JSON line by splicing the stored bytes (only a comment's `depth` value is rewritten), so the body
 * text is never decoded, parsed or re-encoded again. The output is byte-identical to
 * `JSON.stringify(thread)` of the {@link Thread} (see {@link readNdjsonDumpsRaw}).
 *
 * A record is a comment when it has `body` and `link_id`, a post when it has `title`; anything else
 * is skipped. Comments whose post is not in the inputs are skipped and counted (one example per
 * thread). A duplicated post id keeps the first record. Malformed input never aborts: a bad JSON line
 * or field is skipped with its line; invalid UTF-8 is replaced and warned; a truncated/corrupt zstd
 * stream keeps the lines before the damage and is reported at the line after the last good one.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { commentFromRecord, FieldProblem, postFromRecord, type RawRecord } from "../coerce.ts";
import type { SkippedRecord } from "../import.ts";
import { type LineSink, LineSplitter } from "../lines.ts";
import type { ImportTally } from "../report.ts";
import type { Comment, Thread } from "../thread.ts";
import type { orderComments } from "../tree.ts";
import { decompressedChunks, type ZstdDecoder, ZstdStreamError, zstdCliAvailable } from "../zstd.ts";
import type { ReaderContext } from "./context.ts";
import type { SpillJob, SpillResult } from "./ndjson-dump-worker.ts";

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
   * Worker threads for pass 1 (parsing); 0 = parse on the main thread. Default: the number of
   * cores (at most 4) when the inputs total at least 8 MiB, else 0. Output is the same either way.
   */
  workers?: number;
}

/** A block of complete threads JSONL lines (each `JSON.stringify(thread)` + `\n`) and what it holds. */
export interface ThreadsChunk {
  text: string;
  threads: number;
  comments: number;
}

/** Where pass 1 sends what it makes of a line: the tally and the buckets (or a worker's reply). */
export interface SpillSink {
  skip(record: SkippedRecord): void;
  warn(record: SkippedRecord): void;
  /** Appends a bucket line for thread `threadName`. */
  put(threadName: string, bucketLine: string): void;
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
      const c = commentFromRecord(rec);
      sink.put(c.link_id, commentLine(fileIndex, line, c));
    } else if (rec.title !== undefined) {
      const post = postFromRecord(rec);
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

const JSON_START = "\t{";
const DEPTH_KEY = ',"depth":';

/** Output block: pieces of complete thread lines, joined once per block. */
class OutText {
  parts: string[] = [];
  chars = 0;
  threads = 0;
  comments = 0;
  add(s: string): void {
    this.parts.push(s);
    this.chars += s.length;
  }
  take(): ThreadsChunk {
    const chunk = { text: this.parts.join(""), threads: this.threads, comments: this.comments };
    this.parts = [];
    this.chars = 0;
    this.threads = 0;
    this.comments = 0;
    return chunk;
  }
}

/**
 * Joins posts and comments of every dump file into threads (see the module doc) and yields them as
 * ready-to-write threads JSONL, in blocks of about 8 MiB. Each line is exactly
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
    // Spilled lines are encoded into per-bucket byte buffers at once (so the strings die young,
    // which keeps the GC cheap) and written when a buffer fills: 16 MiB of buffers in all.
    const bufSize = Math.max(64 << 10, Math.floor((16 << 20) / buckets));
    const bufs = Array.from({ length: buckets }, () => Buffer.allocUnsafe(bufSize));
    const lens = new Array<number>(buckets).fill(0);
    const flushBucket = (i: number) => {
      if (lens[i] === 0) return;
      fds[i] ??= openSync(bucketPath(i), "a");
      used[i] = true;
      writeSync(fds[i]!, bufs[i]!, 0, lens[i]!);
      lens[i] = 0;
    };
    const flush = () => {
      for (let i = 0; i < buckets; i++) flushBucket(i);
    };
    const put = (threadName: string, s: string) => {
      const i = bucketOf(threadName, buckets);
      const buf = bufs[i]!;
      // A UTF-16 unit takes at most 3 UTF-8 bytes.
      if (lens[i]! + s.length * 3 > buf.length) {
        flushBucket(i);
        if (s.length * 3 > buf.length) {
          fds[i] ??= openSync(bucketPath(i), "a");
          used[i] = true;
          writeSync(fds[i]!, s);
          return;
        }
      }
      lens[i]! += buf.write(s, lens[i]!, "utf8");
    };
    const workers = opts.workers ?? (totalBytes >= 8 << 20 ? Math.min(4, Math.max(1, availableParallelism())) : 0);
    const pool = workers > 0 ? SpillPool.start(workers, buckets, opts.files) : null;
    if (pool) {
      try {
        await spillWithWorkers(opts, decoder, pool, (i, bytes, from, to) => {
          flushBucket(i);
          fds[i] ??= openSync(bucketPath(i), "a");
          used[i] = true;
          writeSync(fds[i]!, bytes, from, to - from);
        });
      } finally {
        await pool.close();
      }
    } else {
      for (const [fileIndex, file] of opts.files.entries()) {
        const ctx = opts.ctxFor(file);
        let lastLine = 0;
        let records = 0;
        const sink: SpillSink = { skip: (r) => opts.tally.skip(r), warn: (r) => opts.tally.warn(r), put };
        const onLine: LineSink = (text, line, invalidUtf8, tooLong) => {
          lastLine = line;
          if (spillLine(text, line, invalidUtf8, tooLong, fileIndex, file, sink)) {
            records++;
            if (records % 100_000 === 0) ctx.progress(records);
          }
        };
        const splitter = new LineSplitter();
        try {
          for await (const chunk of decompressedChunks(file, decoder)) splitter.push(chunk, onLine);
          splitter.end(onLine);
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
    flush();
    for (let i = 0; i < buckets; i++) {
      if (fds[i] !== undefined) closeSync(fds[i]!);
      fds[i] = undefined;
    }

    const out = new OutText();
    for (let b = 0; b < buckets; b++) {
      if (!used[b]) continue;
      // Decoded once; JSON pieces are then sliced out of this string and joined, never re-parsed.
      const data = readFileSync(bucketPath(b), "utf8");
      const groups = new Map<
        string,
        {
          post?: { start: number; end: number; file: string; line: number };
          comments: LightComment[];
          first?: { file: string; line: number };
        }
      >();
      let pos = 0;
      while (pos < data.length) {
        const end = data.indexOf("\n", pos);
        const jsonAt = data.indexOf(JSON_START, pos) + 1;
        const h = data.slice(pos + 2, jsonAt - 1).split("\t");
        const file = opts.files[Number(h[0])]!;
        const line = Number(h[1]);
        if (data.charCodeAt(pos) === 0x70 /* p */) {
          const key = unq(h[2]!);
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
          const id = unq(h[5]!);
          const key = unq(h[7]!);
          // The first `,"depth":` is the key itself: inside JSON strings every `"` is escaped.
          const valueAt = data.indexOf(DEPTH_KEY, jsonAt) + DEPTH_KEY.length;
          const c: LightComment = {
            id,
            name: `t1_${id}`,
            parent_id: unq(h[6]!),
            score: Number(h[2]),
            created_utc: Number(h[3]),
            depth: Number(h[4]),
            start: jsonAt,
            valueAt,
            valueEnd: data.indexOf(",", valueAt),
            end,
          };
          let g = groups.get(key);
          if (!g) {
            g = { comments: [] };
            groups.set(key, g);
          }
          g.comments.push(c);
          g.first ??= { file, line };
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
              reason: `comment of post ${key}, which is not in the inputs (${g.comments.length} such comments, all skipped)`,
            },
            g.comments.length,
          );
          continue;
        }
        const { order, depth } = orderCommentIndices(g.comments);
        out.add('{"post":');
        out.add(data.slice(g.post.start, g.post.end));
        out.add(',"comments":[');
        for (let k = 0; k < order.length; k++) {
          const c = g.comments[order[k]!]!;
          if (k > 0) out.add(",");
          out.add(data.slice(c.start, c.valueAt));
          out.add(JSON.stringify(depth[k]!));
          out.add(data.slice(c.valueEnd, c.end));
        }
        out.add(`],"source":${JSON.stringify({ kind: "pushshift-zst", file: g.post.file, line: g.post.line })}}\n`);
        out.threads++;
        out.comments += order.length;
        if (out.chars >= 8 << 20) yield out.take();
      }
      groups.clear();
    }
    if (out.parts.length > 0) yield out.take();
  } finally {
    for (let i = 0; i < buckets; i++) {
      if (fds[i] !== undefined) closeSync(fds[i]!);
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Joins posts and comments of every dump file into threads (see the module doc), one Thread at a time. */
export async function* readNdjsonDumps(opts: ReadDumpsOptions): AsyncGenerator<Thread> {
  for await (const chunk of readNdjsonDumpsRaw(opts)) {
    const text = chunk.text;
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
  static start(n: number, buckets: number, files: string[]): SpillPool | null {
    try {
      createRequire(import.meta.url).resolve("tsx/esm/api");
    } catch {
      return null;
    }
    const boot = new URL("./ndjson-dump-worker-boot.mjs", import.meta.url);
    return new SpillPool(
      Array.from({ length: n }, () => new Worker(boot, { workerData: { buckets, files }, execArgv: [] })),
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
