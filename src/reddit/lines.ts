/**
 * Line reading over byte streams with 1-based line numbers and per-line UTF-8 validation, in
 * bounded memory (one line at a time plus one chunk). Used for JSONL/NDJSON inputs, plain or
 * zstd-decompressed.
 */
import { createReadStream } from "node:fs";

/** One line of a text stream. `text` has no trailing `\n`/`\r\n`. */
export interface Line {
  /** 1-based line number. */
  line: number;
  text: string;
  /** True when the bytes were not valid UTF-8; `text` then holds U+FFFD for the bad bytes. */
  invalidUtf8: boolean;
}

const strict = new TextDecoder("utf-8", { fatal: true });
const lenient = new TextDecoder("utf-8", { fatal: false });

function decodeLine(bytes: Uint8Array, line: number): Line {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0d) end--;
  const view = end === bytes.length ? bytes : bytes.subarray(0, end);
  try {
    return { line, text: strict.decode(view), invalidUtf8: false };
  } catch {
    return { line, text: lenient.decode(view), invalidUtf8: true };
  }
}

/**
 * Splits a stream of byte chunks into lines. The final line is yielded even without a trailing
 * newline; an empty final line is not. Lines longer than `maxLineBytes` (default 64 MiB) are
 * yielded as `{text: "", invalidUtf8: false, tooLong: true}` so one broken record cannot exhaust
 * memory.
 */
export async function* splitLines(
  chunks: AsyncIterable<Uint8Array>,
  maxLineBytes = 64 * 1024 * 1024,
): AsyncGenerator<Line & { tooLong?: boolean }> {
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let line = 0;
  let overflow = false;
  for await (const chunk of chunks) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl === -1) break;
      line++;
      if (overflow) {
        yield { line, text: "", invalidUtf8: false, tooLong: true };
      } else {
        const piece = chunk.subarray(start, nl);
        const bytes = pending.length === 0 ? piece : concat([...pending, piece], pendingBytes + piece.length);
        yield decodeLine(bytes, line);
      }
      pending = [];
      pendingBytes = 0;
      overflow = false;
      start = nl + 1;
    }
    if (start < chunk.length && !overflow) {
      const rest = chunk.subarray(start);
      // Copy: the producer may reuse its buffer.
      pending.push(Uint8Array.prototype.slice.call(rest));
      pendingBytes += rest.length;
      if (pendingBytes > maxLineBytes) {
        overflow = true;
        pending = [];
        pendingBytes = 0;
      }
    }
  }
  if (overflow) yield { line: line + 1, text: "", invalidUtf8: false, tooLong: true };
  else if (pendingBytes > 0) yield decodeLine(concat(pending, pendingBytes), line + 1);
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Lines of a plain file (see {@link splitLines}). */
export function readLines(file: string): AsyncGenerator<Line & { tooLong?: boolean }> {
  return splitLines(createReadStream(file, { highWaterMark: 1 << 20 }));
}
