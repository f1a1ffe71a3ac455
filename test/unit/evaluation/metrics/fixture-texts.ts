/** Loads the texts a fixture key points at from ../shared/data/wanderchat, the way metrics.py reads them. */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "csv-parse/sync";

const HERE = dirname(fileURLToPath(import.meta.url));
export const PROJECT_ROOT = resolve(HERE, "../../../..");
export const DATA_DIR = resolve(PROJECT_ROOT, "../shared/data/wanderchat");
export const FIXTURE_DIR = join(PROJECT_ROOT, "test/fixtures/metrics");
export const HAVE_DATA = existsSync(DATA_DIR);
export const SKIP_MESSAGE = `shared data not found at ${DATA_DIR}: real-pair parity tests skipped`;

export interface TextKey {
  file: string;
  row: number;
  col: number | string;
  sha1: string;
}

export class FixtureTexts {
  readonly #tables = new Map<string, unknown[]>();

  #table(file: string): unknown[] {
    let t = this.#tables.get(file);
    if (t === undefined) {
      // Python: open(encoding="utf-8", errors="replace"); TextDecoder's default also replaces invalid bytes.
      const text = new TextDecoder("utf-8").decode(readFileSync(join(DATA_DIR, file)));
      t = file.endsWith(".jsonl")
        ? text
            .split("\n")
            .filter((l) => l.trim() !== "")
            .map((l) => JSON.parse(l) as unknown)
        : (parse(text, { relax_column_count: true }) as string[][]);
      this.#tables.set(file, t);
    }
    return t;
  }

  text(key: TextKey): string {
    const row = this.#table(key.file)[key.row] as Record<string | number, unknown>;
    const v = row[key.col];
    if (typeof v !== "string") throw new Error(`fixture key ${JSON.stringify(key)} is not a string`);
    return v;
  }
}

export function sha1Prefix(text: string): string {
  return createHash("sha1").update(text, "utf8").digest("hex").slice(0, 16);
}

export function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURE_DIR, name), "utf8")) as T;
}
