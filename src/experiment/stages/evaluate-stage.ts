import { join } from "node:path";
import { type Experiment, pairwiseJudgeModel, pairwisePairs } from "../../config/experiment.ts";
import { readJsonlAll, writeJson, writeJsonl } from "../../datasets/jsonl.ts";
import { ConfigError } from "../../errors/config-error.ts";
import {
  cacheKey,
  type EvaluationItem,
  type EvaluatorRequest,
  evaluateAll,
  inputHash,
} from "../../evaluation/engine.ts";
import { ROUGE_NO_TOKENS } from "../../evaluation/metrics/rouge.ts";
import { defaultMiniLmDir } from "../../evaluation/metrics/support/minilm.ts";
import { type ComparePairsResult, comparePairsAll, type PairItem } from "../../evaluation/pairwise-engine.ts";
import { EVALUATOR_IDS, EVALUATORS, isEvaluatorId } from "../../evaluation/registry.ts";
import {
  checkEvaluatorResources,
  type EvaluatorResourceSources,
  EvaluatorResources,
  type ResourceHints,
} from "../../evaluation/resources.ts";
import { createGenerator } from "../../models/registry.ts";
import type { Stage } from "../stage.ts";
import type { AnswerRecord } from "./generate-stage.ts";

/** One row of `evaluate/scores.jsonl`. */
export interface ScoreRecord {
  variant: string;
  itemId: string;
  evaluator: string;
  status: "scored" | "error" | "not-applicable";
  value: number | null;
  reason: string | null;
  signature: string;
}

/** The evaluator requests of an experiment; ConfigError naming the unknown id and the known ones. */
export function evaluatorRequests(config: Experiment): EvaluatorRequest[] {
  return config.evaluate.evaluators.map((e, i) => {
    const id = typeof e === "string" ? e : e.id;
    if (!isEvaluatorId(id)) {
      throw new ConfigError(`evaluate.evaluators[${i}]: unknown evaluator "${id}"; known: ${EVALUATOR_IDS.join(", ")}`);
    }
    return typeof e === "string" ? { id } : { id, options: e.options };
  });
}

/** Where an experiment's evaluator resources come from: `evaluate.judge`, `.embedder`, `.referenceLm`. */
export function evaluateResourceSources(config: Experiment, env: NodeJS.ProcessEnv): EvaluatorResourceSources {
  const named = (key: string | undefined) =>
    key !== undefined && config.models[key] ? { name: key, model: config.models[key] } : undefined;
  const judge = named(config.evaluate.judge?.model);
  const embedder = named(config.evaluate.embedder?.model);
  const referenceLm = named(config.evaluate.referenceLm?.model);
  return {
    ...(judge ? { judge } : {}),
    ...(embedder ? { embedder } : {}),
    ...(referenceLm ? { referenceLm } : {}),
    miniLmDir: defaultMiniLmDir(env),
  };
}

/** How an experiment file supplies each resource (for messages). */
export const EXPERIMENT_RESOURCE_HINTS: ResourceHints = {
  evaluator: (id) => `evaluate.evaluators "${id}"`,
  judge: "set evaluate.judge.model to a key of models (a local GGUF or an OpenAI-compatible endpoint)",
  embedder: "set evaluate.embedder.model, or run scripts/setup.sh to install all-MiniLM-L6-v2",
  referenceLm: "set evaluate.referenceLm.model to a key of models naming a local llama (GGUF) model",
};

/**
 * Validates the evaluate stage before any stage runs (the runner calls it at startup): known evaluator ids,
 * and every resource the listed evaluators need can be built (e.g. `perplexity` needs evaluate.referenceLm).
 * @throws ConfigError naming the evaluator, the missing resource and the setting that supplies it.
 */
export function checkEvaluateStage(config: Experiment, env: NodeJS.ProcessEnv): void {
  checkEvaluatorResources(evaluatorRequests(config), evaluateResourceSources(config, env), {
    env,
    hints: EXPERIMENT_RESOURCE_HINTS,
  });
}

/**
 * The comparisons of `evaluate.pairwise`: per configured [A, B] pair, every item both variants answered
 * (in answer order). Items only one of them answered are not compared; the count is returned.
 */
export function pairItems(
  config: Experiment,
  answers: readonly AnswerRecord[],
): { items: PairItem[]; missing: number } {
  const pw = config.evaluate.pairwise;
  if (!pw) return { items: [], missing: 0 };
  const byKey = new Map(answers.map((a) => [`${a.variant}\u0000${a.itemId}`, a]));
  const itemIds = [...new Set(answers.map((a) => a.itemId))];
  const items: PairItem[] = [];
  let missing = 0;
  for (const [a, b] of pairwisePairs(config)) {
    for (const id of itemIds) {
      const x = byKey.get(`${a}\u0000${id}`);
      const y = byKey.get(`${b}\u0000${id}`);
      if (!x || !y) {
        if (x || y) missing++;
        continue;
      }
      items.push({
        itemId: id,
        variantA: a,
        variantB: b,
        input: { question: x.question, answerA: x.answer, answerB: y.answer, reference: x.reference },
      });
    }
  }
  return { items, missing };
}

/**
 * evaluate: every answer with every configured evaluator through the evaluation engine (cached
 * per call in the store, so a killed run resumes). Writes `scores.jsonl` and `summary.json`; with an
 * `evaluate.pairwise` section also `pairwise.jsonl` (one judged comparison a line: both orders' raw
 * replies and verdicts, the final verdict) and `pairwise-summary.json` (win/tie/loss per variant pair).
 */
export const evaluateStage: Stage = {
  id: "evaluate",
  deps: ["generate"],
  version: 1,
  settings: (exp) => {
    const pairwiseJudge = pairwiseJudgeModel(exp.config);
    return {
      evaluate: exp.config.evaluate,
      judge: exp.config.evaluate.judge ? exp.config.models[exp.config.evaluate.judge.model] : null,
      // only with a pairwise section, so that experiments without one keep their input hash
      ...(pairwiseJudge !== undefined ? { pairwiseJudge: exp.config.models[pairwiseJudge] ?? null } : {}),
      ...(exp.config.evaluate.embedder
        ? { embedder: exp.config.models[exp.config.evaluate.embedder.model] ?? null }
        : {}),
      ...(exp.config.evaluate.referenceLm
        ? { referenceLm: exp.config.models[exp.config.evaluate.referenceLm.model] ?? null }
        : {}),
    };
  },
  async run(ctx) {
    const { config } = ctx.exp;
    const requests = evaluatorRequests(config);
    const answers = await readJsonlAll<AnswerRecord>(join(ctx.dir("generate"), "answers.jsonl"));
    const resources = await EvaluatorResources.create({
      requests,
      sources: evaluateResourceSources(config, ctx.env),
      hints: EXPERIMENT_RESOURCE_HINTS,
      env: ctx.env,
      runtime: ctx.runtime,
      idfReferences: answers.map((a) => a.reference),
    });
    const context = resources.context;
    const items: EvaluationItem[] = answers.map((a) => ({
      variant: a.variant,
      itemId: a.itemId,
      input: { question: a.question, answer: a.answer, references: [a.reference] },
    }));
    const total = items.length * requests.length;
    const bar = ctx.progress.bar("evaluate", total);
    let summary: Awaited<ReturnType<typeof evaluateAll>>;
    try {
      summary = await evaluateAll({
        store: ctx.store,
        experiment: config.name,
        items,
        evaluators: requests,
        context,
        concurrency: config.evaluate.concurrency,
        onProgress: (done) => bar.update(done),
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
    } finally {
      bar.stop();
      await resources.dispose();
    }
    const select = ctx.store.db.prepare(
      "SELECT status, value, reason, signature FROM scores WHERE experiment = ? AND variant = ? AND item_id = ? AND evaluator = ? AND cache_key = ? ORDER BY id DESC LIMIT 1",
    );
    const rows: ScoreRecord[] = [];
    for (const r of requests) {
      const sig = EVALUATORS[r.id].configSignature(context, r.options);
      for (const item of items) {
        const row = select.get(
          config.name,
          item.variant,
          item.itemId,
          r.id,
          cacheKey(r.id, sig, inputHash(item.input)),
        ) as
          | { status: ScoreRecord["status"]; value: number | null; reason: string | null; signature: string }
          | undefined;
        if (!row)
          throw new Error(`evaluate: no score row for ${item.variant}/${item.itemId}/${r.id} after the engine ran`);
        rows.push({ variant: item.variant, itemId: item.itemId, evaluator: r.id, ...row });
      }
    }
    await writeJsonl(join(ctx.dir("evaluate"), "scores.jsonl"), rows);
    await writeJson(join(ctx.dir("evaluate"), "summary.json"), summary);
    const counts: Record<string, number> = { rows: rows.length, computed: summary.computed, cached: summary.cached };
    const notes: string[] = [];
    for (const s of summary.rows) {
      if (s.mean !== null) counts[`${s.variant}.${s.evaluator}`] = s.mean;
      if (s.nError > 0)
        notes.push(
          `${s.variant} ${s.evaluator}: ${s.nError} of ${s.nScored + s.nError + s.nNotApplicable} not measured (counted, not averaged)`,
        );
    }
    // ROUGE rows whose text the tokenizer emptied (non-Latin text) score 0 by construction: say so
    const noTokens = new Map<string, number>();
    for (const r of rows)
      if (r.reason?.startsWith(ROUGE_NO_TOKENS))
        noTokens.set(`${r.variant} ${r.evaluator}`, (noTokens.get(`${r.variant} ${r.evaluator}`) ?? 0) + 1);
    for (const [k, n] of noTokens)
      notes.push(
        `${k}: ${n} row(s) score 0 because the tokenizer left no tokens (non-Latin text?); option tokenizer: "unicode" scores them`,
      );
    const outputs = ["scores.jsonl", "summary.json"];
    if (config.evaluate.pairwise) {
      const pw = await runPairwise(ctx, config, answers);
      outputs.push("pairwise.jsonl", "pairwise-summary.json");
      counts["pairwise.comparisons"] = pw.result.records.length;
      counts["pairwise.computed"] = pw.result.computed;
      counts["pairwise.cached"] = pw.result.cached;
      for (const r of pw.result.rows) {
        const nulls = r.nUnparseable + r.nError;
        if (nulls > 0)
          notes.push(
            `pairwise ${r.variantA} vs ${r.variantB}: ${nulls} of ${r.n} comparisons without a verdict (${r.nUnparseable} unparseable, ${r.nError} errors; counted, left out of the win rates)`,
          );
      }
      if (pw.missing > 0)
        notes.push(`pairwise: ${pw.missing} item(s) answered by only one variant of a pair were not compared`);
    }
    return { counts, outputs, notes };
  },
};

/** Runs `evaluate.pairwise` and writes `pairwise.jsonl` and `pairwise-summary.json`. */
async function runPairwise(
  ctx: Parameters<Stage["run"]>[0],
  config: Experiment,
  answers: readonly AnswerRecord[],
): Promise<{ result: ComparePairsResult; missing: number }> {
  const pw = config.evaluate.pairwise!;
  const judgeName = pairwiseJudgeModel(config);
  if (judgeName === undefined)
    throw new ConfigError("evaluate.pairwise: set evaluate.pairwise.judge or evaluate.judge.model");
  const { items, missing } = pairItems(config, answers);
  // its own generator, even when it is evaluate.judge's model (that one is disposed by now)
  const judge = await createGenerator(judgeName, config.models[judgeName]!, { runtime: ctx.runtime, env: ctx.env });
  const bar = ctx.progress.bar("pairwise", items.length);
  let result: ComparePairsResult;
  try {
    result = await comparePairsAll({
      store: ctx.store,
      experiment: config.name,
      items,
      context: { judge },
      options: { maxTokens: pw.maxTokens, reference: pw.reference ? "auto" : "never" },
      concurrency: config.evaluate.concurrency,
      onProgress: (done) => bar.update(done),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
  } finally {
    bar.stop();
    await judge.dispose();
  }
  await writeJsonl(
    join(ctx.dir("evaluate"), "pairwise.jsonl"),
    result.records.map(({ cached: _cached, ...r }) => r),
  );
  await writeJson(join(ctx.dir("evaluate"), "pairwise-summary.json"), {
    experiment: result.experiment,
    rows: result.rows.map(({ nCached: _n, ...r }) => r),
  });
  return { result, missing };
}
