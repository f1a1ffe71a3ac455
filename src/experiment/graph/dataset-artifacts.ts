/**
 * The experiment's data as artifacts, one per recipe, each keyed only on its own settings and on what
 * it really reads (so a new RAFT P reruns the RAFT set and nothing else of the data):
 *
 * | artifact | reads | settings | folder |
 * |---|---|---|---|
 * | `retrieval-index` | corpus | `retrieval` | `retrieval/` (`index.json`; the index in `retrieval/<hash>/`) |
 * | `dataset:golden` | the golden file (sha256 in the settings) | `datasets.golden` | `datasets/golden/` |
 * | `dataset:sft` | corpus, `dataset:golden` (when `excludeGoldenOverlap`) | `datasets.sft`, its teacher | `datasets/sft/` |
 * | `dataset:preferences` | corpus, the store's pair choices / a judged run (by source) | `datasets.preferences`, its tokenizer | `datasets/preferences/` |
 * | `dataset:raft` | corpus, `retrieval-index` | `datasets.raft`, `retrieval`, its teacher | `datasets/raft/` |
 * | `dataset:golden-drafts` | corpus | `datasets.golden.build`, its teacher | `datasets/golden-drafts/` |
 * | `datasets` | every `dataset:*` | the recipe names | `datasets/` (`dataset-card.{json,md}`, as the report reads it) |
 *
 * A recipe that calls a teacher hashes that model's settings, the seed and the repeat penalty (what shapes the
 * text); the calls themselves are cached in the store, so a rerun calls no model. Every file is written to
 * `.partial` and renamed, and the manifest comes last (run-graph.ts): a killed recipe reruns, the others stay.
 * Each recipe writes `summary.json` (its part of the aggregate card) next to its data and card.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import type { LoadedExperiment } from "../../config/load.ts";
import { writeJson } from "../../datasets/jsonl.ts";
import { openRetrievalIndex } from "../../retrieval/index.ts";
import { ratingsFingerprint } from "../../store/runs.ts";
import type { StageContext } from "../stage.ts";
import { buildGoldenDrafts, buildPreferences, buildRaft, type RecipeResult } from "../stages/datasets-recipes.ts";
import { buildGolden, buildSft, writeAggregateCard } from "../stages/datasets-stage.ts";
import type { Artifact, ArtifactContext, ArtifactManifest } from "./artifact.ts";

/** sha256 (hex) of a file's bytes, or null when it is missing (read when the graph is built). */
function digest(file: string): string | null {
  return existsSync(file) ? createHash("sha256").update(readFileSync(file)).digest("hex") : null;
}

/** Whether the experiment has a retrieval index artifact: RAFT documents or a RAG variant read it. */
export function usesRetrievalIndex(exp: LoadedExperiment): boolean {
  const c = exp.config;
  return c.datasets.raft !== undefined || c.generate.variants.some((v) => v.retrieval !== undefined);
}

/**
 * `retrieval-index`: opens (builds, or reopens when its content hash exists) the experiment's retrieval index over
 * the corpus splits and writes `index.json` (content hash, resolved settings, chunk counts). The hash covers the
 * corpus bytes, the settings and the encoder, so readers (RAFT data, RAG answers, and through those answers the
 * Ragas context metrics) rerun exactly when the index changes.
 */
export function retrievalIndexArtifact(exp: LoadedExperiment): Artifact {
  const c = exp.config;
  return {
    id: "retrieval-index",
    kind: "retrieval-index",
    inputs: ["corpus"],
    dir: "retrieval",
    version: 1,
    settings: { retrieval: c.retrieval },
    async run(ctx) {
      let bar: ReturnType<typeof ctx.progress.bar> | undefined;
      const index = await openRetrievalIndex({
        corpusDir: ctx.inputDir("corpus"),
        indexDir: ctx.dir,
        settings: c.retrieval,
        env: ctx.env,
        onProgress: (done, total) => {
          bar ??= ctx.progress.bar("retrieval index (embedding documents)", total);
          bar.update(done);
        },
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      bar?.stop();
      try {
        await writeJson(join(ctx.dir, "index.json"), {
          hash: index.hash,
          folder: index.hash.slice(0, 16),
          settings: index.settings,
          counts: index.counts,
        });
        return {
          counts: { documents: index.counts.documents, threads: index.counts.threads },
          outputs: ["index.json"],
        };
      } finally {
        await index.dispose();
      }
    },
  };
}

interface Recipe {
  name: string;
  inputs: string[];
  settings: unknown;
  observe?: Artifact["observe"];
  build(sctx: StageContext, ctx: ArtifactContext): Promise<RecipeResult>;
}

/** A recipe as an artifact in `datasets/<name>/`: runs `build` with the stage context the recipes expect. */
function recipeArtifact(r: Recipe): Artifact {
  return {
    id: `dataset:${r.name}`,
    kind: "dataset",
    inputs: r.inputs,
    dir: `datasets/${r.name}`,
    version: 1,
    settings: r.settings,
    ...(r.observe ? { observe: r.observe } : {}),
    async run(ctx) {
      const runDir = ctx.exp.runDir;
      const sctx: StageContext = {
        exp: ctx.exp,
        store: ctx.store,
        progress: ctx.progress,
        // recipes write `<datasets>/<name>/...` (= ctx.dir) and read `corpus/splits/`
        dir: (s) => (s === "datasets" ? dirname(ctx.dir) : join(runDir, s)),
        runtime: ctx.runtime,
        env: ctx.env,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      };
      const res = await r.build(sctx, ctx);
      await writeJson(join(ctx.dir, "summary.json"), res.summary);
      return {
        counts: res.counts,
        outputs: [...res.outputs.map((f) => relative(r.name, f)), "summary.json"],
        notes: res.notes,
      };
    },
  };
}

/** The settings of model `key` of the experiment (null when absent), for the key of a recipe that calls it. */
function modelSettings(exp: LoadedExperiment, key: string | undefined): unknown {
  return key === undefined ? null : (exp.config.models[key] ?? null);
}

/** What a teacher-calling recipe's text depends on besides its own settings (see createTeacher). */
function teacherSettings(exp: LoadedExperiment, key: string) {
  const c = exp.config;
  return { model: key, settings: modelSettings(exp, key), seed: c.seed, repeatPenalty: c.generate.repeatPenalty };
}

/** The recipe artifacts of an experiment, the retrieval index when read, and the aggregate `datasets` card. */
export function datasetArtifacts(exp: LoadedExperiment): Artifact[] {
  const c = exp.config;
  const d = c.datasets;
  const out: Artifact[] = [];
  if (usesRetrievalIndex(exp)) out.push(retrievalIndexArtifact(exp));
  const recipes: Recipe[] = [];
  recipes.push({
    name: "golden",
    inputs: [],
    settings: { golden: { ...d.golden, build: undefined }, sha256: digest(d.golden.file) },
    build: (s) => buildGolden(s),
  });
  const sftGolden = d.sft.excludeGoldenOverlap;
  recipes.push({
    name: "sft",
    inputs: ["corpus", ...(sftGolden ? ["dataset:golden"] : [])],
    settings: {
      sft: d.sft.target === "synthesis" ? d.sft : { ...d.sft, synthesis: undefined },
      systemPrompt: c.systemPrompt,
      seed: c.seed,
      ...(d.sft.target === "synthesis" && d.sft.synthesis.teacher
        ? { teacher: teacherSettings(exp, d.sft.synthesis.teacher) }
        : {}),
    },
    build: (s, ctx) => buildSft(s, sftGolden ? join(ctx.inputDir("dataset:golden"), "golden.jsonl") : null),
  });
  if (d.preferences) {
    const p = d.preferences;
    const tokenizer = p.tokenizer ?? Object.keys(c.models).find((k) => c.models[k]!.provider === "llama");
    const human = p.sources.flatMap((s) => (s.kind === "human" ? [s.experiment ?? c.name] : []));
    // a judged run's files (`<workspace runs>/<from>/...`), as buildPreferences reads them
    const judged = p.sources.flatMap((s) =>
      s.kind === "judge"
        ? [
            join(exp.runDir, "..", s.from, "evaluate", "pairwise.jsonl"),
            join(exp.runDir, "..", s.from, "generate", "answers.jsonl"),
          ]
        : [],
    );
    recipes.push({
      name: "preferences",
      inputs: ["corpus"],
      settings: {
        preferences: p,
        systemPrompt: c.systemPrompt,
        seed: c.seed,
        tokenizer: modelSettings(exp, tokenizer),
      },
      ...(human.length || judged.length
        ? {
            // pairs from outside the run folder: new human choices or a re-judged run rebuild the pairs
            observe: (store) => ({
              human: human.map((e) => ratingsFingerprint(store, e).pairs),
              judged: judged.map(digest),
            }),
          }
        : {}),
      build: (s) => buildPreferences(s),
    });
  }
  if (d.raft)
    recipes.push({
      name: "raft",
      inputs: ["corpus", "retrieval-index"],
      settings: {
        raft: d.raft,
        retrieval: c.retrieval,
        systemPrompt: c.systemPrompt,
        teacher: teacherSettings(exp, d.raft.teacher),
      },
      build: (s) => buildRaft(s),
    });
  if (d.golden.build)
    recipes.push({
      name: "golden-drafts",
      inputs: ["corpus"],
      settings: { build: d.golden.build, teacher: teacherSettings(exp, d.golden.build.teacher) },
      build: (s) => buildGoldenDrafts(s),
    });
  for (const r of recipes) out.push(recipeArtifact(r));
  const ids = recipes.map((r) => `dataset:${r.name}`);
  out.push({
    id: "datasets",
    kind: "datasets",
    inputs: ids,
    dir: "datasets",
    version: 3,
    settings: { recipes: recipes.map((r) => r.name) },
    async run(ctx) {
      const parts = [];
      const counts: Record<string, number> = {};
      const notes: string[] = [];
      for (const r of recipes) {
        const dir = ctx.inputDir(`dataset:${r.name}`);
        const m = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as ArtifactManifest;
        const summary = JSON.parse(await readFile(join(dir, "summary.json"), "utf8")) as Record<string, unknown>;
        parts.push({ name: r.name, counts: m.counts, summary });
        Object.assign(counts, m.counts);
        // the recipes' notes (teacher usage, skipped golden rows), so the report's datasets row keeps them
        notes.push(...m.notes);
      }
      await writeAggregateCard(ctx.dir, c.name, parts);
      return { counts, outputs: ["dataset-card.json"], notes };
    },
  });
  return out;
}
