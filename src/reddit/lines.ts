/**
 * Line reading over byte streams with 1-based line numbers and per-line UTF-8 validation, in
 * bounded memory (one line at a time plus one chunk). Used for JSONL/NDJSON inputs, plain or
 * zstd-decompressed.
 *
 * {@link LineSplitter} is the synchronous core (no promise per line: the hot loop of dump imports);
 * {@link splitLines} and {@link readLines} wrap it as async generators.
 */
import { isUtf8 } from "node:buffer";
import { createReadStream } from "node:fs";

/** One line of a text stream. `text` has no trailing `\n`/`\r\n`. */
export interface Line {
  /** 1-based line number. */
  line: number;
  text: string;
  /** True when the bytes were not valid UTF-8; `text` then holds U+FFFD for the bad bytes. */
  invalidUtf8: boolean;
}

/**
 * Receives one line: its text (no `\n`, one trailing `\r` removed), 1-based number, whether its
 * bytes were invalid UTF-8 (then replaced by U+FFFD), and whether it was over the length limit
 * (then `text` is "").
 */
export type LineSink = (text: string, line: number, invalidUtf8: boolean, tooLong: boolean) => void;

/**
 * Receives one line as bytes instead: `buf[from, to)` is valid UTF-8, without `\n`, one trailing
 * `\r` and one leading BOM (the same text a {@link LineSink} would get). `buf` may be reused after
 * the call.
 */
export type ByteLineSink = (buf: Buffer, from: number, to: number, line: number) => void;

const lenient = new TextDecoder("utf-8", { fatal: false });

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** TextDecoder (used before, and still for invalid bytes) drops one leading BOM per line; so do we. */
function dropBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function emitBytes(bytes: Buffer, line: number, sink: LineSink, byteSink?: ByteLineSink): void {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0d) end--;
  if (isUtf8(bytes.subarray(0, end))) {
    if (byteSink) byteSink(bytes, hasBom(bytes, 0, end) ? 3 : 0, end, line);
    else sink(dropBom(bytes.toString("utf8", 0, end)), line, false, false);
  } else sink(lenient.decode(bytes.subarray(0, end)), line, true, false);
}

/** The UTF-8 BOM (EF BB BF) at `buf[from]`, within `to`. */
function hasBom(buf: Buffer, from: number, to: number): boolean {
  return to - from >= 3 && buf[from] === 0xef && buf[from + 1] === 0xbb && buf[from + 2] === 0xbf;
}

/**
 * Splits byte chunks into lines, synchronously. The final line is emitted by {@link end} even
 * without a trailing newline; an empty final line is not. Lines longer than `maxLineBytes`
 * (default 64 MiB) are emitted as `("", line, false, true)` so one broken record cannot exhaust
 * memory. Valid UTF-8 runs of whole lines are decoded with one call per chunk, not one per line.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private overflow = false;
  /** Lines emitted so far (the number of the last one). */
  line = 0;

  constructor(private readonly maxLineBytes = 64 * 1024 * 1024) {}

  /**
   * Splits `chunk`. With `byteSink`, lines of valid UTF-8 go to it as bytes (no string is made);
   * `sink` then only gets invalid-UTF-8 and over-long lines.
   */
  push(chunk: Uint8Array, sink: LineSink, byteSink?: ByteLineSink): void {
    const buf = asBuffer(chunk);
    let start = 0;
    // The line that started in earlier chunks.
    if (this.pendingBytes > 0 || this.overflow) {
      const nl = buf.indexOf(0x0a);
      if (nl === -1) {
        this.keep(buf, 0);
        return;
      }
      this.line++;
      if (this.overflow) sink("", this.line, false, true);
      else {
        const piece = buf.subarray(0, nl);
        this.pending.push(piece);
        emitBytes(Buffer.concat(this.pending, this.pendingBytes + piece.length), this.line, sink, byteSink);
      }
      this.pending = [];
      this.pendingBytes = 0;
      this.overflow = false;
      start = nl + 1;
    }
    const last = buf.lastIndexOf(0x0a);
    if (last >= start) {
      const region = buf.subarray(start, last);
      if (byteSink && isUtf8(region)) {
        for (;;) {
          const nl = buf.indexOf(0x0a, start);
          this.line++;
          const cut = nl > start && buf[nl - 1] === 0x0d ? nl - 1 : nl;
          byteSink(buf, hasBom(buf, start, cut) ? start + 3 : start, cut, this.line);
          if (nl === last) break;
          start = nl + 1;
        }
      } else if (byteSink) {
        for (;;) {
          const nl = buf.indexOf(0x0a, start);
          if (nl === -1 || nl > last) break;
          this.line++;
          emitBytes(buf.subarray(start, nl), this.line, sink, byteSink);
          start = nl + 1;
        }
      } else if (isUtf8(region)) {
        // One decode for every whole line of the chunk; 0x0a never occurs inside a multi-byte
        // sequence, so splitting the text on "\n" gives the same lines as splitting the bytes.
        const text = region.toString("utf8");
        let from = 0;
        for (;;) {
          const nl = text.indexOf("\n", from);
          const end = nl === -1 ? text.length : nl;
          this.line++;
          const cut = end > from && text.charCodeAt(end - 1) === 0x0d ? end - 1 : end;
          sink(
            text.charCodeAt(from) === 0xfeff ? text.slice(from + 1, cut) : text.slice(from, cut),
            this.line,
            false,
            false,
          );
          if (nl === -1) break;
          from = nl + 1;
        }
      } else {
        for (;;) {
          const nl = buf.indexOf(0x0a, start);
          if (nl === -1 || nl > last) break;
          this.line++;
          emitBytes(buf.subarray(start, nl), this.line, sink);
          start = nl + 1;
        }
      }
      start = last + 1;
    }
    this.keep(buf, start);
  }

  /** Emits the last line when it had no trailing newline. */
  end(sink: LineSink, byteSink?: ByteLineSink): void {
    if (this.overflow) sink("", this.line + 1, false, true);
    else if (this.pendingBytes > 0)
      emitBytes(Buffer.concat(this.pending, this.pendingBytes), this.line + 1, sink, byteSink);
    if (this.overflow || this.pendingBytes > 0) this.line++;
    this.pending = [];
    this.pendingBytes = 0;
    this.overflow = false;
  }

  private keep(buf: Buffer, start: number): void {
    if (start >= buf.length || this.overflow) return;
    // Copy: the producer may reuse its buffer.
    const rest = Buffer.from(buf.subarray(start));
    this.pending.push(rest);
    this.pendingBytes += rest.length;
    if (this.pendingBytes > this.maxLineBytes) {
      this.overflow = true;
      this.pending = [];
      this.pendingBytes = 0;
    }
  }
}

/**
 * Splits a stream of byte chunks into lines (see {@link LineSplitter}). Lines longer than
 * `maxLineBytes` are yielded as `{text: "", invalidUtf8: false, tooLong: true}`.
 */
export async function* splitLines(
  chunks: AsyncIterable<Uint8Array>,
  maxLineBytes = 64 * 1024 * 1024,
): AsyncGenerator<Line & { tooLong?: boolean }> {
  const splitter = new LineSplitter(maxLineBytes);
  let batch: (Line & { tooLong?: boolean })[] = [];
  const sink: LineSink = (text, line, invalidUtf8, tooLong) => {
    batch.push(tooLong ? { line, text, invalidUtf8, tooLong } : { line, text, invalidUtf8 });
  };
  for await (const chunk of chunks) {
    splitter.push(chunk, sink);
    const ready = batch;
    batch = [];
    yield* ready;
  }
  splitter.end(sink);
  yield* batch;
}

/** Lines of a plain file (see {@link splitLines}). */
export function readLines(file: string): AsyncGenerator<Line & { tooLong?: boolean }> {
  return splitLines(createReadStream(file, { highWaterMark: 1 << 20 }));
}
