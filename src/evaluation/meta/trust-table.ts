/**
 * The "which evaluator to trust" table: one row per (evaluator, criterion), one column per level,
 * each cell a correlation with its bootstrap CI and n. The report stage renders it (Markdown here;
 * HTML can use the same rows). Rows are sorted by the headline cell (default: Kendall tau-b at
 * system level, falling back to item level), best first.
 */
import type { Estimate } from "./bootstrap.ts";
import type { CorrelationMethod } from "./correlation.ts";
import type { MetaEvaluation, MetaLevel } from "./meta-evaluate.ts";
import { META_LEVELS } from "./meta-evaluate.ts";

/** One cell of the trust table. */
export interface TrustCell extends Estimate {
  n: number;
  sufficient: boolean;
}

/** One row: an evaluator against one human criterion. */
export interface TrustRow {
  evaluator: string;
  criterion: string;
  cells: Partial<Record<MetaLevel, TrustCell>>;
  agreeWithTies: number | null;
  agreeWithoutTies: number | null;
  /** Plain verdict: "strong", "moderate", "weak", "none" or "insufficient data". */
  verdict: string;
}

/** Options of {@link buildTrustTable}. */
export interface TrustTableOptions {
  /** Coefficient shown in the cells. Default "kendall" (tau-b, robust to ties). */
  method?: CorrelationMethod;
  /** Level that decides the order and the verdict. Default: "system" if computed and sufficient, else "item". */
  headline?: MetaLevel;
}

/** The table plus the notes to print under it. */
export interface TrustTable {
  method: CorrelationMethod;
  levels: MetaLevel[];
  headline: MetaLevel;
  confidence: number;
  rows: TrustRow[];
  notes: string[];
}

/**
 * Verdict from a CI: "none" when the interval includes 0; otherwise by the lower bound:
 * ≥ 0.5 strong, ≥ 0.3 moderate, else weak. Without an interval, "insufficient data".
 */
function verdictOf(cell: TrustCell | undefined): string {
  if (!cell?.sufficient || cell.value === null || cell.low === null || cell.high === null) return "insufficient data";
  if (cell.low <= 0 && cell.high >= 0) return "none (CI includes 0)";
  const bound = cell.value > 0 ? cell.low : -cell.high;
  const sign = cell.value > 0 ? "" : " (negative)";
  return `${bound >= 0.5 ? "strong" : bound >= 0.3 ? "moderate" : "weak"}${sign}`;
}

/** Builds the trust table from a meta-evaluation. */
export function buildTrustTable(meta: MetaEvaluation, options: TrustTableOptions = {}): TrustTable {
  const method = options.method ?? "kendall";
  const levels = META_LEVELS.filter((l) => meta.results.some((r) => r.levels[l]));
  const systemOk = meta.results.some((r) => r.levels.system?.sufficient);
  const headline = options.headline ?? (systemOk ? "system" : levels.includes("item") ? "item" : (levels[0] ?? "item"));
  const rows: TrustRow[] = meta.results.map((r) => {
    const cells: Partial<Record<MetaLevel, TrustCell>> = {};
    for (const l of levels) {
      const lr = r.levels[l];
      if (lr) cells[l] = { ...lr.correlations[method], n: lr.n, sufficient: lr.sufficient };
    }
    return {
      evaluator: r.evaluator,
      criterion: r.criterion,
      cells,
      agreeWithTies: r.pairwise.agreeWithTies,
      agreeWithoutTies: r.pairwise.agreeWithoutTies,
      verdict: verdictOf(cells[headline]),
    };
  });
  rows.sort(
    (a, b) =>
      (b.cells[headline]?.value ?? -2) - (a.cells[headline]?.value ?? -2) || a.evaluator.localeCompare(b.evaluator),
  );
  const notes = [...meta.notes];
  for (const r of meta.results)
    for (const l of levels) {
      const note = r.levels[l]?.note;
      if (note) notes.push(`${r.evaluator} vs ${r.criterion}, ${l} level: ${note}`);
    }
  if (rows.length > 0 && rows.every((r) => r.verdict === "insufficient data"))
    notes.unshift("Too few human ratings to conclude which evaluator to trust; collect more ratings.");
  return { method, levels, headline, confidence: meta.confidence, rows, notes };
}

const METHOD_LABEL: Record<CorrelationMethod, string> = {
  pearson: "Pearson r",
  spearman: "Spearman ρ",
  kendall: "Kendall τ-b",
};

/** Formats a cell as `0.52 [0.31, 0.70] n=120`, with a `*` when n is below the threshold. */
export function formatCell(cell: TrustCell | undefined): string {
  if (!cell) return "—";
  const f = (v: number | null) => (v === null ? "n/a" : v.toFixed(2));
  const ci = cell.low === null ? "" : ` [${f(cell.low)}, ${f(cell.high)}]`;
  return `${f(cell.value)}${ci} n=${cell.n}${cell.sufficient ? "" : "*"}`;
}

function mdEscape(s: string): string {
  return s.replace(/[|\\`*_<>[\]]/g, (c) => `\\${c}`);
}

/** Renders the table as GitHub-flavoured Markdown with its notes. */
export function renderTrustTableMarkdown(table: TrustTable): string {
  const pct = (v: number | null) => (v === null ? "n/a" : `${(v * 100).toFixed(0)}%`);
  const head = [
    "evaluator",
    "criterion",
    ...table.levels.map((l) => `${l} ${METHOD_LABEL[table.method]}`),
    "pairwise agree (ties / no ties)",
    "verdict",
  ];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`];
  for (const r of table.rows) {
    lines.push(
      `| ${[mdEscape(r.evaluator), mdEscape(r.criterion), ...table.levels.map((l) => formatCell(r.cells[l])), `${pct(r.agreeWithTies)} / ${pct(r.agreeWithoutTies)}`, r.verdict].join(" | ")} |`,
    );
  }
  let out = `${lines.join("\n")}\n\nCells: ${METHOD_LABEL[table.method]} [${Math.round(table.confidence * 100)}% bootstrap CI] n; * = too few to conclude. Verdict from the ${table.headline}-level CI.\n`;
  if (table.notes.length) out += `\n${table.notes.map((n) => `- ${mdEscape(n)}`).join("\n")}\n`;
  return out;
}
