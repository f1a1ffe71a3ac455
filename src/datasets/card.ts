/**
 * Dataset cards: one per dataset the `datasets` stage writes, as `<dataset>/card.json` and `<dataset>/card.md`.
 * A card holds the counts in and out of every filter (with drop reasons), provenance (input files and their
 * sha256), the teacher and its settings when a model wrote any text, the recipe settings, the sha256 and row
 * count of every file, and five examples (the first five rows of the first file). Cards carry nothing that
 * changes between two runs with the same inputs and settings (no clock, no cache hit counts), so a rerun
 * writes byte-identical cards.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeJson, writeJsonl } from "./jsonl.ts";

/** The TRL dataset format of a file (https://huggingface.co/docs/trl/dataset_formats). */
export type TrlFormat =
  | "conversational language modeling (messages)"
  | "conversational preference (prompt, chosen, rejected)"
  | "conversational prompt-completion (prompt, completion)"
  | "golden set (question, answer)";

/** One filter a dataset went through: items in, items out, and why the others were dropped. */
export interface CardFilter {
  id: string;
  description: string;
  in: number;
  out: number;
  dropped?: Record<string, number>;
}

/** The teacher model that wrote text for a dataset. */
export interface CardTeacher {
  /** Key of `models` in the experiment. */
  model: string;
  /** What produced the text (provider, model id, settings), as the teacher reports it. */
  signature: string;
  settings: Record<string, unknown>;
}

/** What {@link writeDatasetCard} writes (without the computed `files` and `examples`). */
export interface DatasetCardInput {
  /** Dataset name = its folder under `datasets/`, e.g. `preferences`. */
  name: string;
  title: string;
  format: TrlFormat;
  /** One file per split, rows in file order; `path` (relative to the datasets folder) defaults to `<name>/<split>.jsonl`. */
  files: { split: string; rows: readonly unknown[]; path?: string }[];
  filters: CardFilter[];
  provenance: Record<string, unknown>;
  teacher?: CardTeacher;
  settings: unknown;
  /** Recipe-specific sections (e.g. `separability`, `similarity`). */
  extra?: Record<string, unknown>;
  /** Lines for the Markdown card after the tables (warnings, flags). */
  notes?: string[];
  /** Markdown lines (e.g. a table of an `extra` section) shown before the notes; not in card.json. */
  markdown?: string[];
}

/** The card as written to `card.json`. */
export interface DatasetCard extends Omit<DatasetCardInput, "files"> {
  kind: "wayfarer-dataset-card";
  version: 2;
  files: { split: string; path: string; rows: number; sha256: string }[];
  examples: unknown[];
}

/** sha256 (hex) of a file's bytes, or null when it is missing. */
export async function fileSha256(file: string): Promise<string | null> {
  try {
    return createHash("sha256")
      .update(await readFile(file))
      .digest("hex");
  } catch {
    return null;
  }
}

/**
 * Writes every split of a dataset as JSONL (`<dir>/<name>/<split>.jsonl`) and its card (`card.json`,
 * `card.md`), each to a `.partial` file then renamed. Returns the card. Paths in the card are relative to `dir`.
 */
export async function writeDatasetCard(dir: string, input: DatasetCardInput): Promise<DatasetCard> {
  const files: DatasetCard["files"] = [];
  for (const f of input.files) {
    const path = f.path ?? `${input.name}/${f.split}.jsonl`;
    files.push({ split: f.split, path, rows: f.rows.length, sha256: await writeJsonl(join(dir, path), f.rows) });
  }
  const { files: _files, markdown, ...rest } = input;
  const card: DatasetCard = {
    kind: "wayfarer-dataset-card",
    version: 2,
    ...rest,
    files,
    examples: (input.files[0]?.rows ?? []).slice(0, 5),
  };
  await mkdir(join(dir, input.name), { recursive: true });
  await writeJson(join(dir, input.name, "card.json"), card);
  // written then renamed, like the JSONL files and card.json: a killed run never leaves half a card
  const md = join(dir, input.name, "card.md");
  await writeFile(`${md}.partial`, renderDatasetCard(card, markdown));
  await rename(`${md}.partial`, md);
  return card;
}

const cell = (s: unknown) => String(s).replace(/\|/g, "\\|").replace(/\n/g, " ");

/** The Markdown card: files, filters, teacher, `markdown` lines, notes, extra sections as JSON, provenance, settings, five examples. */
export function renderDatasetCard(card: DatasetCard, markdown: readonly string[] = []): string {
  const L: string[] = [`# ${card.title}`, "", `Format: ${card.format}.`, ""];
  L.push("## Files", "", "| split | file | rows | sha256 |", "|---|---|---:|---|");
  for (const f of card.files) L.push(`| ${f.split} | ${f.path} | ${f.rows} | \`${f.sha256}\` |`);
  L.push("", "## Filters (in order)", "", "| filter | in | out | dropped by reason |", "|---|---:|---:|---|");
  for (const f of card.filters) {
    const dropped = Object.entries(f.dropped ?? {})
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    L.push(`| ${cell(f.id)}: ${cell(f.description)} | ${f.in} | ${f.out} | ${cell(dropped || "-")} |`);
  }
  if (card.teacher) {
    L.push("", "## Teacher", "", `Model \`${card.teacher.model}\` — ${card.teacher.signature}`, "");
    L.push("```json", JSON.stringify(card.teacher.settings, null, 2), "```");
  }
  if (markdown.length) L.push("", ...markdown);
  if (card.notes?.length) L.push("", "## Notes", "", ...card.notes.map((n) => `- ${n}`));
  for (const [k, v] of Object.entries(card.extra ?? {}))
    L.push("", `## ${k}`, "", "```json", JSON.stringify(v, null, 2), "```");
  L.push("", "## Provenance", "", "```json", JSON.stringify(card.provenance, null, 2), "```");
  L.push("", "## Settings", "", "```json", JSON.stringify(card.settings, null, 2), "```");
  L.push("", `## Examples (first ${card.examples.length})`, "");
  for (const e of card.examples) L.push("```json", JSON.stringify(e, null, 2), "```", "");
  return `${L.join("\n")}\n`;
}
