import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { createInterface } from "node:readline";
import { InputError } from "../errors/input-error.ts";

/** Writes `rows` as JSONL atomically (to `<file>.partial`, then renamed). Returns the file's sha256. */
export async function writeJsonl(file: string, rows: readonly unknown[]): Promise<string> {
  await mkdir(dirname(file), { recursive: true });
  const text = rows.map((r) => `${JSON.stringify(r)}\n`).join("");
  await writeFile(`${file}.partial`, text);
  await rename(`${file}.partial`, file);
  return createHash("sha256").update(text).digest("hex");
}

/** Writes a JSON file atomically. */
export async function writeJson(file: string, value: unknown): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(`${file}.partial`, `${JSON.stringify(value, null, 2)}\n`);
  await rename(`${file}.partial`, file);
}

/** Reads a JSON file; InputError naming the file when missing or invalid. */
export async function readJson<T>(file: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new InputError({ file }, "missing (run the stage that writes it first)", { cause });
  }
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new InputError({ file }, `not valid JSON: ${(cause as Error).message}`, { cause });
  }
}

/** Streams a JSONL file's objects; InputError with file and line on the first invalid line. */
export async function* readJsonl<T>(file: string): AsyncGenerator<T> {
  const stream = createReadStream(file, "utf8");
  const failed = new Promise<never>((_, reject) => stream.on("error", reject));
  failed.catch(() => undefined);
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  try {
    for await (const line of lines) {
      n++;
      if (line.trim() === "") continue;
      try {
        yield JSON.parse(line) as T;
      } catch (cause) {
        throw new InputError({ file, line: n }, `not valid JSON: ${(cause as Error).message}`, { cause });
      }
    }
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "ENOENT") throw new InputError({ file }, "missing", { cause });
    throw cause;
  }
}

/** Reads a whole JSONL file into memory (small files: datasets, generations). */
export async function readJsonlAll<T>(file: string): Promise<T[]> {
  const out: T[] = [];
  for await (const row of readJsonl<T>(file)) out.push(row);
  return out;
}
