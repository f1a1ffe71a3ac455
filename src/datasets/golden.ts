import { access } from "node:fs/promises";
import { InputError } from "../errors/input-error.ts";
import { readCsvRows } from "../reddit/formats/csv.ts";
import { ImportTally } from "../reddit/report.ts";

/** One golden question with its reference answer. `id` is the CSV `Index` (or the row number). */
export interface GoldenItem {
  id: string;
  question: string;
  answer: string;
  notes: string;
}

/** What `readGoldenCsv` read and what it had to skip or repair (file:line, reason). */
export interface GoldenReadResult {
  items: GoldenItem[];
  skipped: { file: string; line?: number; field?: string; reason: string }[];
  /** Rows kept although a cell had invalid UTF-8 (decoded as U+FFFD). */
  repaired: { file: string; line?: number; field?: string; reason: string }[];
}

export const GOLDEN_COLUMNS = {
  id: "Index",
  notes: "Notes",
  question: "Golden Question",
  answer: "Golden Answer",
} as const;

/**
 * Reads a golden set in the seed study's CSV shape (`Index, Notes, Golden Question, Golden Answer`;
 * UTF-8, quoted multi-line fields). Rows with an empty question or answer are skipped and listed.
 * Throws InputError when the file is missing, a required column is absent, or no row is usable.
 */
export async function readGoldenCsv(file: string, options: { limit?: number | null } = {}): Promise<GoldenReadResult> {
  try {
    await access(file);
  } catch (cause) {
    throw new InputError({ file }, "golden set file not found", { cause });
  }
  const tally = new ImportTally();
  const items: GoldenItem[] = [];
  const skipped: GoldenReadResult["skipped"] = [];
  const repaired: GoldenReadResult["repaired"] = [];
  const seen = new Set<string>();
  let header: string[] = [];
  const rows = readCsvRows({ file, tally, progress: () => {} }, (h) => {
    header = h;
    const missing = [GOLDEN_COLUMNS.question, GOLDEN_COLUMNS.answer].filter((c) => !h.includes(c));
    if (missing.length > 0) {
      throw new InputError(
        { file, line: 1, field: missing[0]! },
        `missing column(s) ${missing.map((m) => `"${m}"`).join(", ")}; expected ${Object.values(GOLDEN_COLUMNS).join(", ")} (found: ${h.join(", ")})`,
      );
    }
  });
  for await (const row of rows) {
    const question = (row.cells[GOLDEN_COLUMNS.question] ?? "").trim();
    const answer = (row.cells[GOLDEN_COLUMNS.answer] ?? "").trim();
    let id = (row.cells[GOLDEN_COLUMNS.id] ?? "").trim() || `row${row.line}`;
    if (!question || !answer) {
      skipped.push({
        file,
        line: row.line,
        field: !question ? GOLDEN_COLUMNS.question : GOLDEN_COLUMNS.answer,
        reason: "empty",
      });
      continue;
    }
    if (seen.has(id)) id = `${id}@${row.line}`;
    seen.add(id);
    for (const field of row.badUtf8)
      repaired.push({ file, line: row.line, field, reason: "invalid UTF-8 replaced by U+FFFD" });
    items.push({ id, question, answer, notes: (row.cells[GOLDEN_COLUMNS.notes] ?? "").trim() });
    if (options.limit && items.length >= options.limit) break;
  }
  for (const s of tally.skipped) skipped.push(s);
  if (header.length === 0) throw new InputError({ file }, "empty file (expected a CSV header row)");
  if (items.length === 0) throw new InputError({ file }, "no usable golden question (every row was empty or broken)");
  return { items, skipped, repaired };
}
