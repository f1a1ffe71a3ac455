/**
 * The experiment file as a graph of artifacts. Today's stages map to:
 *
 * | artifact | kind | reads | folder |
 * |---|---|---|---|
 * | `collect`, `import`, `corpus` | stage | the one before | `<stage>/` |
 * | `retrieval-index`, `dataset:<recipe>`, `datasets` | retrieval-index, dataset, datasets | see dataset-artifacts.ts | `retrieval/`, `datasets/<recipe>/`, `datasets/` |
 * | `adapter:<name>` | adapter | `dataset:<its dataset>` (none for a user .jsonl, hashed), its `from` (an adapter or a selection) | `train/<name>/` |
 * | `answers:<variant>` | answers | `dataset:golden`, its adapter, `retrieval-index` (RAG) | `generate/variants/<variant>/` |
 * | `generate` | answers-all | every `answers:*` | `generate/` (answers.jsonl, as the report reads it) |
 * | `scores:<variant>` | scores | its answers | `evaluate/variants/<variant>/` |
 * | `pairwise` | pairwise | generate | `evaluate/pairwise/` |
 * | `evaluate` | scores-all | every `scores:*`, pairwise | `evaluate/` (scores.jsonl, as the report reads it) |
 * | `select:<name>` | selection | the scores and adapters of its candidates | `select/<name>/` |
 * | `meta` | meta | evaluate | `meta/` |
 * | `report` | report (registered by src/report/) | everything above | `report/` |
 *
 * Registered kinds ({@link registerArtifactKind}) add their artifacts after these.
 */

import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { copyFile, readFile, rename } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import type { Experiment } from "../../config/experiment.ts";
import type { LoadedExperiment } from "../../config/load.ts";
import { adapterFrom } from "../../config/study.ts";
import { DEFAULT_DATASET, type TrainMethod } from "../../config/training.ts";
import { readJsonlAll, writeJson, writeJsonl } from "../../datasets/jsonl.ts";
import { ConfigError } from "../../errors/config-error.ts";
import type { Stage, StageContext, StageId } from "../stage.ts";
import { collectStage } from "../stages/collect-stage.ts";
import { corpusStage } from "../stages/corpus-stage.ts";
import { evaluateStage, runPairwise, type ScoreRecord } from "../stages/evaluate-stage.ts";
import { type AnswerRecord, generateStage } from "../stages/generate-stage.ts";
import { importStage } from "../stages/import-stage.ts";
import { trainStage } from "../stages/train-stage.ts";
import { type Artifact, type ArtifactContext, type ArtifactResult, registeredFactories } from "./artifact.ts";
import { datasetArtifacts } from "./dataset-artifacts.ts";
import { ArtifactGraph } from "./graph.ts";
import { metaArtifact } from "./meta-artifact.ts";
import { readChoice, selectionArtifact } from "./selection.ts";

/** A copy of the experiment with some top-level settings replaced (one adapter, one variant). */
function withConfig(exp: LoadedExperiment, patch: Partial<Experiment>): LoadedExperiment {
  return { ...exp, config: { ...exp.config, ...patch } };
}

interface FromStage {
  id: string;
  kind: string;
  /** The artifact's folder, relative to the run folder. */
  dir: string;
  inputs: string[];
  /** The experiment as this artifact sees it (one adapter, one variant...). */
  exp: LoadedExperiment;
  /** Where the stage writes (relative to the run folder); default `dir`. */
  stageDir?: string;
  /** Where the stage finds the folders of the stages it reads, when not `<stage>/`. */
  dirs?: Partial<Record<StageId, string>>;
  /** Extra settings hashed with the stage's own (e.g. the starting point). */
  extra?: unknown;
  /** The outputs of inputs it reads (see Artifact.reads). */
  reads?: Record<string, readonly string[]>;
  after?: (ctx: ArtifactContext, r: ArtifactResult) => Promise<ArtifactResult>;
  /** Settles run-time choices (a selection's pick) in the stage's experiment just before it runs. */
  prepare?: (ctx: ArtifactContext, exp: LoadedExperiment) => Promise<LoadedExperiment>;
}

/** Wraps one of today's stages as an artifact that runs it on a slice of the experiment. */
export function stageArtifact(stage: Stage, o: FromStage): Artifact {
  const settings = stage.settings(o.exp);
  return {
    id: o.id,
    kind: o.kind,
    inputs: o.inputs,
    ...(o.reads ? { reads: o.reads } : {}),
    dir: o.dir,
    version: stage.version,
    settings: o.extra === undefined ? settings : { stage: settings, extra: o.extra },
    async run(ctx) {
      const runDir = ctx.exp.runDir;
      const own = join(runDir, o.stageDir ?? o.dir);
      const exp = o.prepare ? await o.prepare(ctx, o.exp) : o.exp;
      const sctx: StageContext = {
        exp,
        store: ctx.store,
        progress: ctx.progress,
        dir: (s) => (s === stage.id ? own : join(runDir, o.dirs?.[s] ?? s)),
        runtime: ctx.runtime,
        env: ctx.env,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        ...(ctx.retriever ? { retriever: ctx.retriever as NonNullable<StageContext["retriever"]> } : {}),
      };
      const r = await stage.run(sctx);
      const result: ArtifactResult = {
        counts: r.counts,
        outputs: r.outputs.map((f) => relative(ctx.dir, join(own, f))),
        notes: r.notes ?? [],
      };
      return o.after ? o.after(ctx, result) : result;
    },
  };
}

/** Sum of prompt and completion tokens of an answers file (the cost of generating it). */
async function answerCost(file: string): Promise<ArtifactResult["cost"]> {
  const rows = await readJsonlAll<AnswerRecord>(file);
  return {
    promptTokens: rows.reduce((s, r) => s + r.promptTokens, 0),
    completionTokens: rows.reduce((s, r) => s + r.completionTokens, 0),
  };
}

/** Tokens and dollars of an evaluate summary.json (rows of the evaluation engine). */
async function scoreCost(file: string): Promise<ArtifactResult["cost"]> {
  if (!existsSync(file)) return {};
  const s = JSON.parse(await readFile(file, "utf8")) as {
    rows: { promptTokens: number; completionTokens: number; usd: number | null }[];
  };
  const usd = s.rows.some((r) => r.usd !== null) ? s.rows.reduce((a, r) => a + (r.usd ?? 0), 0) : null;
  return {
    promptTokens: s.rows.reduce((a, r) => a + r.promptTokens, 0),
    completionTokens: s.rows.reduce((a, r) => a + r.completionTokens, 0),
    usd,
  };
}

/** The data files of a training set an adapter reads (`jobData`, src/training/jobs.ts). */
const TRAINING_FILES = ["train.jsonl", "validation.jsonl"];

/**
 * What an adapter artifact reads of its training data: the artifact of its dataset recipe (`dataset:sft`,
 * `dataset:raft`, `dataset:preferences`; the method's default when `dataset` is not set), its data files only
 * (a card-only change does not retrain), or, for a `.jsonl` file of the user's, no dataset artifact and the
 * file's contents (and its `.validation.jsonl` sibling) as settings, so an edited file retrains the adapter.
 */
function datasetInput(
  a: { method: TrainMethod; dataset?: string | undefined },
  experimentFile: string,
): { inputs: string[]; reads?: Record<string, string[]>; extra?: unknown } {
  const ds = a.dataset ?? DEFAULT_DATASET[a.method];
  if (!ds.endsWith(".jsonl")) return { inputs: [`dataset:${ds}`], reads: { [`dataset:${ds}`]: TRAINING_FILES } };
  const file = resolve(dirname(experimentFile), ds);
  const digest = (f: string) => (existsSync(f) ? createHash("sha256").update(readFileSync(f)).digest("hex") : null);
  return {
    inputs: [],
    extra: { datasetFile: digest(file), validationFile: digest(file.replace(/\.jsonl$/, ".validation.jsonl")) },
  };
}

/** The built-in artifacts of an experiment (without registered kinds); see the table above. */
export function builtinArtifacts(exp: LoadedExperiment): Artifact[] {
  const c = exp.config;
  const out: Artifact[] = [];
  out.push(stageArtifact(collectStage, { id: "collect", kind: "stage", dir: "collect", inputs: [], exp }));
  out.push(stageArtifact(importStage, { id: "import", kind: "stage", dir: "import", inputs: ["collect"], exp }));
  out.push(stageArtifact(corpusStage, { id: "corpus", kind: "stage", dir: "corpus", inputs: ["import"], exp }));
  out.push(...datasetArtifacts(exp));

  const selections = c.selections ?? {};
  const adapterNames = new Set(c.train.adapters.map((a) => a.name));
  for (const a of c.train.adapters) {
    const from = adapterFrom(a as unknown as Record<string, unknown>);
    const start =
      from === undefined
        ? []
        : adapterNames.has(from)
          ? [`adapter:${from}`]
          : selections[from]
            ? [`select:${from}`]
            : [];
    const data = datasetInput(a, exp.file);
    out.push(
      stageArtifact(trainStage, {
        id: `adapter:${a.name}`,
        kind: "adapter",
        dir: `train/${a.name}`,
        stageDir: "train",
        // rlhf scores its samples with a trained reward model: that adapter runs first
        inputs: [
          ...data.inputs,
          ...start,
          ...("rewardModel" in a && typeof a.rewardModel === "string" ? [`adapter:${a.rewardModel}`] : []),
        ],
        // only its own training set: another recipe's change (RAFT's P) does not retrain it
        ...(data.reads ? { reads: data.reads } : {}),
        ...(data.extra !== undefined ? { extra: data.extra } : {}),
        exp: withConfig(exp, { train: { adapters: [a] } }),
        ...(from !== undefined && !adapterNames.has(from) && selections[from]
          ? {
              // `from: <selection>`: train from the adapter of the variant the selection picked
              prepare: async (ctx: ArtifactContext, e: LoadedExperiment) => {
                const choice = readChoice(ctx.inputDir(`select:${from}`));
                if (!choice?.adapter)
                  throw new ConfigError(
                    `adapter "${a.name}" starts from selection "${from}", which ${choice ? `picked "${choice.variant}", a variant without an adapter` : "has not run"}`,
                  );
                return withConfig(e, { train: { adapters: [{ ...a, from: choice.adapter } as typeof a] } });
              },
            }
          : {}),
      }),
    );
  }
  const variantDir = (v: string) => `generate/variants/${v}`;
  for (const v of c.generate.variants) {
    out.push(
      stageArtifact(generateStage, {
        id: `answers:${v.name}`,
        kind: "answers",
        dir: variantDir(v.name),
        inputs: [
          "dataset:golden",
          ...(v.adapter ? [`adapter:${v.adapter}`] : []),
          ...(v.retrieval ? ["retrieval-index"] : []),
        ],
        // the golden questions only: a changed training set reaches it through the adapter
        reads: { "dataset:golden": ["golden.jsonl"] },
        exp: withConfig(exp, { generate: { ...c.generate, variants: [v] } }),
        dirs: { datasets: "datasets/golden" },
        after: async (ctx, r) => ({ ...r, cost: await answerCost(join(ctx.dir, "answers.jsonl")) }),
      }),
    );
  }
  out.push({
    id: "generate",
    kind: "answers-all",
    inputs: c.generate.variants.map((v) => `answers:${v.name}`),
    dir: "generate",
    version: 1,
    settings: { variants: c.generate.variants.map((v) => v.name) },
    async run(ctx) {
      const rows: AnswerRecord[] = [];
      for (const v of c.generate.variants)
        rows.push(...(await readJsonlAll<AnswerRecord>(join(ctx.inputDir(`answers:${v.name}`), "answers.jsonl"))));
      await writeJsonl(join(ctx.dir, "answers.jsonl"), rows);
      return { counts: { answers: rows.length, variants: c.generate.variants.length }, outputs: ["answers.jsonl"] };
    },
  });
  const scoresExp = (variants: Experiment["generate"]["variants"]) => {
    const { pairwise: _p, ...evaluate } = c.evaluate;
    return withConfig(exp, { generate: { ...c.generate, variants }, evaluate });
  };
  for (const v of c.generate.variants) {
    out.push(
      stageArtifact(evaluateStage, {
        id: `scores:${v.name}`,
        kind: "scores",
        dir: `evaluate/variants/${v.name}`,
        inputs: [`answers:${v.name}`],
        exp: scoresExp([v]),
        dirs: { generate: variantDir(v.name) },
        after: async (ctx, r) => ({ ...r, cost: await scoreCost(join(ctx.dir, "summary.json")) }),
      }),
    );
  }
  const hasPairwise = c.evaluate.pairwise !== undefined;
  if (hasPairwise) {
    const settings = evaluateStage.settings(exp) as Record<string, unknown>;
    out.push({
      id: "pairwise",
      kind: "pairwise",
      inputs: ["generate"],
      dir: "evaluate/pairwise",
      version: 1,
      settings: {
        pairwise: c.evaluate.pairwise,
        judge: settings.pairwiseJudge ?? null,
        concurrency: c.evaluate.concurrency,
      },
      async run(ctx) {
        const answers = await readJsonlAll<AnswerRecord>(join(ctx.inputDir("generate"), "answers.jsonl"));
        const sctx: StageContext = {
          exp,
          store: ctx.store,
          progress: ctx.progress,
          dir: (s) => (s === "evaluate" ? ctx.dir : join(exp.runDir, s)),
          runtime: ctx.runtime,
          env: ctx.env,
          ...(ctx.signal ? { signal: ctx.signal } : {}),
        };
        const pw = await runPairwise(sctx, c, answers);
        const notes: string[] = [];
        for (const r of pw.result.rows) {
          const nulls = r.nUnparseable + r.nError;
          if (nulls > 0)
            notes.push(
              `pairwise ${r.variantA} vs ${r.variantB}: ${nulls} of ${r.n} comparisons without a verdict (${r.nUnparseable} unparseable, ${r.nError} errors; counted in the rates)`,
            );
        }
        if (pw.missing > 0)
          notes.push(`pairwise: ${pw.missing} item(s) answered by only one variant of a pair were not compared`);
        return {
          counts: { comparisons: pw.result.records.length, computed: pw.result.computed, cached: pw.result.cached },
          outputs: ["pairwise.jsonl"],
          notes,
        };
      },
    });
  }
  const evaluateInputs = [...c.generate.variants.map((v) => `scores:${v.name}`), ...(hasPairwise ? ["pairwise"] : [])];
  out.push({
    id: "evaluate",
    kind: "scores-all",
    inputs: evaluateInputs,
    dir: "evaluate",
    version: 1,
    settings: { variants: c.generate.variants.map((v) => v.name), pairwise: hasPairwise },
    async run(ctx) {
      const rows: ScoreRecord[] = [];
      const summary = { experiment: c.name, rows: [] as unknown[], computed: 0, cached: 0 };
      for (const v of c.generate.variants) {
        const d = ctx.inputDir(`scores:${v.name}`);
        rows.push(...(await readJsonlAll<ScoreRecord>(join(d, "scores.jsonl"))));
        const s = JSON.parse(await readFile(join(d, "summary.json"), "utf8")) as typeof summary;
        summary.rows.push(...s.rows);
        summary.computed += s.computed;
        summary.cached += s.cached;
      }
      await writeJsonl(join(ctx.dir, "scores.jsonl"), rows);
      await writeJson(join(ctx.dir, "summary.json"), summary);
      const outputs = ["scores.jsonl"];
      if (hasPairwise) {
        for (const f of ["pairwise.jsonl", "pairwise-summary.json"]) {
          await copyFile(join(ctx.inputDir("pairwise"), f), join(ctx.dir, `${f}.partial`));
          await rename(join(ctx.dir, `${f}.partial`), join(ctx.dir, f));
        }
        outputs.push("pairwise.jsonl");
      }
      // the notes of the artifacts it gathers, so the report's stage table keeps them
      const notes: string[] = [];
      for (const id of evaluateInputs) {
        const m = join(ctx.inputDir(id), "manifest.json");
        if (existsSync(m)) notes.push(...((JSON.parse(await readFile(m, "utf8")) as { notes?: string[] }).notes ?? []));
      }
      return { counts: { rows: rows.length }, outputs, notes };
    },
  });
  for (const [name, s] of Object.entries(selections)) out.push(selectionArtifact(name, s, c));
  out.push(metaArtifact(c));
  return out;
}

/**
 * The experiment's graph: the built-in artifacts, then those of every registered kind (a report,
 * dataset recipes, training methods). Throws ConfigError for duplicate ids, unknown inputs, cycles.
 */
export function buildGraph(exp: LoadedExperiment): ArtifactGraph {
  const artifacts = builtinArtifacts(exp);
  for (const [, factory] of registeredFactories()) artifacts.push(...factory(exp));
  return new ArtifactGraph(artifacts);
}

/** The stage of the older pipeline an artifact belongs to (`adapter:x` -> train), for `--only train`. */
export function stageOfArtifact(a: Artifact): string {
  // `--only datasets` (and `wayfarer datasets`) = every recipe, the retrieval index and the aggregate card
  if (a.kind === "dataset" || a.kind === "retrieval-index") return "datasets";
  if (a.kind === "adapter") return "train";
  if (a.kind === "answers" || a.kind === "answers-all") return "generate";
  if (["scores", "scores-all", "pairwise", "selection", "meta"].includes(a.kind)) return "evaluate";
  return a.id;
}
