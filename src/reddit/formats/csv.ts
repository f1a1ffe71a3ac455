import { createReadStream } from "node:fs";
import { Transform } from "node:stream";
import { parse } from "csv-parse";
import type { ReaderContext } from "./context.ts";

/** One CSV data row with its 1-based first line and the header it is read under. */
export interface CsvRow {
  line: number;
  /** Cells by header name; for duplicate header names the first non-empty cell wins. */
  cells: Record<string, string>;
  /** Number of cells in the row. */
  width: number;
  /** Header names whose cell held bytes that were not valid UTF-8 (now U+FFFD). */
  badUtf8: string[];
}

/**
 * Streams a CSV file (UTF-8, optional BOM, RFC 4180 quoting, multi-line fields) row by row.
 * Rows whose quoting is broken are skipped into the tally by csv-parse's `skip_records_with_error`
 * with the line it reports. Invalid UTF-8 is decoded to U+FFFD and listed per row in `badUtf8`
 * (the caller decides whether that matters for the columns it reads). Returns the header via
 * `onHeader` before the first row.
 */
export async function* readCsvRows(ctx: ReaderContext, onHeader: (header: string[]) => void): AsyncGenerator<CsvRow> {
  const decoder = new TextDecoder("utf-8");
  const decode = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      cb(null, decoder.decode(chunk, { stream: true }));
    },
    flush(cb) {
      cb(null, decoder.decode());
    },
  });
  const parser = parse({
    info: true,
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (err) => {
      ctx.tally.skip({
        file: ctx.file,
        line: typeof err?.lines === "number" ? err.lines : undefined,
        reason: `broken CSV quoting: ${err?.message ?? "unknown"}`,
      });
      return undefined;
    },
  });
  const source = createReadStream(ctx.file, { highWaterMark: 1 << 20 });
  source.on("error", (e) => parser.destroy(e));
  source.pipe(decode).pipe(parser);
  let header: string[] | undefined;
  for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    const { record, info } = item;
    let newlines = 0;
    for (const cell of record) for (let i = cell.indexOf("\n"); i !== -1; i = cell.indexOf("\n", i + 1)) newlines++;
    const line = info.lines - newlines;
    if (header === undefined) {
      header = record.map((h) => h.trim());
      onHeader(header);
      continue;
    }
    const cells: Record<string, string> = {};
    const badUtf8: string[] = [];
    record.forEach((cell, i) => {
      const name = header![i] ?? `#${i + 1}`;
      if (cells[name] === undefined || cells[name] === "") cells[name] = cell;
      if (cell.includes("\uFFFD")) badUtf8.push(name);
    });
    yield { line, cells, width: record.length, badUtf8 };
  }
}
