/**
 * The typed evaluator registry (STYLE.md #3): `EVALUATOR_IDS` lists every evaluator, `EVALUATORS`
 * maps each id to its implementation and a missing entry does not compile. No prefix parsing, no
 * checks at import time.
 *
 * Every evaluator has the same shape (`Evaluator`): a descriptor, a zod options schema (strict:
 * unknown keys are an error), a `check` run once before any work (options valid, context has what
 * the evaluator needs), a `configSignature` known before running (part of the engine's cache key)
 * and `evaluate`.
 */
import { z } from "zod";
import { ConfigError } from "../errors/config-error.ts";
import type { GeneratorV1 } from "../models/generator.ts";
import type { JudgePricing } from "./judge/call.ts";
import * as judgeCriteria from "./judge/criteria.ts";
import type { NonceSource } from "./judge/delimit.ts";
import * as judgeGeval from "./judge/geval.ts";
import * as judgeSingle from "./judge/single.ts";
import type { BertScoreResources } from "./metrics/bertscore.ts";
import * as bertscore from "./metrics/bertscore.ts";
import * as bleu from "./metrics/bleu.ts";
import * as chrf from "./metrics/chrf.ts";
import type { TextEmbedder } from "./metrics/embedding.ts";
import * as embedding from "./metrics/embedding.ts";
import * as length from "./metrics/length.ts";
import type { WordNet } from "./metrics/meteor.ts";
import * as meteor from "./metrics/meteor.ts";
import type { TokenScorer } from "./metrics/perplexity.ts";
import * as perplexity from "./metrics/perplexity.ts";
import * as refusal from "./metrics/refusal.ts";
import * as rouge from "./metrics/rouge.ts";
import * as answerCorrectness from "./ragas/answer-correctness.ts";
import * as answerRelevancy from "./ragas/answer-relevancy.ts";
import * as contextPrecision from "./ragas/context-precision.ts";
import * as contextRecall from "./ragas/context-recall.ts";
import * as faithfulness from "./ragas/faithfulness.ts";
import type { EvaluationInput, EvaluationResult, EvaluatorDescriptor } from "./types.ts";

/**
 * Shared, already-created resources the evaluators use. Create them once per run and pass the same
 * object to every call; evaluators never create models themselves. Fields are optional: an evaluator
 * whose resource is missing fails `check()` with a ConfigError before any work starts.
 */
export interface EvaluatorContext {
  /** Judge model for the LLM-judge and Ragas evaluators (local GGUF or OpenAI-compatible). */
  judge?: GeneratorV1;
  /** Judge price per million tokens; without it costs carry `usd: null`. */
  judgePricing?: JudgePricing;
  /** WordNet for METEOR's synonym stage (`WordNet.fromWordnetDb()`); `null` skips that stage. */
  wordnet?: WordNet | null;
  /** Sentence encoder for embedding cosine, Ragas answer relevancy and answer correctness. */
  embedder?: TextEmbedder;
  /** Token encoder (+ idf weights for `idf: true`) for BERTScore (`TransformersTokenEncoder.create()`). */
  bertscore?: BertScoreResources;
  /** Reference LM for perplexity (`LlamaTokenScorer.create(...)`). */
  tokenScorer?: TokenScorer;
  /** Nonce source for judge prompt delimiters; default 64 random bits (inject only in tests). */
  nonce?: NonceSource;
}

/** Per-call arguments of `Evaluator.evaluate`. */
export interface EvaluateCall {
  /** Raw evaluator options (validated by the evaluator's schema). */
  options?: Record<string, unknown>;
  signal?: AbortSignal;
}

/** One evaluator behind the uniform contract. */
export interface Evaluator {
  readonly descriptor: EvaluatorDescriptor;
  /** Options schema (zod, strict). */
  readonly optionsSchema: z.ZodType;
  /**
   * Validates options and context; call once before a run.
   * @throws ConfigError naming the evaluator, the problem and the fix.
   */
  check(ctx: EvaluatorContext, options?: Record<string, unknown>): void;
  /** What produces the values (implementation, version, options, models), known before running. */
  configSignature(ctx: EvaluatorContext, options?: Record<string, unknown>): string;
  /**
   * Scores one input. Never returns a fake score: failures to measure are `status: "error"`,
   * missing inputs `status: "not-applicable"`. Provider failures (HTTP, abort) are thrown.
   */
  evaluate(input: EvaluationInput, ctx: EvaluatorContext, call?: EvaluateCall): Promise<EvaluationResult>;
}

interface EvaluatorDefinition<S extends z.ZodType> {
  descriptor: EvaluatorDescriptor;
  optionsSchema: S;
  /** A problem with the context, or undefined when it has everything. */
  requires?: (ctx: EvaluatorContext, options: z.output<S>) => string | undefined;
  signature: (ctx: EvaluatorContext, options: z.output<S>) => string;
  run: (
    input: EvaluationInput,
    ctx: EvaluatorContext,
    options: z.output<S>,
    signal?: AbortSignal,
  ) => EvaluationResult | Promise<EvaluationResult>;
}

function parseOptions<S extends z.ZodType>(id: string, schema: S, raw: unknown): z.output<S> {
  const r = schema.safeParse(raw ?? {});
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join(".") || "(options)"}: ${i.message}`).join("; ");
    throw new ConfigError(`evaluator "${id}": invalid options (${issues}); see its optionsSchema`);
  }
  return r.data;
}

/** Builds an `Evaluator` from a typed definition (options parsed once per call, cheap). */
export function defineEvaluator<S extends z.ZodType>(def: EvaluatorDefinition<S>): Evaluator {
  const id = def.descriptor.id;
  return {
    descriptor: def.descriptor,
    optionsSchema: def.optionsSchema,
    check(ctx, options) {
      const o = parseOptions(id, def.optionsSchema, options);
      const problem = def.requires?.(ctx, o);
      if (problem) throw new ConfigError(`evaluator "${id}": ${problem}`);
    },
    configSignature(ctx, options) {
      return def.signature(ctx, parseOptions(id, def.optionsSchema, options));
    },
    async evaluate(input, ctx, call) {
      const o = parseOptions(id, def.optionsSchema, call?.options);
      call?.signal?.throwIfAborted();
      return def.run(input, ctx, o, call?.signal);
    },
  };
}

const needsJudge = (ctx: EvaluatorContext) =>
  ctx.judge
    ? undefined
    : "needs a judge model: set EvaluatorContext.judge (a local GGUF or OpenAI-compatible generator)";

const needsEmbedder = (ctx: EvaluatorContext) =>
  ctx.embedder
    ? undefined
    : "needs a sentence encoder: set EvaluatorContext.embedder (e.g. LlamaTextEmbedder.create(...))";

/** Evaluators that use `EvaluatorContext.embedder` (a runner creates one only when one of these is asked for). */
export const EMBEDDER_EVALUATORS: ReadonlySet<string> = new Set([
  "embedding-cosine",
  "ragas-answer-relevancy",
  "ragas-answer-correctness",
]);

const needsJudgeAndEmbedder = (ctx: EvaluatorContext) => needsJudge(ctx) ?? needsEmbedder(ctx);

function criteriaEvaluator(criterion: judgeCriteria.Criterion) {
  return defineEvaluator({
    descriptor: judgeCriteria.criterionDescriptor(criterion),
    optionsSchema: judgeCriteria.optionsSchema,
    requires: needsJudge,
    signature: (ctx, o) => judgeCriteria.criteriaSignature(criterion, o, ctx),
    run: (input, ctx, o, signal) => judgeCriteria.score(input, criterion, ctx, o, signal),
  });
}

const noOptions = z.strictObject({});

const stableJson = (o: object) =>
  JSON.stringify(Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));

// ---- reference-based metrics (src/evaluation/metrics/, reused as they are) -------------------------

const sacreBleuOptions = z.strictObject({
  /** sacrebleu smoothing: exp (default) | floor | add-k | none. */
  smooth: z.enum(["exp", "floor", "add-k", "none"]).optional(),
  /** Smoothing value for floor (default 0.1) / add-k (default 1). */
  smoothValue: z.number().min(0).optional(),
  /** Lowercase before tokenizing. Default false. */
  lowercase: z.boolean().optional(),
  /** Sentence BLEU with effective order (default true, as `sacrebleu.sentence_bleu`). */
  effectiveOrder: z.boolean().optional(),
});

const hfBleuOptions = z.strictObject({
  /** Add-one smoothing on every order (HF evaluate `smooth=True`). Default false. */
  smooth: z.boolean().optional(),
});

const rougeOptions = z.strictObject({
  /** Porter stemming of tokens longer than 3 characters. Default true (Ragas/seed study); HF evaluate uses false. */
  stemmer: z.boolean().default(true),
  /** "rouge-score" (default, parity: ASCII letters/digits only) or "unicode" (every script; not rouge-score). */
  tokenizer: z.enum(rouge.ROUGE_TOKENIZERS).default("rouge-score"),
});

function rougeEvaluator(type: rouge.RougeType) {
  return defineEvaluator({
    descriptor: {
      id: type,
      label: `${type} F-measure (google rouge-score)`,
      needs: ["references"],
      range: [0, 1],
      higherIsBetter: true,
    },
    optionsSchema: rougeOptions,
    signature: (_ctx, o) => `${type}|${rouge.rougeSignature(type, o.stemmer, 0, o.tokenizer).replace("|nrefs:0", "")}`,
    run: (input, _ctx, o) => rouge.score(input, { primary: type, stemmer: o.stemmer, tokenizer: o.tokenizer }),
  });
}

const chrfOptions = z.strictObject({
  /** Character n-gram order, default 6. */
  charOrder: z.number().int().min(1).max(20).optional(),
  /** Word n-gram order (2 = chrF++), default 0. */
  wordOrder: z.number().int().min(0).max(10).optional(),
  /** Recall weight beta, default 2. */
  beta: z.number().positive().optional(),
  lowercase: z.boolean().optional(),
  whitespace: z.boolean().optional(),
  epsSmoothing: z.boolean().optional(),
});

const meteorOptions = z.strictObject({
  alpha: z.number().gt(0).max(1).optional(),
  beta: z.number().min(0).optional(),
  gamma: z.number().min(0).max(1).optional(),
});

export const EVALUATOR_IDS = [
  "bleu",
  "bleu-hf",
  "rouge1",
  "rouge2",
  "rougeL",
  "rougeLsum",
  "chrf",
  "meteor",
  "judge-single",
  "judge-conciseness",
  "judge-relevance",
  "judge-coherence",
  "judge-helpfulness",
  "judge-geval",
  "length",
  "refusal",
  "perplexity",
  "embedding-cosine",
  "bertscore",
  "ragas-faithfulness",
  "ragas-answer-relevancy",
  "ragas-context-precision",
  "ragas-context-recall",
  "ragas-answer-correctness",
] as const;

/** Id of a registered evaluator. */
export type EvaluatorId = (typeof EVALUATOR_IDS)[number];

/** True when `id` names a registered evaluator. */
export function isEvaluatorId(id: string): id is EvaluatorId {
  return (EVALUATOR_IDS as readonly string[]).includes(id);
}

export const EVALUATORS = {
  bleu: defineEvaluator({
    descriptor: { ...bleu.descriptor, id: "bleu", label: "BLEU, sacrebleu sentence BLEU (13a, 0-100)" },
    optionsSchema: sacreBleuOptions,
    signature: (_ctx, o) => `bleu|sacrebleu-${bleu.SACREBLEU_VERSION}|sentence|${stableJson(o)}`,
    run: (input, _ctx, o) => bleu.score(input, { mode: "sacrebleu", ...o }),
  }),
  "bleu-hf": defineEvaluator({
    descriptor: {
      ...bleu.descriptor,
      id: "bleu-hf",
      label: "BLEU, HF evaluate compatible (0-1, as the seed study)",
      range: [0, 1],
    },
    optionsSchema: hfBleuOptions,
    signature: (_ctx, o) => `bleu-hf|hf-evaluate|${stableJson(o)}`,
    run: (input, _ctx, o) => bleu.score(input, { mode: "hf-evaluate", ...o }),
  }),
  rouge1: rougeEvaluator("rouge1"),
  rouge2: rougeEvaluator("rouge2"),
  rougeL: rougeEvaluator("rougeL"),
  rougeLsum: rougeEvaluator("rougeLsum"),
  chrf: defineEvaluator({
    descriptor: chrf.descriptor,
    optionsSchema: chrfOptions,
    signature: (_ctx, o) => `chrf|sacrebleu|${stableJson(o)}`,
    run: (input, _ctx, o) => chrf.score(input, o),
  }),
  meteor: defineEvaluator({
    descriptor: meteor.descriptor,
    optionsSchema: meteorOptions,
    requires: (ctx) =>
      ctx.wordnet === undefined
        ? "needs WordNet: set EvaluatorContext.wordnet = WordNet.fromWordnetDb() (or null to skip the synonym stage)"
        : undefined,
    signature: (ctx, o) => meteor.meteorSignature({ wordnet: ctx.wordnet ?? null, ...o }, 0).replace("|nrefs:0", ""),
    run: (input, ctx, o) => meteor.score(input, { wordnet: ctx.wordnet ?? null, ...o }),
  }),
  "judge-single": defineEvaluator({
    descriptor: judgeSingle.descriptor,
    optionsSchema: judgeSingle.optionsSchema,
    requires: needsJudge,
    signature: (ctx, o) => judgeSingle.singleJudgeSignature(o, ctx),
    run: (input, ctx, o, signal) => judgeSingle.score(input, ctx, o, signal),
  }),
  "judge-conciseness": criteriaEvaluator("conciseness"),
  "judge-relevance": criteriaEvaluator("relevance"),
  "judge-coherence": criteriaEvaluator("coherence"),
  "judge-helpfulness": criteriaEvaluator("helpfulness"),
  "judge-geval": defineEvaluator({
    descriptor: judgeGeval.descriptor,
    optionsSchema: judgeGeval.optionsSchema,
    requires: (ctx, o) => judgeGeval.gevalContextProblem(ctx, o),
    signature: (ctx, o) => judgeGeval.gevalSignature(o, ctx),
    run: (input, ctx, o, signal) => judgeGeval.score(input, ctx, o, signal),
  }),
  length: defineEvaluator({
    descriptor: length.descriptor,
    optionsSchema: length.optionsSchema,
    signature: (_ctx, o) => `length|unit:${o.unit}|split:unicode-whitespace`,
    run: (input, _ctx, o) => length.score(input, o),
  }),
  refusal: defineEvaluator({
    descriptor: refusal.descriptor,
    optionsSchema: noOptions,
    signature: () => `refusal|patterns:en-v${refusal.PATTERNS_VERSION}`,
    run: (input) => refusal.score(input),
  }),
  perplexity: defineEvaluator({
    descriptor: perplexity.descriptor,
    optionsSchema: perplexity.optionsSchema,
    requires: (ctx) =>
      ctx.tokenScorer
        ? undefined
        : "needs a reference LM: set EvaluatorContext.tokenScorer (LlamaTokenScorer.create(...))",
    signature: (ctx, o) => perplexity.perplexitySignature(o, ctx.tokenScorer?.modelId ?? "none"),
    run: (input, ctx, o, signal) => perplexity.score(input, ctx.tokenScorer!, o, signal),
  }),
  bertscore: defineEvaluator({
    descriptor: bertscore.descriptor,
    optionsSchema: bertscore.optionsSchema,
    requires: (ctx, o) => bertscore.contextProblem(ctx.bertscore, o),
    signature: (ctx, o) => bertscore.bertScoreSignature(ctx.bertscore, o),
    run: (input, ctx, o, signal) => bertscore.score(input, ctx.bertscore!, o, signal),
  }),
  "embedding-cosine": defineEvaluator({
    descriptor: embedding.descriptor,
    optionsSchema: noOptions,
    requires: needsEmbedder,
    signature: (ctx) => embedding.embeddingSignature(ctx.embedder?.modelId ?? "none"),
    run: (input, ctx, _o, signal) => embedding.score(input, ctx.embedder!, signal),
  }),
  "ragas-faithfulness": defineEvaluator({
    descriptor: faithfulness.descriptor,
    optionsSchema: noOptions,
    requires: needsJudge,
    signature: (ctx) => faithfulness.signature(ctx),
    run: (input, ctx, _o, signal) => faithfulness.score(input, ctx, signal),
  }),
  "ragas-answer-relevancy": defineEvaluator({
    descriptor: answerRelevancy.descriptor,
    optionsSchema: answerRelevancy.optionsSchema,
    requires: needsJudgeAndEmbedder,
    signature: (ctx, o) => answerRelevancy.signature(o, ctx),
    run: (input, ctx, o, signal) => answerRelevancy.score(input, ctx, o, signal),
  }),
  "ragas-context-precision": defineEvaluator({
    descriptor: contextPrecision.descriptor,
    optionsSchema: contextPrecision.optionsSchema,
    requires: needsJudge,
    signature: (ctx, o) => contextPrecision.signature(o, ctx),
    run: (input, ctx, o, signal) => contextPrecision.score(input, ctx, o, signal),
  }),
  "ragas-context-recall": defineEvaluator({
    descriptor: contextRecall.descriptor,
    optionsSchema: noOptions,
    requires: needsJudge,
    signature: (ctx) => contextRecall.signature(ctx),
    run: (input, ctx, _o, signal) => contextRecall.score(input, ctx, signal),
  }),
  "ragas-answer-correctness": defineEvaluator({
    descriptor: answerCorrectness.descriptor,
    optionsSchema: answerCorrectness.optionsSchema,
    requires: (ctx, o) => needsJudge(ctx) ?? (o.weights[1] > 0 ? needsEmbedder(ctx) : undefined),
    signature: (ctx, o) => answerCorrectness.signature(o, ctx),
    run: (input, ctx, o, signal) => answerCorrectness.score(input, ctx, o, signal),
  }),
} satisfies Record<EvaluatorId, Evaluator>;

/** One problem with the `evaluate.evaluators` list of an experiment file; `path` is relative to `evaluate`. */
export interface EvaluatorConfigIssue {
  path: Array<string | number>;
  message: string;
}

/**
 * Checks each entry of an experiment's `evaluate.evaluators` against the registry: a known id, and options
 * that its options schema accepts. Used by `loadExperiment`, so that a typo is reported with the file's line
 * before any stage runs. Returns [] when every entry is fine.
 */
export function evaluatorConfigIssues(
  entries: ReadonlyArray<string | { id: string; options?: Record<string, unknown> }>,
): EvaluatorConfigIssue[] {
  const issues: EvaluatorConfigIssue[] = [];
  entries.forEach((e, i) => {
    const id = typeof e === "string" ? e : e.id;
    const at = typeof e === "string" ? ["evaluators", i] : ["evaluators", i, "id"];
    if (!isEvaluatorId(id)) {
      const near = EVALUATOR_IDS.filter((k) => k.includes(id) || id.includes(k) || editDistance(k, id) <= 2);
      issues.push({
        path: at,
        message: `unknown evaluator "${id}"${near.length ? ` (did you mean ${near.join(", ")}?)` : ""}; known: ${EVALUATOR_IDS.join(", ")}`,
      });
      return;
    }
    if (typeof e === "string") return;
    const r = EVALUATORS[id].optionsSchema.safeParse(e.options ?? {});
    if (!r.success)
      for (const x of r.error.issues)
        issues.push({
          path: ["evaluators", i, "options", ...x.path.map((p) => (typeof p === "symbol" ? String(p) : p))],
          message: x.message,
        });
  });
  return issues;
}

/** Levenshtein distance (for "did you mean"). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}
