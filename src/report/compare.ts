/**
 * `wayfarer compare <runA> <runB>`: what differs between two finished runs, read from their
 * report.json files — the settings that differ (flattened paths), and the results (variant x
 * evaluator means) that moved beyond their 95% intervals (the two intervals do not overlap), with
 * the ones that changed within them counted, not listed as changes.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { InputError } from "../errors/input-error.ts";
import type { MetaStats } from "../evaluation/stats/meta-stats.ts";

/** One differing setting. */
export interface SettingDiff {
  path: string;
  a: unknown;
  b: unknown;
}

/** One result present in both runs. */
export interface ResultMove {
  variant: string;
  evaluator: string;
  a: { value: number | null; low: number | null; high: number | null; n: number };
  b: { value: number | null; low: number | null; high: number | null; n: number };
  /** "same" when the mean is unchanged; "up"/"down" when the intervals do not overlap; "within" otherwise; "unknown" without intervals. */
  move: "same" | "up" | "down" | "within" | "unknown";
}

/** The comparison of two runs. */
export interface RunComparison {
  a: string;
  b: string;
  settings: SettingDiff[];
  results: ResultMove[];
  /** Variant x evaluator cells only one run has. */
  onlyInA: string[];
  onlyInB: string[];
}

/** Flattens JSON to `path -> leaf` (arrays by index). */
function flatten(v: unknown, prefix: string, out: Map<string, unknown>): void {
  if (v && typeof v === "object") {
    const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v);
    if (entries.length === 0) out.set(prefix, v);
    for (const [k, x] of entries) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, v);
}

/** The report.json of a run folder (`<workspace>/<name>`), or of a report folder, or the file itself. */
export function reportFileOf(pathOrDir: string, cwd = process.cwd()): string {
  const p = resolve(cwd, pathOrDir);
  const candidates = [p, join(p, "report.json"), join(p, "report", "report.json")];
  const f = candidates.find((c) => existsSync(c) && statSync(c).isFile());
  if (!f)
    throw new InputError(
      { file: p },
      "no report.json here (give a run folder like runs/<experiment>, after `wayfarer run`)",
    );
  return f;
}

interface ReportJson {
  settings: Record<string, unknown>;
  study?: { stats: MetaStats | null };
}

/** Compares two report.json files (pure apart from reading them). */
export function compareRuns(fileA: string, fileB: string): RunComparison {
  const read = (f: string): ReportJson => {
    try {
      return JSON.parse(readFileSync(f, "utf8")) as ReportJson;
    } catch (cause) {
      throw new InputError({ file: f }, "not a readable report.json", { cause });
    }
  };
  const A = read(fileA);
  const B = read(fileB);
  const fa = new Map<string, unknown>();
  const fb = new Map<string, unknown>();
  // the workspace folder differs by construction between two runs; it is not a setting of the study
  const { workspace: _wa, ...sa } = A.settings ?? {};
  const { workspace: _wb, ...sb } = B.settings ?? {};
  flatten(sa, "", fa);
  flatten(sb, "", fb);
  const settings: SettingDiff[] = [];
  for (const k of [...new Set([...fa.keys(), ...fb.keys()])].sort())
    if (JSON.stringify(fa.get(k)) !== JSON.stringify(fb.get(k)))
      settings.push({ path: k, a: fa.get(k) ?? null, b: fb.get(k) ?? null });
  const results: ResultMove[] = [];
  const onlyInA: string[] = [];
  const onlyInB: string[] = [];
  const cells = (s: MetaStats | null | undefined) => {
    const m = new Map<string, { value: number | null; low: number | null; high: number | null; n: number }>();
    for (const [v, row] of Object.entries(s?.cells ?? {}))
      for (const [e, c] of Object.entries(row))
        m.set(`${v}\0${e}`, { value: c.value, low: c.low, high: c.high, n: c.n });
    return m;
  };
  const ca = cells(A.study?.stats);
  const cb = cells(B.study?.stats);
  for (const [k, a] of ca) {
    const [variant, evaluator] = k.split("\0") as [string, string];
    const b = cb.get(k);
    if (!b) {
      onlyInA.push(`${variant} / ${evaluator}`);
      continue;
    }
    let move: ResultMove["move"] = "unknown";
    if (a.value === b.value) move = "same";
    else if (a.low !== null && a.high !== null && b.low !== null && b.high !== null)
      move = b.low > a.high ? "up" : b.high < a.low ? "down" : "within";
    results.push({ variant, evaluator, a, b, move });
  }
  for (const k of cb.keys()) if (!ca.has(k)) onlyInB.push(k.replace("\0", " / "));
  return { a: fileA, b: fileB, settings, results, onlyInA, onlyInB };
}

/** The comparison as text lines for the terminal. */
export function renderComparison(c: RunComparison): string {
  const f = (x: number | null) => (x === null ? "n/a" : x.toFixed(3));
  const iv = (x: ResultMove["a"]) => `${f(x.value)} [${f(x.low)}, ${f(x.high)}] n=${x.n}`;
  const lines = [`A: ${c.a}`, `B: ${c.b}`, "", `settings that differ (${c.settings.length}):`];
  for (const s of c.settings) lines.push(`  ${s.path}: ${JSON.stringify(s.a)} -> ${JSON.stringify(s.b)}`);
  const moved = c.results.filter((r) => r.move === "up" || r.move === "down");
  lines.push("", `results that moved beyond their 95% intervals (${moved.length} of ${c.results.length}):`);
  for (const r of moved) lines.push(`  ${r.variant} / ${r.evaluator}: ${iv(r.a)} -> ${iv(r.b)} (${r.move})`);
  const within = c.results.filter((r) => r.move === "within").length;
  const unknown = c.results.filter((r) => r.move === "unknown").length;
  const same = c.results.filter((r) => r.move === "same").length;
  lines.push(
    `  ${within} changed within their intervals, ${same} unchanged${unknown ? `, ${unknown} changed without intervals (n < 2)` : ""}`,
  );
  if (c.onlyInA.length) lines.push(`only in A: ${c.onlyInA.join(", ")}`);
  if (c.onlyInB.length) lines.push(`only in B: ${c.onlyInB.join(", ")}`);
  return `${lines.join("\n")}\n`;
}
