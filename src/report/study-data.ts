/**
 * The study part of the report, read from the artifacts on disk (never from the runner's code):
 * `meta/meta.json` (means with intervals, paired tests, evaluator agreement), `select/<name>/selection.json`,
 * every artifact's `manifest.json` (time, cost, settings), `evaluate/scores.jsonl` with reasons and
 * `generate/answers.jsonl` for the example browser, then the findings generated from those numbers.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { LoadedExperiment } from "../config/load.ts";
import { readJsonlAll } from "../datasets/jsonl.ts";
import type { MetaStats } from "../evaluation/stats/meta-stats.ts";
import type { ArtifactManifest } from "../store/artifacts.ts";
import type { AnswerRecord, ScoreRecord } from "../store/records.ts";
import type { Chart } from "./charts.ts";
import { type Finding, generateFindings, type HumanTrustRow, type SelectionSummary } from "./findings.ts";
import type { ReportData } from "./report-data.ts";

/** One artifact's last run, for the time-and-cost table. */
export interface ArtifactRow {
  id: string;
  kind: string;
  dir: string;
  startedAt: string;
  seconds: number;
  counts: Record<string, number>;
  cost: ArtifactManifest["cost"];
  /** The settings its key was computed from (shown next to its numbers). */
  settings: unknown;
  notes: string[];
}

/** One question of the example browser. */
export interface ExampleRow {
  itemId: string;
  question: string;
  reference: string;
  answers: {
    variant: string;
    answer: string;
    scores: Record<string, { value: number | null; status: string; reason: string | null }>;
  }[];
  /** The evaluators do not agree on which variant answered best (per-evaluator argmax differs). */
  disagreement: boolean;
  /** Per evaluator, the variant(s) it scored highest on this question. */
  best: Record<string, string[]>;
}

/** The study sections' data (also in report.json under `study`). */
export interface StudyData {
  stats: MetaStats | null;
  selections: SelectionSummary[];
  artifacts: ArtifactRow[];
  examples: ExampleRow[];
  findings: Finding[];
  /** Per variant: model, adapter and the adapter's training settings (shown next to its numbers). */
  variantSettings: Record<string, { model: string; adapter: string | null; adapterSettings: unknown }>;
  /** Per evaluator: the signature(s) that produced its scores. */
  evaluatorSignatures: Record<string, string[]>;
  charts: Record<string, Omit<Chart, "svg">>;
}

function walkManifests(dir: string, root: string, out: ArtifactManifest[]): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith(".")) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) walkManifests(p, root, out);
    else if (e.name === "manifest.json" && relative(root, dir) !== "report") {
      try {
        const m = JSON.parse(readFileSync(p, "utf8")) as ArtifactManifest & { dir?: string };
        if (typeof m.stage === "string" && typeof m.durationSeconds === "number")
          out.push({ ...m, dir: relative(root, dir) } as ArtifactManifest);
      } catch {
        // an unfinished write of another run: not listed
      }
    }
  }
}

/** Questions where the evaluators' best variants differ. */
export function examplesWithDisagreement(
  answers: readonly AnswerRecord[],
  scores: readonly ScoreRecord[],
): ExampleRow[] {
  const byKey = new Map(scores.map((s) => [`${s.variant}\0${s.itemId}\0${s.evaluator}`, s]));
  const evaluators = [...new Set(scores.map((s) => s.evaluator))];
  const rows: ExampleRow[] = [];
  for (const a of answers) {
    let row = rows.find((r) => r.itemId === a.itemId);
    if (!row) {
      row = {
        itemId: a.itemId,
        question: a.question,
        reference: a.reference,
        answers: [],
        disagreement: false,
        best: {},
      };
      rows.push(row);
    }
    const sc: ExampleRow["answers"][number]["scores"] = {};
    for (const e of evaluators) {
      const s = byKey.get(`${a.variant}\0${a.itemId}\0${e}`);
      if (s) sc[e] = { value: s.status === "scored" ? s.value : null, status: s.status, reason: s.reason };
    }
    row.answers.push({ variant: a.variant, answer: a.answer, scores: sc });
  }
  for (const row of rows) {
    const winners: string[] = [];
    for (const e of evaluators) {
      const vals = row.answers
        .map((x) => ({ v: x.variant, s: x.scores[e]?.value ?? null }))
        .filter((x) => x.s !== null);
      if (vals.length < 2) continue;
      const max = Math.max(...vals.map((x) => x.s!));
      const best = vals.filter((x) => x.s === max).map((x) => x.v);
      row.best[e] = best;
      if (best.length < vals.length) winners.push(best.join("+"));
    }
    row.disagreement = new Set(winners).size > 1;
  }
  return rows;
}

/** Reads the study data from the run folder; `human` is the report's human section (null without ratings). */
export async function gatherStudyData(exp: LoadedExperiment, data: ReportData): Promise<StudyData> {
  const runDir = exp.runDir;
  const metaFile = join(runDir, "meta", "meta.json");
  const stats = existsSync(metaFile) ? (JSON.parse(readFileSync(metaFile, "utf8")) as MetaStats) : null;
  const selections: SelectionSummary[] = [];
  for (const name of Object.keys(exp.config.selections ?? {})) {
    const f = join(runDir, "select", name, "selection.json");
    if (existsSync(f)) {
      const s = JSON.parse(readFileSync(f, "utf8")) as SelectionSummary & { selection: string };
      selections.push(s);
    }
  }
  const manifests: ArtifactManifest[] = [];
  walkManifests(runDir, runDir, manifests);
  const artifacts: ArtifactRow[] = manifests
    .filter((m) => (m as { kind?: string }).kind !== undefined)
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt))
    .map((m) => ({
      id: m.stage,
      kind: m.kind,
      dir: (m as unknown as { dir: string }).dir,
      startedAt: m.startedAt,
      seconds: m.durationSeconds,
      counts: m.counts,
      cost: m.cost ?? null,
      settings: m.settings ?? null,
      notes: m.notes ?? [],
    }));
  const answers = existsSync(join(runDir, "generate", "answers.jsonl"))
    ? await readJsonlAll<AnswerRecord>(join(runDir, "generate", "answers.jsonl"))
    : [];
  const scores = existsSync(join(runDir, "evaluate", "scores.jsonl"))
    ? await readJsonlAll<ScoreRecord>(join(runDir, "evaluate", "scores.jsonl"))
    : [];
  const humanRows: HumanTrustRow[] = (data.human?.trust?.rows ?? []).map((r) => {
    const cell = r.cells[data.human!.trust!.headline];
    return {
      evaluator: r.evaluator,
      criterion: r.criterion,
      verdict: r.verdict,
      value: cell?.value ?? null,
      low: cell?.low ?? null,
      high: cell?.high ?? null,
      n: cell?.n ?? 0,
    };
  });
  const findings = generateFindings(
    stats,
    data.human ? { ratings: data.human.ratings, rows: humanRows } : null,
    selections,
  );
  const c = exp.config;
  const variantSettings: StudyData["variantSettings"] = {};
  for (const v of c.generate.variants) {
    const adapter = v.adapter ? c.train.adapters.find((a) => a.name === v.adapter) : undefined;
    variantSettings[v.name] = { model: v.model, adapter: v.adapter ?? null, adapterSettings: adapter ?? null };
  }
  const evaluatorSignatures: Record<string, string[]> = {};
  for (const s of scores) {
    const list = evaluatorSignatures[s.evaluator] ?? [];
    if (!list.includes(s.signature)) list.push(s.signature);
    evaluatorSignatures[s.evaluator] = list;
  }
  return {
    stats,
    selections,
    artifacts,
    examples: examplesWithDisagreement(answers, scores),
    findings,
    variantSettings,
    evaluatorSignatures,
    charts: {},
  };
}
