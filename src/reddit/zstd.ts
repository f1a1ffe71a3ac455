/**
 * Streaming zstd decompression for Pushshift / Arctic Shift dumps. Those files are compressed with a
 * long window (`zstd --long=31`, a 2 GiB window; reddit.md "Dumps"), which a decoder must accept.
 *
 * Two decoders:
 * - `cli`: the `zstd` program (`zstd -dc --long=31`), native speed; used when it is on PATH.
 * - `js`: fzstd (pure JS, streaming). fzstd allocates the whole window up front and refuses windows
 *   above 2,046 MiB, so it cannot read true window-log-31 frames; fine for dumps written with
 *   smaller windows (most re-compressed subsets, our tests and benchmark).
 * Plain (uncompressed) files are passed through, detected by the zstd magic number.
 */
import { spawn, spawnSync } from "node:child_process";
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { Decompress } from "fzstd";

/** Which decoder to use; `auto` = `cli` when `zstd` is on PATH, else `js`. */
export type ZstdDecoder = "auto" | "cli" | "js";

/** The stream is not valid zstd (truncated, corrupt, or a window the decoder cannot hold). */
export class ZstdStreamError extends Error {
  override name = "ZstdStreamError";
}

/** True when the `zstd` program runs. Costs one process start; call once per import. */
export function zstdCliAvailable(): boolean {
  try {
    return spawnSync("zstd", ["--version"], { stdio: "ignore" }).status === 0;
  } catch {
    return false;
  }
}

/** True when the file starts with the zstd frame magic number (28 B5 2F FD). */
export async function isZstdFile(file: string): Promise<boolean> {
  const fh = await open(file, "r");
  try {
    const b = Buffer.alloc(4);
    const { bytesRead } = await fh.read(b, 0, 4, 0);
    return bytesRead === 4 && b.readUInt32LE(0) === 0xfd2fb528;
  } finally {
    await fh.close();
  }
}

/**
 * Yields the decompressed bytes of `file` (or its raw bytes when it is not zstd and not named `.zst`) in chunks.
 * Throws {@link ZstdStreamError} when the stream is truncated or corrupt — after yielding
 * everything that decoded before the damage, so callers keep the good prefix.
 */
export async function* decompressedChunks(file: string, decoder: "cli" | "js"): AsyncGenerator<Uint8Array> {
  if (!(await isZstdFile(file))) {
    // Plain NDJSON is read as it is, but a `.zst` file must be zstd (empty or another format: say so).
    if (file.toLowerCase().endsWith(".zst"))
      throw new ZstdStreamError("not a zstd file (it does not start with a zstd frame; empty, or another format)");
    yield* createReadStream(file, { highWaterMark: 1 << 20 });
    return;
  }
  if (decoder === "cli") yield* viaCli(file);
  else yield* viaFzstd(file);
}

async function* viaCli(file: string): AsyncGenerator<Uint8Array> {
  const child = spawn("zstd", ["-dc", "--long=31", "-q", "--", file], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (s: string) => {
    if (stderr.length < 4000) stderr += s;
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  let finished = false;
  try {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    finished = true;
  } finally {
    // The consumer stopped early (or threw): stop the decoder.
    if (!finished && child.exitCode === null) child.kill();
  }
  const code = await exited;
  if (code !== 0) throw new ZstdStreamError(`zstd exited with ${code}: ${stderr.trim().split("\n").pop() ?? ""}`);
}

/** Largest window the `js` decoder is allowed to allocate (fzstd holds the whole window in memory). */
export const JS_MAX_WINDOW = 1 << 30;

/**
 * Window size in bytes declared by the first frame header of a zstd file (RFC 8878 §3.1.1.1), or
 * null when the header cannot be read. Single-segment frames declare their content size instead.
 */
export async function zstdWindowSize(file: string): Promise<number | null> {
  const fh = await open(file, "r");
  try {
    const b = Buffer.alloc(18);
    const { bytesRead } = await fh.read(b, 0, 18, 0);
    if (bytesRead < 6 || b.readUInt32LE(0) !== 0xfd2fb528) return null;
    const fhd = b[4]!;
    const singleSegment = (fhd >> 5) & 1;
    if (!singleSegment) {
      const wd = b[5]!;
      const base = 2 ** (10 + (wd >> 3));
      return base + (base / 8) * (wd & 7);
    }
    const fcsFlag = fhd >> 6;
    const dictFlag = fhd & 3;
    const at = 5 + [0, 1, 2, 4][dictFlag]!;
    const size = [1, 2, 4, 8][fcsFlag]!;
    if (at + size > bytesRead) return null;
    if (size === 1) return b[at]!;
    if (size === 2) return b.readUInt16LE(at) + 256;
    if (size === 4) return b.readUInt32LE(at);
    return Number(b.readBigUInt64LE(at));
  } finally {
    await fh.close();
  }
}

async function* viaFzstd(file: string): AsyncGenerator<Uint8Array> {
  const window = await zstdWindowSize(file);
  if (window !== null && window > JS_MAX_WINDOW) {
    throw new ZstdStreamError(
      `zstd window of ${Math.round(window / 2 ** 20)} MiB (written with --long=31?) is too large for the built-in JS decoder; install the zstd program (e.g. apt install zstd, brew install zstd) so it is on PATH`,
    );
  }
  let out: Uint8Array[] = [];
  let ended = false;
  const d = new Decompress((chunk, final) => {
    out.push(chunk);
    if (final) ended = true;
  });
  const push = (chunk: Uint8Array, final: boolean) => {
    try {
      d.push(chunk, final);
    } catch (e) {
      throw new ZstdStreamError(`corrupt zstd data: ${(e as Error).message}`);
    }
  };
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    try {
      push(chunk as Buffer, false);
    } finally {
      // Yield what decoded before a possible error.
      const ready = out;
      out = [];
      for (const c of ready) yield c;
    }
  }
  push(new Uint8Array(0), true);
  const ready = out;
  out = [];
  for (const c of ready) yield c;
  if (!ended) throw new ZstdStreamError("truncated zstd stream (ended inside a frame)");
}
