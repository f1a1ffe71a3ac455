import { existsSync } from "node:fs";
import { join } from "node:path";
import type { LoadedExperiment } from "../config/load.ts";
import { readJson, readJsonlAll } from "../datasets/jsonl.ts";
import { type PairSummaryRow, type PairVerdictRecord, summarisePairVerdicts } from "../evaluation/pairwise-engine.ts";
import type { ArtifactManifest } from "../store/artifacts.ts";
import type { AnswerRecord, ScoreRecord, TrainSummary } from "../store/records.ts";
import type { Store } from "../store/store.ts";
import {
  collectProvenance,
  coverageFlags,
  type MetricScale,
  metricScale,
  type Provenance,
  reportFlags,
} from "./basics.ts";
import { buildHumanSection, type HumanSection } from "./human-section.ts";

/** The stage folders whose manifests the report lists (the artifact graph writes one in each). */
const STAGE_IDS = ["collect", "import", "corpus", "datasets", "train", "generate", "evaluate", "report"] as const;
type StageId = (typeof STAGE_IDS)[number];
type StageManifest = ArtifactManifest;

/** Pairwise judge results (evaluate.pairwise): win/tie/loss per variant pair, from evaluate/pairwise.jsonl. */
export interface PairwiseSection {
  /** The judge's signatures (prompt version, reference use, judge model). */
  signatures: string[];
  /** Whether the golden answer was shown to the judge (evaluate.pairwise.reference). */
  reference: boolean;
  /** One row per ordered [A, B] pair; rates over all comparisons, nulls included. */
  rows: Omit<PairSummaryRow, "nCached">[];
}

/** One cell of the leaderboard: an evaluator's mean over the answers it could score. */
export interface LeaderboardCell {
  mean: number | null;
  nScored: number;
  nError: number;
  nNotApplicable: number;
}

/** Everything the report shows, gathered from the stage outputs (also written as report.json). */
export interface ReportData {
  experiment: string;
  description: string | null;
  generatedAt: string;
  settings: LoadedExperiment["config"];
  stages: { stage: StageId; counts: Record<string, number>; seconds: number; notes: string[] }[];
  variants: {
    name: string;
    model: string;
    adapter: string | null;
    meanLatencySeconds: number;
    meanCompletionTokens: number;
  }[];
  /** Each evaluator with its scale and direction (null for an id the registry does not know). */
  evaluators: { id: string; signature: string; scale: MetricScale | null }[];
  /** leaderboard[variant][evaluator] */
  leaderboard: Record<string, Record<string, LeaderboardCell>>;
  training: TrainSummary[];
  /** Per golden question: the reference and every variant's answer (with its scores). */
  examples: {
    itemId: string;
    question: string;
    reference: string;
    answers: { variant: string; answer: string; scores: Record<string, number | null> }[];
  }[];
  /** Rater agreement and evaluator-trust table; null until someone has rated (`wayfarer human create`, `wayfarer serve`). */
  human: HumanSection | null;
  /** Pairwise judge comparisons; null without an evaluate.pairwise section. */
  pairwise: PairwiseSection | null;
  /** Read-this-first warnings: most answers cut at the token limit, adapters trained on too few examples. */
  flags: string[];
  /** Git commit and library versions that produced the report. */
  provenance: Provenance;
  /** Sum of the stage times recorded in the manifests (seconds): how long this pipeline took to produce. */
  pipelineSeconds: number;
}

/** Reads the outputs of the stages that ran into one {@link ReportData}. */
export async function gatherReportData(exp: LoadedExperiment, store: Store, now = new Date()): Promise<ReportData> {
  const dir = (s: StageId) => join(exp.runDir, s);
  const stages: ReportData["stages"] = [];
  for (const s of STAGE_IDS) {
    const f = join(dir(s), "manifest.json");
    if (!existsSync(f)) continue;
    const m = await readJson<StageManifest>(f);
    stages.push({ stage: s, counts: m.counts, seconds: m.durationSeconds, notes: m.notes });
  }
  const answers = await readJsonlAll<AnswerRecord>(join(dir("generate"), "answers.jsonl"));
  const scores = await readJsonlAll<ScoreRecord>(join(dir("evaluate"), "scores.jsonl"));
  const training: TrainSummary[] = [];
  for (const a of exp.config.train.adapters) {
    const f = join(dir("train"), a.name, "summary.json");
    if (existsSync(f)) training.push(await readJson<TrainSummary>(f));
  }
  const evaluators: ReportData["evaluators"] = [];
  const leaderboard: ReportData["leaderboard"] = {};
  const scoreOf = new Map<string, ScoreRecord>();
  for (const s of scores) {
    scoreOf.set(`${s.variant}\0${s.itemId}\0${s.evaluator}`, s);
    if (!evaluators.some((e) => e.id === s.evaluator))
      evaluators.push({ id: s.evaluator, signature: s.signature, scale: metricScale(s.evaluator) });
    leaderboard[s.variant] ??= {};
    const row = leaderboard[s.variant]!;
    row[s.evaluator] ??= { mean: null, nScored: 0, nError: 0, nNotApplicable: 0 };
    const cell = row[s.evaluator]!;
    if (s.status === "scored" && s.value !== null) {
      cell.mean = ((cell.mean ?? 0) * cell.nScored + s.value) / (cell.nScored + 1);
      cell.nScored++;
    } else if (s.status === "error") cell.nError++;
    else cell.nNotApplicable++;
  }
  const variants = exp.config.generate.variants.map((v) => {
    const mine = answers.filter((a) => a.variant === v.name);
    const mean = (f: (a: AnswerRecord) => number) =>
      mine.length ? mine.reduce((s, a) => s + f(a), 0) / mine.length : 0;
    return {
      name: v.name,
      model: v.model,
      adapter: v.adapter ?? null,
      meanLatencySeconds: mean((a) => a.latencySeconds),
      meanCompletionTokens: mean((a) => a.completionTokens),
    };
  });
  const examples: ReportData["examples"] = [];
  for (const a of answers) {
    let ex = examples.find((e) => e.itemId === a.itemId);
    if (!ex) {
      ex = { itemId: a.itemId, question: a.question, reference: a.reference, answers: [] };
      examples.push(ex);
    }
    const s: Record<string, number | null> = {};
    for (const e of evaluators) s[e.id] = scoreOf.get(`${a.variant}\0${a.itemId}\0${e.id}`)?.value ?? null;
    ex.answers.push({ variant: a.variant, answer: a.answer, scores: s });
  }
  let pairwise: PairwiseSection | null = null;
  const pairFile = join(dir("evaluate"), "pairwise.jsonl");
  if (exp.config.evaluate.pairwise && existsSync(pairFile)) {
    const records = (await readJsonlAll<Omit<PairVerdictRecord, "cached">>(pairFile)).map((r) => ({
      ...r,
      cached: false,
    }));
    const rows = summarisePairVerdicts(records).map(({ nCached: _n, ...r }) => r);
    pairwise = {
      signatures: [...new Set(rows.flatMap((r) => r.signatures))],
      reference: exp.config.evaluate.pairwise.reference,
      rows,
    };
  }
  return {
    experiment: exp.config.name,
    description: exp.config.description ?? null,
    generatedAt: now.toISOString(),
    settings: exp.config,
    stages,
    variants,
    evaluators,
    leaderboard,
    training,
    examples,
    human: buildHumanSection(store, exp.config.name, scores, exp.config.seed),
    pairwise,
    flags: [
      ...reportFlags(answers, training, exp.config.generate.maxTokens),
      ...coverageFlags(leaderboard, pairwise?.rows ?? null),
    ],
    provenance: collectProvenance(),
    pipelineSeconds: stages.reduce((sum, s) => sum + s.seconds, 0),
  };
}
