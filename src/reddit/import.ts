/**
 * `wayfarer import`: reads Reddit data in any supported format and writes Wayfarer's threads JSONL
 * (one {@link Thread} per line), the input of the `corpus` stage.
 *
 * Formats (see each reader's module doc):
 * - `reddit-csv`    CSV exports, one post per row (`formats/reddit-csv.ts`);
 * - `threads-csv`   title, selftext and concatenated comments per row (`formats/threads-csv.ts`);
 * - `reddit-json`   Reddit's own `/comments/{id}.json` pages or post Listings (`formats/reddit-json.ts`);
 * - `ndjson-zst`    Pushshift / Arctic Shift `RS_`/`RC_` NDJSON dumps, zstd or plain; posts and
 *                   comments from all such inputs are joined by `link_id` (`formats/ndjson-dump.ts`);
 * - `threads-jsonl` our own format (`formats/threads-jsonl.ts`).
 *
 * Bad records never abort an import: each is skipped and counted with file, line and field
 * ({@link ImportReport}). Only unusable *arguments* (a path that does not exist, a directory with no
 * readable input, an unknown format) throw an {@link InputError}, before anything is written.
 */
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { dirname, extname, join } from "node:path";
import { IMPORT_FORMATS, type ImportFormat } from "../config/import.ts";
import { InputError } from "../errors/input-error.ts";
import type { ReaderContext } from "./formats/context.ts";
import { readNdjsonDumpsRaw } from "./formats/ndjson-dump.ts";
import { readRedditCsv } from "./formats/reddit-csv.ts";
import { readRedditJson } from "./formats/reddit-json.ts";
import { readThreadsCsv } from "./formats/threads-csv.ts";
import { readThreadsJsonlChecked, threadProblem } from "./formats/threads-jsonl.ts";
import { readLines } from "./lines.ts";
import { ImportTally } from "./report.ts";
import { SubredditFilter } from "./subreddit-filter.ts";
import type { Thread } from "./thread.ts";
import type { ZstdDecoder } from "./zstd.ts";

export { IMPORT_FORMATS, type ImportFormat };

/** One input: a file, or a directory whose matching files (recursively, sorted by path) are all read. */
export interface ImportInput {
  path: string;
  /** Forces the format (a directory then reads only files with that format's extensions); auto-detected when absent. */
  format?: ImportFormat;
}

/** A record (or whole file) that could not be used, or a warning about a kept one. */
export interface SkippedRecord {
  file: string;
  /** 1-based line (CSV: first line of the row; JSON: the thread's index in the file). */
  line?: number;
  /** Column, JSON key or JSON path. */
  field?: string;
  reason: string;
}

/** What an import did. Example lists are capped at 100 entries; the counts are exact. */
export interface ImportReport {
  /** Input files read. */
  files: number;
  /** Threads written. */
  threads: number;
  /** Comments written (sum over threads). */
  comments: number;
  /** Up to 100 examples of skipped records. */
  skipped: SkippedRecord[];
  /** Exact number of skipped records (or files). */
  skippedCount: number;
  /** Up to 100 examples of records kept after a repair (e.g. invalid UTF-8 replaced). */
  warnings: SkippedRecord[];
  /** Exact number of warnings. */
  warningCount: number;
  /**
   * Left out by the subreddit filter ({@link ImportThreadsOptions.subreddits}): posts (threads of
   * the other formats) and comments (dump records; for the other formats, the comments of left-out
   * threads). Not problems, so not in `skipped`. Zero without a filter.
   */
  filtered: { posts: number; comments: number };
}

/** File extensions per format, used to pick files inside directories. */
const EXTENSIONS: Record<ImportFormat, readonly string[]> = {
  "reddit-csv": [".csv"],
  "threads-csv": [".csv"],
  "reddit-json": [".json"],
  "ndjson-zst": [".zst", ".ndjson", ".jsonl"],
  "threads-jsonl": [".jsonl", ".ndjson"],
};
const KNOWN_EXTENSIONS = new Set(Object.values(EXTENSIONS).flat());

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".")) continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(p)));
    else if (entry.isFile()) out.push(p);
  }
  return out.sort();
}

async function firstBytes(file: string, n: number): Promise<Buffer> {
  const fh = await open(file, "r");
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/**
 * Guesses a file's format from its extension and first bytes: `.zst` (or zstd magic) -> ndjson-zst;
 * `.json` -> reddit-json; `.csv` -> threads-csv when the header has `comments` but no `id`, else
 * reddit-csv; `.jsonl`/`.ndjson` -> threads-jsonl when the first record has `post` and `comments`,
 * else ndjson-zst (an uncompressed dump). Returns null for other files.
 */
export async function detectFormat(file: string): Promise<ImportFormat | null> {
  const ext = extname(file).toLowerCase();
  const head = await firstBytes(file, 64 * 1024);
  if (ext === ".zst" || (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd))
    return "ndjson-zst";
  if (ext === ".json") return "reddit-json";
  if (ext === ".csv") {
    const firstLine =
      head
        .toString("utf8")
        .replace(/^\uFEFF/, "")
        .split(/\r?\n/)[0] ?? "";
    const cols = firstLine.split(",").map((c) => c.trim().replace(/^"|"$/g, ""));
    return cols.includes("comments") && !cols.includes("id") ? "threads-csv" : "reddit-csv";
  }
  if (ext === ".jsonl" || ext === ".ndjson") {
    for await (const l of readLines(file)) {
      if (l.text.trim() === "") continue;
      try {
        const v = JSON.parse(l.text) as Record<string, unknown>;
        return typeof v === "object" && v !== null && "post" in v && "comments" in v ? "threads-jsonl" : "ndjson-zst";
      } catch {
        return ext === ".jsonl" ? "threads-jsonl" : "ndjson-zst";
      }
    }
    return "threads-jsonl";
  }
  return null;
}

/** Expands inputs into (file, format) pairs, in input order then path order. Throws InputError on bad arguments. */
export async function resolveInputs(inputs: readonly ImportInput[]): Promise<{ file: string; format: ImportFormat }[]> {
  if (inputs.length === 0)
    throw new InputError({ file: "(inputs)" }, "no input given; pass at least one file or directory");
  const out: { file: string; format: ImportFormat }[] = [];
  for (const input of inputs) {
    if (input.format !== undefined && !IMPORT_FORMATS.includes(input.format)) {
      throw new InputError(
        { file: input.path },
        `unknown format "${input.format}"; use one of ${IMPORT_FORMATS.join(", ")}`,
      );
    }
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(input.path);
    } catch {
      throw new InputError({ file: input.path }, "no such file or directory");
    }
    if (info.isDirectory()) {
      const wanted = input.format ? EXTENSIONS[input.format] : [...KNOWN_EXTENSIONS];
      const files = (await listFiles(input.path)).filter((f) => wanted.includes(extname(f).toLowerCase()));
      let found = 0;
      for (const file of files) {
        const format = input.format ?? (await detectFormat(file));
        if (format) {
          out.push({ file, format });
          found++;
        }
      }
      if (found === 0) {
        throw new InputError(
          { file: input.path },
          `directory holds no ${input.format ?? "importable"} files (${wanted.join(", ")})`,
        );
      }
    } else {
      const format = input.format ?? (await detectFormat(input.path));
      if (!format) {
        throw new InputError(
          { file: input.path },
          `cannot tell the format from the extension; pass a format (${IMPORT_FORMATS.join(", ")})`,
        );
      }
      out.push({ file: input.path, format });
    }
  }
  return out;
}

/** Options of {@link importThreads}. */
export interface ImportThreadsOptions {
  inputs: ImportInput[];
  /** Threads JSONL to write; written to `<outFile>.partial` and renamed at the end, parent folders created. */
  outFile: string;
  /** Called every ~10,000 source records per file and at the end of each file. */
  onProgress?: (p: { file: string; records: number }) => void;
  /** Folder for temporary files of the dump join (default: next to `outFile`). */
  tmpDir?: string;
  /** zstd decoder for dumps: `auto` (default; the `zstd` CLI when on PATH, else fzstd), `cli` or `js`. */
  zstdDecoder?: ZstdDecoder;
  /** Worker threads parsing dump lines (0 = main thread only); default: by input size and cores (see `formats/ndjson-dump.ts`). */
  dumpWorkers?: number;
  /**
   * Keep only threads of these subreddits (case-insensitive; absent or empty = all). Dump records
   * of other subreddits are dropped in the first pass, before the join; counted in `filtered`.
   */
  subreddits?: string[];
}

/**
 * Streams every input into `outFile` as threads JSONL (one Thread per line) and returns what was
 * read, written and skipped. Files are read in order; `ndjson-zst` inputs are read together after
 * the others because their posts and comments must be joined (bounded memory: see
 * `formats/ndjson-dump.ts`). The same post may appear twice if it is in two inputs; `corpus`
 * removes duplicates. Throws {@link InputError} only for unusable arguments (see module doc).
 */
export async function importThreads(opts: ImportThreadsOptions): Promise<ImportReport> {
  const files = await resolveInputs(opts.inputs);
  const tally = new ImportTally();
  const filter = SubredditFilter.of(opts.subreddits);
  await mkdir(dirname(opts.outFile), { recursive: true });
  const partial = `${opts.outFile}.partial`;
  // A deep write buffer (the dump join hands over 8 MiB blocks): the next block is made while the
  // previous ones are written.
  const out = createWriteStream(partial, { highWaterMark: 16 << 20 });
  const failed = new Promise<never>((_, reject) => out.on("error", reject));
  failed.catch(() => undefined);
  const write = async (thread: Thread) => {
    if (filter && !filter.keeps(thread.post.subreddit)) {
      tally.filteredPosts++;
      tally.filteredComments += thread.comments.length;
      return;
    }
    tally.threads++;
    tally.comments += thread.comments.length;
    if (!out.write(`${JSON.stringify(thread)}\n`)) await Promise.race([once(out, "drain"), failed]);
  };
  const ctxFor = (file: string): ReaderContext => ({
    file,
    tally,
    progress: (records) => opts.onProgress?.({ file, records }),
  });
  try {
    const dumps: string[] = [];
    for (const { file, format } of files) {
      if (format === "ndjson-zst") {
        dumps.push(file);
        continue;
      }
      tally.files++;
      const ctx = ctxFor(file);
      const reader =
        format === "reddit-csv"
          ? readRedditCsv(ctx)
          : format === "threads-csv"
            ? readThreadsCsv(ctx)
            : format === "reddit-json"
              ? readRedditJson(ctx)
              : format === "threads-jsonl"
                ? readThreadsJsonlChecked(ctx)
                : (format satisfies never);
      for await (const thread of reader) await write(thread);
    }
    if (dumps.length > 0) {
      tally.files += dumps.length;
      // Dump threads come already serialised (byte-identical to JSON.stringify(thread)), in big blocks.
      for await (const chunk of readNdjsonDumpsRaw({
        files: dumps,
        tally,
        ctxFor,
        tmpDir: opts.tmpDir ?? dirname(opts.outFile),
        ...(opts.zstdDecoder ? { decoder: opts.zstdDecoder } : {}),
        ...(opts.dumpWorkers !== undefined ? { workers: opts.dumpWorkers } : {}),
        ...(filter ? { subreddits: filter.list() } : {}),
      })) {
        tally.threads += chunk.threads;
        tally.comments += chunk.comments;
        // The chunk's memory is reused once it is written.
        if (!out.write(chunk.bytes, () => chunk.release())) await Promise.race([once(out, "drain"), failed]);
      }
    }
    out.end();
    await Promise.race([once(out, "finish"), failed]);
    await rename(partial, opts.outFile);
  } catch (e) {
    out.destroy();
    await rm(partial, { force: true });
    throw e;
  }
  return tally.toReport();
}

/**
 * Reads a threads JSONL file (what {@link importThreads} writes) one Thread at a time. Blank lines
 * are ignored. Throws {@link InputError} naming file, line and field at the first line that is not
 * a Thread (this is our own format: a bad line means a corrupted file, not noisy input).
 */
export async function* readThreadsJsonl(file: string): AsyncGenerator<Thread> {
  try {
    await stat(file);
  } catch {
    throw new InputError({ file }, "no such file; run `wayfarer import` first");
  }
  for await (const l of readLines(file)) {
    if (l.tooLong) throw new InputError({ file, line: l.line }, "line longer than 64 MiB");
    if (l.text.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(l.text);
    } catch (e) {
      throw new InputError({ file, line: l.line }, `not valid JSON (${(e as Error).message})`);
    }
    const problem = threadProblem(value);
    if (problem) throw new InputError({ file, line: l.line, field: problem.field }, `not a thread: ${problem.reason}`);
    yield value as Thread;
  }
}
