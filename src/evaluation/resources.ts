/**
 * The resources of an evaluation run (the `EvaluatorContext`: judge, sentence encoder, BERTScore token
 * encoder, reference LM for perplexity, WordNet), planned, checked and built in ONE place, for
 * `wayfarer score` and the evaluate stage alike:
 *
 * - {@link evaluatorResourceProblems} / {@link checkEvaluatorResources}: cheap checks before any work (no model
 *   is loaded): every resource a requested evaluator needs has a source, and its files exist. A runner calls
 *   this at startup so that, e.g., `perplexity` without a reference LM fails before any stage runs.
 * - {@link EvaluatorResources.create}: builds exactly the resources the requested evaluators need (after the
 *   same check), and disposes them together.
 *
 * Where a resource comes from is described by {@link EvaluatorResourceSources} (models as the experiment file
 * writes them); how a user supplies a missing one is the caller's wording ({@link ResourceHints}: a CLI flag
 * or an experiment setting).
 */
import type { ModelConfig } from "../config/experiment.ts";
import { ConfigError } from "../errors/config-error.ts";
import type { GeneratorV1 } from "../models/generator.ts";
import type { LlamaRuntime } from "../models/llama-generator.ts";
import { resolveGgufPath } from "../models/model-cache.ts";
import { createEmbedder, createGenerator } from "../models/registry.ts";
import type { EvaluatorRequest } from "./engine.ts";
import type { JudgePricing } from "./judge/call.ts";
import { IdfWeights, TransformersTokenEncoder } from "./metrics/bertscore.ts";
import type { TextEmbedder } from "./metrics/embedding.ts";
import { WordNet } from "./metrics/meteor.ts";
import { LlamaTokenScorer, type TokenScorer } from "./metrics/perplexity.ts";
import { MiniLmSentenceEmbedder } from "./metrics/sentence-embedder.ts";
import { defaultMiniLmDir, miniLmProblem } from "./metrics/support/minilm.ts";
import { EMBEDDER_EVALUATORS, EVALUATORS, type EvaluatorContext } from "./registry.ts";

/** A resource an evaluator may need. */
export type EvaluatorResourceKind = "judge" | "embedder" | "tokenEncoder" | "referenceLm" | "wordnet";

/** A configured model by name (a key of the experiment's `models`, or a name the CLI gives it). */
export interface NamedModel {
  name: string;
  model: ModelConfig;
}

/** Where each resource comes from; an absent source means "not configured". */
export interface EvaluatorResourceSources {
  /** LLM judge (LLM-judge and Ragas evaluators). */
  judge?: NamedModel;
  /** Judge price per million tokens; without it costs carry `usd: null`. */
  judgePricing?: JudgePricing;
  /** Sentence encoder; absent = all-MiniLM-L6-v2 from `miniLmDir`. */
  embedder?: NamedModel;
  /** Reference LM for perplexity: a local llama (GGUF) model. */
  referenceLm?: NamedModel;
  /** Folder of the MiniLM ONNX export (BERTScore token encoder, default sentence encoder). Default `defaultMiniLmDir(env)`. */
  miniLmDir?: string;
}

/** How the user supplies each configurable resource, in the caller's words (a CLI flag, an experiment setting). */
export interface ResourceHints {
  /** Names an evaluator in messages, e.g. (id) => `--metric ${id}`. */
  evaluator: (id: string) => string;
  judge: string;
  embedder: string;
  referenceLm: string;
}

/** The resources `requests` need (an evaluator needs at most the ones its registry entry reads). */
export function resourcesNeeded(requests: readonly EvaluatorRequest[]): Map<EvaluatorResourceKind, string[]> {
  const need = new Map<EvaluatorResourceKind, string[]>();
  const add = (k: EvaluatorResourceKind, id: string) => need.set(k, [...(need.get(k) ?? []), id]);
  for (const r of requests) {
    if (EVALUATORS[r.id].descriptor.needs.includes("llm")) add("judge", r.id);
    if (EMBEDDER_EVALUATORS.has(r.id)) add("embedder", r.id);
    if (r.id === "bertscore") add("tokenEncoder", r.id);
    if (r.id === "perplexity") add("referenceLm", r.id);
    if (r.id === "meteor") add("wordnet", r.id);
  }
  return need;
}

/** Why a local model file cannot be found, or undefined (openai-compatible models have no file). */
function modelFileProblem(m: NamedModel, env: NodeJS.ProcessEnv): string | undefined {
  if (m.model.provider !== "llama") return undefined;
  try {
    resolveGgufPath(m.model.path, env);
    return undefined;
  } catch (error) {
    return error instanceof ConfigError ? error.message : String(error);
  }
}

/**
 * Every reason the resources of `requests` cannot be built from `sources`, one message each, naming the
 * evaluator(s), the resource and how to supply it; [] when everything is in place. Checks only what is cheap:
 * a source for every needed resource, a llama model for the reference LM, model files on disk, the MiniLM
 * export. Nothing is loaded.
 */
export function evaluatorResourceProblems(
  requests: readonly EvaluatorRequest[],
  sources: EvaluatorResourceSources,
  o: { env: NodeJS.ProcessEnv; hints: ResourceHints },
): string[] {
  const problems: string[] = [];
  const who = (ids: readonly string[]) => ids.map(o.hints.evaluator).join(", ");
  const need = resourcesNeeded(requests);
  const miniLmDir = sources.miniLmDir ?? defaultMiniLmDir(o.env);
  const judgeIds = need.get("judge");
  if (judgeIds) {
    if (!sources.judge) problems.push(`${who(judgeIds)} needs an LLM judge: ${o.hints.judge}`);
    else {
      const p = modelFileProblem(sources.judge, o.env);
      if (p) problems.push(`${who(judgeIds)}: the judge cannot be loaded (${p})`);
    }
  }
  const embedderIds = need.get("embedder");
  if (embedderIds) {
    const p = sources.embedder ? modelFileProblem(sources.embedder, o.env) : miniLmProblem(miniLmDir);
    if (p) problems.push(`${who(embedderIds)}: the sentence encoder cannot be loaded (${p}); ${o.hints.embedder}`);
  }
  const encoderIds = need.get("tokenEncoder");
  if (encoderIds) {
    const p = miniLmProblem(miniLmDir);
    if (p) problems.push(`${who(encoderIds)}: the BERTScore token encoder cannot be loaded (${p})`);
  }
  const lmIds = need.get("referenceLm");
  if (lmIds) {
    const lm = sources.referenceLm;
    if (!lm) problems.push(`${who(lmIds)} needs a reference LM: ${o.hints.referenceLm}`);
    else if (lm.model.provider !== "llama")
      problems.push(
        `${who(lmIds)}: the reference LM "${lm.name}" must be a local llama (GGUF) model: perplexity needs every token's log-probability`,
      );
    else {
      const p = modelFileProblem(lm, o.env);
      if (p) problems.push(`${who(lmIds)}: the reference LM cannot be loaded (${p})`);
    }
  }
  return problems;
}

/**
 * {@link evaluatorResourceProblems}, thrown: a ConfigError with the first problem (and the others after it).
 * Call before any work (a runner at startup, a command before reading its inputs).
 */
export function checkEvaluatorResources(
  requests: readonly EvaluatorRequest[],
  sources: EvaluatorResourceSources,
  o: { env: NodeJS.ProcessEnv; hints: ResourceHints },
): void {
  const problems = evaluatorResourceProblems(requests, sources, o);
  if (problems.length === 1) throw new ConfigError(problems[0]!);
  if (problems.length > 1)
    throw new ConfigError(`${problems[0]} (and ${problems.length - 1} more:\n  ${problems.slice(1).join("\n  ")})`);
}

/** Options of {@link EvaluatorResources.create}. */
export interface CreateEvaluatorResourcesOptions {
  requests: readonly EvaluatorRequest[];
  sources: EvaluatorResourceSources;
  hints: ResourceHints;
  env: NodeJS.ProcessEnv;
  /** The shared llama runtime, created on first use (local judge, GGUF encoder, reference LM). */
  runtime: () => Promise<LlamaRuntime>;
  /**
   * Every reference text of the run (each item's references, flattened), for BERTScore's idf weights
   * (`idf: true`; bert_score computes idf over the references). Ignored otherwise.
   */
  idfReferences?: readonly string[];
}

/** The built resources of one run: `context` for the engine; `dispose()` frees them all. */
export class EvaluatorResources implements AsyncDisposable {
  readonly context: EvaluatorContext;
  readonly #disposers: Array<() => Promise<void>>;
  #disposed = false;

  private constructor(context: EvaluatorContext, disposers: Array<() => Promise<void>>) {
    this.context = context;
    this.#disposers = disposers;
  }

  /**
   * Checks (as {@link checkEvaluatorResources}), then builds exactly the resources `requests` need; on a
   * failure midway, disposes what was built.
   * @throws ConfigError when a resource has no source or its files are missing (before anything is loaded).
   */
  static async create(o: CreateEvaluatorResourcesOptions): Promise<EvaluatorResources> {
    checkEvaluatorResources(o.requests, o.sources, { env: o.env, hints: o.hints });
    const need = resourcesNeeded(o.requests);
    const context: EvaluatorContext = {};
    const disposers: Array<() => Promise<void>> = [];
    const keep = <T extends { dispose(): Promise<void> }>(x: T): T => {
      disposers.push(() => x.dispose());
      return x;
    };
    const factory = { runtime: o.runtime, env: o.env };
    const miniLmDir = o.sources.miniLmDir ?? defaultMiniLmDir(o.env);
    try {
      if (need.has("judge") && o.sources.judge) {
        const j = o.sources.judge;
        context.judge = keep<GeneratorV1>(await createGenerator(j.name, j.model, factory));
        if (o.sources.judgePricing) context.judgePricing = o.sources.judgePricing;
      }
      if (need.has("embedder")) {
        const e = o.sources.embedder;
        context.embedder = keep<TextEmbedder>(
          e
            ? await createEmbedder(e.name, e.model, factory)
            : await MiniLmSentenceEmbedder.create({ modelDir: miniLmDir }),
        );
      }
      if (need.has("tokenEncoder")) {
        const encoder = keep(await TransformersTokenEncoder.create({ modelDir: miniLmDir }));
        const idf = o.requests.some((r) => r.id === "bertscore" && r.options?.idf === true);
        context.bertscore = {
          encoder,
          ...(idf ? { idf: IdfWeights.fromReferences(encoder, o.idfReferences ?? []) } : {}),
        };
      }
      const lm = o.sources.referenceLm;
      if (need.has("referenceLm") && lm && lm.model.provider === "llama") {
        const scorer: TokenScorer = await LlamaTokenScorer.create({
          runtime: await o.runtime(),
          modelPath: resolveGgufPath(lm.model.path, o.env),
          contextSize: lm.model.contextSize,
          ...(lm.model.threads ? { threads: lm.model.threads } : {}),
        });
        context.tokenScorer = keep(scorer);
      }
      if (need.has("wordnet")) context.wordnet = WordNet.fromWordnetDb();
    } catch (error) {
      for (const d of disposers.reverse()) await d().catch(() => undefined);
      throw error;
    }
    return new EvaluatorResources(context, disposers);
  }

  /** Frees every built resource (in reverse order of creation); idempotent. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const d of this.#disposers.reverse()) await d().catch(() => undefined);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
