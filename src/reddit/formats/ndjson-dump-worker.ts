/**
 * Worker thread of the dump import's pass 1 (see `ndjson-dump.ts`): gets a block of whole lines
 * (bytes) with the number of its first line, runs {@link spillLine} on each and answers with the
 * bucket lines encoded per bucket in one transferred buffer, and the skips and warnings in line
 * order. The main thread applies answers in block order, so the result equals a single-threaded run.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { SkippedRecord } from "../import.ts";
import { LineSplitter } from "../lines.ts";
import { bucketOf, type SpillSink, spillLine } from "./ndjson-dump.ts";

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
}

const { buckets, files } = workerData as { buckets: number; files: string[] };

parentPort!.on("message", (job: SpillJob) => {
  const file = files[job.fileIndex]!;
  const parts = new Map<number, string[]>();
  const events: SpillResult["events"] = [];
  let records = 0;
  const sink: SpillSink = {
    skip: (r) => events.push(["s", r]),
    warn: (r) => events.push(["w", r]),
    put: (threadName, s) => {
      const b = bucketOf(threadName, buckets);
      const list = parts.get(b);
      if (list) list.push(s);
      else parts.set(b, [s]);
    },
  };
  const splitter = new LineSplitter();
  splitter.line = job.firstLine - 1;
  const onLine = (text: string, line: number, invalidUtf8: boolean, tooLong: boolean) => {
    if (spillLine(text, line, invalidUtf8, tooLong, job.fileIndex, file, sink)) records++;
  };
  splitter.push(job.bytes, onLine);
  if (job.last) splitter.end(onLine);
  const ids = [...parts.keys()].sort((a, b) => a - b);
  const texts = ids.map((b) => parts.get(b)!.join(""));
  let total = 0;
  for (const t of texts) total += Buffer.byteLength(t);
  // Its own ArrayBuffer (never the shared pool), so it can be transferred.
  const out = Buffer.from(new ArrayBuffer(total));
  const offsets = [0];
  let at = 0;
  for (const t of texts) {
    at += out.write(t, at, "utf8");
    offsets.push(at);
  }
  const result: SpillResult = { seq: job.seq, buckets: ids, offsets, bytes: out, events, records };
  parentPort!.postMessage(result, [out.buffer]);
});
