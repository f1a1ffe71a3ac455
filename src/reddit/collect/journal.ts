/**
 * The crash-safe record of a `collect` run: every API answer is appended to `pages.jsonl` and
 * fsync'd, then `state.json` is replaced atomically (write, fsync, rename), before the next request
 * goes out. A rerun reads the journal back and answers every request it already holds from disk,
 * so a run killed at any point (kill -9 included) resumes without refetching a finished page.
 *
 * `pages.jsonl` lines: `{"k": "<path and query>", "s": 200|403|404, "b": <parsed JSON body>}`.
 * Request keys never hold credentials or tokens. A final line cut short by a crash is truncated
 * away on open (its request is simply made again).
 */
import { createReadStream, existsSync } from "node:fs";
import { type FileHandle, mkdir, open, readFile, rename, rm, truncate } from "node:fs/promises";
import { join } from "node:path";
import { ConfigError } from "../../errors/config-error.ts";
import { InputError } from "../../errors/input-error.ts";
import type { ApiPage } from "./client.ts";

/** `state.json`: a small summary, rewritten after every page. */
export interface CollectState {
  kind: "wayfarer-collect-state";
  version: 1;
  /** Hash of the settings that decide which requests are made (tiers, comments); a rerun must match. */
  configHash: string;
  /** Complete pages in the journal. */
  pages: number;
  /** Bytes of complete lines in the journal. */
  journalBytes: number;
  /** Threads completed so far in this run (the last run, after a crash). */
  threads: number;
  /** True once the run finished and threads.jsonl was written. */
  done: boolean;
}

/** File names inside the output folder. */
export const JOURNAL_FILE = "pages.jsonl";
export const STATE_FILE = "state.json";

/** The page journal of one output folder; see the module doc. */
export class PageJournal {
  private readonly index = new Map<string, { offset: number; length: number }>();
  private size = 0;
  private threads = 0;
  /** Bytes of a cut-off last line removed on open (0 when the journal was clean). */
  truncatedBytes = 0;

  private constructor(
    private readonly dir: string,
    private readonly configHash: string,
    private readonly fh: FileHandle,
  ) {}

  /**
   * Opens (or creates) the journal in `dir`. With `fresh`, an existing journal and state are
   * removed first. Throws ConfigError when the folder holds a run made with other settings, and
   * InputError when a complete journal line is not valid JSON (the file was edited or damaged).
   */
  static async open(dir: string, opts: { configHash: string; fresh: boolean }): Promise<PageJournal> {
    await mkdir(dir, { recursive: true });
    const journalPath = join(dir, JOURNAL_FILE);
    const statePath = join(dir, STATE_FILE);
    if (opts.fresh) {
      await rm(journalPath, { force: true });
      await rm(statePath, { force: true });
    }
    if (existsSync(statePath)) {
      let state: Partial<CollectState>;
      try {
        state = JSON.parse(await readFile(statePath, "utf8")) as Partial<CollectState>;
      } catch {
        throw new InputError({ file: statePath }, "not a collect state file; remove the folder or use --fresh");
      }
      if (state.configHash !== opts.configHash)
        throw new ConfigError(
          `${dir} holds a collection made with other tiers/comment settings; use another --out folder, or --fresh to start over`,
        );
    }
    const journal = new PageJournal(dir, opts.configHash, await open(journalPath, "a+"));
    await journal.load(journalPath);
    return journal;
  }

  private async load(path: string): Promise<void> {
    let offset = 0;
    let pending: Buffer[] = [];
    let pendingStart = 0;
    let lineNo = 0;
    const addLine = (buf: Buffer, start: number) => {
      lineNo++;
      let rec: { k?: unknown };
      try {
        rec = JSON.parse(buf.toString("utf8")) as { k?: unknown };
      } catch {
        throw new InputError({ file: path, line: lineNo }, "journal line is not valid JSON; use --fresh to start over");
      }
      if (typeof rec.k !== "string")
        throw new InputError({ file: path, line: lineNo, field: "k" }, "missing request key");
      if (!this.index.has(rec.k)) this.index.set(rec.k, { offset: start, length: buf.length });
    };
    for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
      let from = 0;
      for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, from)) {
        const part = chunk.subarray(from, nl);
        const line = pending.length > 0 ? Buffer.concat([...pending, part]) : part;
        if (line.length > 0) addLine(line, pending.length > 0 ? pendingStart : offset + from);
        pending = [];
        from = nl + 1;
      }
      if (from < chunk.length) {
        if (pending.length === 0) pendingStart = offset + from;
        pending.push(chunk.subarray(from));
      }
      offset += chunk.length;
    }
    if (pending.length > 0) {
      // A crash cut the last line short: drop it (its request is made again).
      this.truncatedBytes = offset - pendingStart;
      await truncate(path, pendingStart);
      offset = pendingStart;
    }
    this.size = offset;
  }

  /** Complete pages on disk. */
  get pages(): number {
    return this.index.size;
  }

  /** The stored answer to request `key`, or undefined when it was never completed. */
  async get(key: string): Promise<ApiPage | undefined> {
    const at = this.index.get(key);
    if (!at) return undefined;
    const buf = Buffer.alloc(at.length);
    await this.fh.read(buf, 0, at.length, at.offset);
    const rec = JSON.parse(buf.toString("utf8")) as { s: ApiPage["status"]; b: unknown };
    return { status: rec.s, body: rec.b };
  }

  /** Appends the answer to `key`, fsyncs it, then rewrites state.json; returns when both are durable. */
  async append(key: string, page: ApiPage): Promise<void> {
    const line = Buffer.from(`${JSON.stringify({ k: key, s: page.status, b: page.body })}\n`, "utf8");
    await this.fh.write(line, 0, line.length, null);
    await this.fh.sync();
    if (!this.index.has(key)) this.index.set(key, { offset: this.size, length: line.length - 1 });
    this.size += line.length;
    await this.writeState(false);
  }

  /** Notes a finished thread (state.json only, for progress). */
  async threadDone(): Promise<void> {
    this.threads++;
  }

  /** Marks the run finished in state.json. */
  async finish(): Promise<void> {
    await this.writeState(true);
  }

  private async writeState(done: boolean): Promise<void> {
    const state: CollectState = {
      kind: "wayfarer-collect-state",
      version: 1,
      configHash: this.configHash,
      pages: this.index.size,
      journalBytes: this.size,
      threads: this.threads,
      done,
    };
    const path = join(this.dir, STATE_FILE);
    const tmp = `${path}.tmp`;
    const fh = await open(tmp, "w");
    try {
      await fh.writeFile(`${JSON.stringify(state, null, 2)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  }

  /** Closes the journal file. */
  async close(): Promise<void> {
    await this.fh.close();
  }
}
