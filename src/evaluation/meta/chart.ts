/**
 * A small dependency-free SVG chart for the trust table: one row per evaluator, a dot at the
 * correlation and a whisker for its CI, on a fixed −1..1 axis with a line at 0. Text is
 * XML-escaped, so evaluator names from data files cannot inject markup.
 */
import type { MetaLevel } from "./meta-evaluate.ts";
import type { TrustTable } from "./trust-table.ts";

/** Escapes text for XML/HTML content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** Options of {@link trustChartSvg}. */
export interface TrustChartOptions {
  /** Level to plot. Default: the table's headline level. */
  level?: MetaLevel;
  /** Width in px. Default 640. */
  width?: number;
  /** Row height in px. Default 26. */
  rowHeight?: number;
}

/** Renders the chart as a standalone `<svg>` string (embed inline in HTML or save as .svg). */
export function trustChartSvg(table: TrustTable, options: TrustChartOptions = {}): string {
  const level = options.level ?? table.headline;
  const width = options.width ?? 640;
  const rowH = options.rowHeight ?? 26;
  const left = 220;
  const right = 20;
  const top = 30;
  const plotW = width - left - right;
  const height = top + rowH * table.rows.length + 30;
  const x = (v: number) => left + ((Math.max(-1, Math.min(1, v)) + 1) / 2) * plotW;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12" role="img" aria-label="${escapeXml(`${table.method} correlation with humans, ${level} level`)}">`,
  );
  parts.push(
    `<text x="${left}" y="16" font-weight="bold">${escapeXml(`${table.method} vs human, ${level} level (${Math.round(table.confidence * 100)}% CI)`)}</text>`,
  );
  for (const t of [-1, -0.5, 0, 0.5, 1]) {
    parts.push(
      `<line x1="${x(t)}" y1="${top - 4}" x2="${x(t)}" y2="${height - 24}" stroke="${t === 0 ? "#444" : "#ddd"}"/>`,
    );
    parts.push(`<text x="${x(t)}" y="${height - 8}" text-anchor="middle">${t}</text>`);
  }
  table.rows.forEach((r, i) => {
    const y = top + rowH * i + rowH / 2;
    const cell = r.cells[level];
    parts.push(
      `<text x="${left - 8}" y="${y + 4}" text-anchor="end">${escapeXml(`${r.evaluator} · ${r.criterion}`)}</text>`,
    );
    if (!cell || cell.value === null) {
      parts.push(`<text x="${x(0) + 6}" y="${y + 4}" fill="#999">n/a</text>`);
      return;
    }
    const color = cell.sufficient ? "#1f6feb" : "#999";
    if (cell.low !== null && cell.high !== null)
      parts.push(
        `<line x1="${x(cell.low)}" y1="${y}" x2="${x(cell.high)}" y2="${y}" stroke="${color}" stroke-width="2"/>`,
      );
    parts.push(
      `<circle cx="${x(cell.value)}" cy="${y}" r="4" fill="${color}"><title>${escapeXml(`${r.evaluator}: ${cell.value.toFixed(3)} (n=${cell.n})`)}</title></circle>`,
    );
  });
  parts.push("</svg>");
  return parts.join("");
}
