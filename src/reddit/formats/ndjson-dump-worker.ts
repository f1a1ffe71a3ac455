/**
 * Worker thread of the dump import's pass 1 (see `ndjson-dump.ts`): gets a block of whole lines
 * (bytes) with the number of its first line, runs {@link spillLineBytes} (or {@link spillLine}) on
 * each and answers with the bucket lines per bucket in one transferred buffer, and the skips and warnings in line
 * order. The main thread applies answers in block order, so the result equals a single-threaded run.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { SkippedRecord } from "../import.ts";
import { type ByteLineSink, type LineSink, LineSplitter } from "../lines.ts";
import { SubredditFilter } from "../subreddit-filter.ts";
import { BucketBuffers, bucketOf, type SpillSink, spillLine, spillLineBytes } from "./ndjson-dump.ts";

/** A block of lines to spill. */
export interface SpillJob {
  seq: number;
  fileIndex: number;
  /** Number of the block's first line (1-based). */
  firstLine: number;
  bytes: Uint8Array;
  /** The file's last block: its final line may lack a newline. */
  last: boolean;
}

/** The answer to a {@link SpillJob}. */
export interface SpillResult {
  seq: number;
  /** Bucket lines: bucket `buckets[k]` holds `bytes[offsets[k], offsets[k + 1])`. */
  buckets: number[];
  offsets: number[];
  bytes: Uint8Array;
  /** Skips ("s") and warnings ("w"), in line order. */
  events: ["s" | "w", SkippedRecord][];
  /** Non-blank lines seen. */
  records: number;
  /** Posts and comments left out by the subreddit filter. */
  filtered: [number, number];
}

const { buckets, files, subreddits } = workerData as { buckets: number; files: string[]; subreddits: string[] };
const filter = SubredditFilter.of(subreddits);
/** This worker's bucket buffers: they grow as needed and are emptied after every block. */
const bb = new BucketBuffers(buckets, 64 << 10);

parentPort!.on("message", (job: SpillJob) => {
  const file = files[job.fileIndex]!;
  const events: SpillResult["events"] = [];
  let records = 0;
  const filtered: [number, number] = [0, 0];
  const sink: SpillSink = {
    skip: (r) => events.push(["s", r]),
    warn: (r) => events.push(["w", r]),
    put: (threadName, s) => bb.putString(bucketOf(threadName, buckets), s),
    filtered: (kind) => {
      filtered[kind === "post" ? 0 : 1]++;
    },
  };
  const splitter = new LineSplitter();
  splitter.line = job.firstLine - 1;
  const onLine: LineSink = (text, line, invalidUtf8, tooLong) => {
    if (spillLine(text, line, invalidUtf8, tooLong, job.fileIndex, file, sink, filter)) records++;
  };
  const onBytes: ByteLineSink = (buf, from, to, line) => {
    if (spillLineBytes(buf, from, to, line, job.fileIndex, file, sink, bb, filter)) records++;
  };
  const bytes = Buffer.from(job.bytes.buffer, job.bytes.byteOffset, job.bytes.byteLength);
  splitter.push(bytes, onLine, onBytes);
  if (job.last) splitter.end(onLine, onBytes);
  const ids: number[] = [];
  let total = 0;
  for (let b = 0; b < buckets; b++) {
    if (bb.lens[b]! > 0) {
      ids.push(b);
      total += bb.lens[b]!;
    }
  }
  // Its own ArrayBuffer (never the shared pool), so it can be transferred.
  const out = Buffer.from(new ArrayBuffer(total));
  const offsets = [0];
  let at = 0;
  for (const b of ids) {
    at += bb.bufs[b]!.copy(out, at, 0, bb.lens[b]!);
    bb.lens[b] = 0;
    offsets.push(at);
  }
  const result: SpillResult = { seq: job.seq, buckets: ids, offsets, bytes: out, events, records, filtered };
  parentPort!.postMessage(result, [out.buffer]);
});
