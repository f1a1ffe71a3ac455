/**
 * The experiment file (`wayfarer run experiment.yaml`): one zod schema per stage, composed here.
 * This file holds the types, defaults and help text of every setting that is not a stage's own
 * (`corpus.ts`, `import.ts`). Relative paths in the file are resolved against the file's folder.
 */
import { z } from "zod";
import { CollectOptionsSchema } from "./collect.ts";
import { CorpusOptionsSchema } from "./corpus.ts";
import { datasetsRecipeIssues, GoldenBuildSchema, PreferencesSchema, SynthesisSchema } from "./datasets-recipes.ts";
import { ImportOptionsSchema } from "./import.ts";
import { PostprocessSchema } from "./postprocess.ts";
import { RaftDatasetSchema } from "./raft.ts";
import { RetrievalSchema } from "./rag.ts";
import { RetrievalConfigSchema } from "./retrieval.ts";
import { SelectionsSchema, studyIssues } from "./study.ts";
import { checkTrainAdapters, TrainAdapterSchema } from "./training.ts";

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const Name = z.string().regex(NAME, "use letters, digits, '.', '_' or '-' (no spaces)");

export const DEFAULT_SYSTEM_PROMPT =
  "You are Wayfarer, a friendly travel assistant. Answer the traveller's question with specific, practical advice.";

export const LlamaModelSchema = z
  .object({
    provider: z.literal("llama").describe("A local GGUF file served by node-llama-cpp."),
    path: z
      .string()
      .min(1)
      .describe(
        "A .gguf file (relative to the experiment file), or the name of a model in the Wayfarer model cache (e.g. smollm2-135m-instruct-q4_1, installed by setup).",
      ),
    contextSize: z.number().int().min(256).default(2048).describe("Context window in tokens (prompt + answer)."),
    threads: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe("CPU threads for llama.cpp; default half the cores (more than the free cores slows it 100x)."),
  })
  .strict();

export const OpenAIModelSchema = z
  .object({
    provider: z.literal("openai-compatible").describe("Any OpenAI-compatible /chat/completions endpoint."),
    baseURL: z.string().url().describe("Base URL up to /v1, e.g. https://api.openai.com/v1."),
    model: z.string().min(1).describe("Model id sent to the endpoint."),
    apiKeyEnv: z
      .string()
      .default("OPENAI_API_KEY")
      .describe("Name of the environment variable holding the key (the key itself never goes in the file)."),
    structuredOutputs: z.boolean().default(true).describe("Send response_format json_schema when asked for JSON."),
  })
  .strict();

export const ModelSchema = z.discriminatedUnion("provider", [LlamaModelSchema, OpenAIModelSchema]);
export type ModelConfig = z.output<typeof ModelSchema>;

export const SftDatasetSchema = z
  .object({
    target: z
      .enum(["top-comment", "synthesis"])
      .default("top-comment")
      .describe(
        "What the assistant turn is: top-comment = the best-scored top-level comment; synthesis = a teacher model's summary of the top comments, filtered by question-answer similarity (as the seed study did; settings in `synthesis`).",
      ),
    synthesis: SynthesisSchema.prefault({}).describe("Teacher synthesis settings (used when target is synthesis)."),
    minTargetChars: z.number().int().min(1).default(40).describe("Skip threads whose target is shorter than this."),
    maxTargetChars: z.number().int().min(1).default(1200).describe("Skip threads whose target is longer than this."),
    minTargetScore: z.number().int().default(1).describe("Skip threads whose target comment scored below this."),
    maxExamples: z.number().int().min(1).nullable().default(null).describe("Keep at most this many (seeded sample)."),
    excludeGoldenOverlap: z
      .boolean()
      .default(true)
      .describe(
        "Drop threads whose question shares most content words with a golden question (train/test leakage guard; the seed study trained on the threads its golden questions came from).",
      ),
  })
  .strict();

export const GoldenDatasetSchema = z
  .object({
    file: z
      .string()
      .min(1)
      .describe(
        "CSV with columns Index, Notes, Golden Question, Golden Answer (the seed study's golden_answers.csv shape), or a reviewed golden .jsonl (accepted and edited items are used).",
      ),
    limit: z.number().int().min(1).nullable().default(null).describe("Use only the first N questions."),
    build: GoldenBuildSchema.optional().describe(
      "Also draft golden items from held-out threads with a teacher (golden-drafts/drafts.jsonl, reviewed: false); review them with `wayfarer golden review` and use the reviewed .jsonl as `file`.",
    ),
  })
  .strict();

export const DatasetsSchema = z
  .object({
    sft: SftDatasetSchema.prefault({}).describe("Supervised fine-tuning set in chat `messages` form."),
    golden: GoldenDatasetSchema.describe("The golden questions and answers used by generate and evaluate."),
    preferences: PreferencesSchema.optional().describe(
      "Preference pairs (prompt/chosen/rejected) for DPO and reward models, with a separability report.",
    ),
    raft: RaftDatasetSchema.optional().describe(
      "RAFT set (gorilla raft.py fields + messages + prompt/completion): teacher questions and chain-of-thought answers per retrieval document, the oracle with probability P and k distractors.",
    ),
  })
  .strict();

/** One `train.adapters` entry: method, LoRA and training settings (src/config/training.ts). */
export const AdapterSchema = TrainAdapterSchema;
export { LoraSchema, TrainingSchema } from "./training.ts";

export const RepeatPenaltySchema = z
  .object({
    penalty: z.number().min(1).max(2).default(1.1).describe("1 = off."),
    lastTokens: z.number().int().min(1).default(64),
  })
  .strict();

export const VariantSchema = z
  .object({
    name: Name.describe("Shown in the report; must be unique."),
    model: Name.describe("A key of `models`."),
    adapter: Name.optional().describe("Name of a trained adapter (train.adapters) applied to the model."),
    retrieval: RetrievalSchema.optional().describe("RAG: retrieve documents for each question (src/config/rag.ts)."),
    postprocess: PostprocessSchema.optional().describe("This variant's post-processing rules (default: generate's)."),
  })
  .strict();

export const GenerateSchema = z
  .object({
    variants: z.array(VariantSchema).min(1).describe("Model variants that answer every golden question."),
    maxTokens: z.number().int().min(1).default(200).describe("Upper bound on answer tokens."),
    temperature: z.number().min(0).max(2).default(0).describe("0 = greedy, reproducible."),
    seed: z.number().int().optional().describe("Sampling seed (default: the experiment seed)."),
    repeatPenalty: RepeatPenaltySchema.prefault({}),
    trimUnfinishedSentence: z
      .boolean()
      .default(true)
      .describe("When maxTokens cut the answer, drop the unfinished last sentence (nothing else is changed)."),
    postprocess: PostprocessSchema.optional().describe(
      "Post-processing rules for every variant (src/config/postprocess.ts); default: [trim-unfinished-sentence] when trimUnfinishedSentence, else none.",
    ),
  })
  .strict();

export const PairwiseSchema = z
  .object({
    judge: Name.optional().describe("A key of `models` used as the pairwise judge; default: evaluate.judge.model."),
    pairs: z
      .union([z.literal("all"), z.array(z.tuple([Name, Name])).min(1)], {
        error: 'expected "all" or a list of [A, B] variant-name pairs, e.g. [[base, sft]]',
      })
      .optional()
      .describe(
        'Variant pairs to compare, [A, B] (A is shown first in the first order), or "all" (every pair of variants, in the order they are listed). Give pairs or baseline.',
      ),
    baseline: Name.optional().describe(
      "Compare every other variant (as A) with this variant (as B). Give pairs or baseline.",
    ),
    reference: z
      .boolean()
      .default(true)
      .describe(
        "Show the golden answer to the judge (MT-Bench reference-guided prompt); false = the plain pair prompt.",
      ),
    maxTokens: z.number().int().min(16).max(8192).default(768).describe("Judge reply budget per order."),
  })
  .strict();
export type PairwiseConfig = z.output<typeof PairwiseSchema>;

export const EvaluateSchema = z
  .object({
    evaluators: z
      .array(
        z.union([
          z.string(),
          z.object({ id: z.string(), options: z.record(z.string(), z.unknown()).default({}) }).strict(),
        ]),
      )
      .default(["bleu", "rougeL", "judge-single"])
      .describe(
        "Evaluators to run: an id (see `wayfarer score --help`), or {id, options} with that evaluator's options.",
      ),
    judge: z
      .object({
        model: Name.describe("A key of `models` used as the LLM judge."),
      })
      .strict()
      .optional()
      .describe("The LLM judge; required when an evaluator needs one."),
    embedder: z
      .object({
        model: Name.describe(
          "A key of `models`: an openai-compatible entry (its `model` is the embedding model id, called at /embeddings) or a llama entry (a GGUF embedding model).",
        ),
      })
      .strict()
      .optional()
      .describe(
        "Sentence encoder for embedding-cosine and Ragas answer relevancy / answer correctness; default all-MiniLM-L6-v2 from the model cache (installed by setup).",
      ),
    referenceLm: z
      .object({
        model: Name.describe("A key of `models`: a llama (GGUF) model whose log-probabilities score answers."),
      })
      .strict()
      .optional()
      .describe("Reference language model of the perplexity evaluator; required when perplexity is listed."),
    concurrency: z.number().int().min(1).default(1).describe("Evaluator calls in flight at once."),
    pairwise: PairwiseSchema.optional().describe(
      "MT-Bench pairwise comparisons by an LLM judge, each in both orders (a win only when both orders agree, otherwise a tie); the report shows win/tie/loss per variant pair.",
    ),
  })
  .strict();

export const ExperimentSchema = z
  .object({
    name: Name.describe("Experiment name; outputs go to <workspace>/<name>/."),
    description: z.string().optional(),
    seed: z.number().int().default(42).describe("Seed for splits, sampling and training."),
    workspace: z
      .string()
      .default("runs")
      .describe("Folder (relative to the experiment file) for outputs and the store."),
    systemPrompt: z.string().default(DEFAULT_SYSTEM_PROMPT).describe("System message for training and generation."),
    collect: CollectOptionsSchema.optional().describe(
      "Fetch threads from the Reddit API first (OAuth credentials from the environment); its threads join the import inputs.",
    ),
    import: ImportOptionsSchema.prefault({ inputs: [] }),
    corpus: CorpusOptionsSchema.prefault({}),
    retrieval: RetrievalConfigSchema.prefault({}).describe(
      "The retrieval index (chunking, BM25, dense, hybrid) shared by RAFT distractors, RAG and Ragas contexts.",
    ),
    datasets: DatasetsSchema,
    models: z.record(Name, ModelSchema).describe("Named models: bases to train and serve, and judges."),
    train: z
      .object({ adapters: z.array(AdapterSchema).default([]) })
      .strict()
      .prefault({}),
    generate: GenerateSchema,
    evaluate: EvaluateSchema.prefault({}),
    selections: SelectionsSchema,
  })
  .strict()
  .superRefine((x, ctx) => {
    for (const issue of studyIssues(x)) ctx.addIssue({ code: "custom", ...issue });
    const model = (name: string, path: (string | number)[], wantLlama: boolean) => {
      const m = x.models[name];
      if (!m) {
        ctx.addIssue({
          code: "custom",
          path,
          message: `no model "${name}" in models (have: ${Object.keys(x.models).join(", ") || "none"})`,
        });
      } else if (wantLlama && m.provider !== "llama") {
        ctx.addIssue({
          code: "custom",
          path,
          message: `model "${name}" must be a local llama model to train or load adapters`,
        });
      }
    };
    if (!x.collect && x.import.inputs.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["import", "inputs"],
        message: "give at least one input path (or a collect section)",
      });
    }
    const adapters = new Set<string>();
    x.train.adapters.forEach((a, i) => {
      if (adapters.has(a.name))
        ctx.addIssue({
          code: "custom",
          path: ["train", "adapters", i, "name"],
          message: `duplicate adapter "${a.name}"`,
        });
      adapters.add(a.name);
      model(a.base, ["train", "adapters", i, "base"], true);
    });
    checkTrainAdapters(x, ctx);
    const variants = new Set<string>();
    x.generate.variants.forEach((v, i) => {
      if (variants.has(v.name))
        ctx.addIssue({
          code: "custom",
          path: ["generate", "variants", i, "name"],
          message: `duplicate variant "${v.name}"`,
        });
      variants.add(v.name);
      model(v.model, ["generate", "variants", i, "model"], v.adapter !== undefined);
      if (v.adapter !== undefined) {
        const a = x.train.adapters.find((t) => t.name === v.adapter);
        if (!a)
          ctx.addIssue({
            code: "custom",
            path: ["generate", "variants", i, "adapter"],
            message: `no adapter "${v.adapter}" in train.adapters`,
          });
        else if (a.base !== v.model)
          ctx.addIssue({
            code: "custom",
            path: ["generate", "variants", i, "adapter"],
            message: `adapter "${v.adapter}" was trained on "${a.base}", not "${v.model}"`,
          });
      }
    });
    for (const issue of datasetsRecipeIssues(x.datasets, x.models)) ctx.addIssue({ code: "custom", ...issue });
    if (x.evaluate.judge) model(x.evaluate.judge.model, ["evaluate", "judge", "model"], false);
    if (x.evaluate.embedder) model(x.evaluate.embedder.model, ["evaluate", "embedder", "model"], false);
    if (x.evaluate.referenceLm) model(x.evaluate.referenceLm.model, ["evaluate", "referenceLm", "model"], false);
    const pw = x.evaluate.pairwise;
    if (pw) {
      const at = ["evaluate", "pairwise"];
      if (pw.judge !== undefined) model(pw.judge, [...at, "judge"], false);
      else if (!x.evaluate.judge)
        ctx.addIssue({
          code: "custom",
          path: [...at, "judge"],
          message: "set evaluate.pairwise.judge or evaluate.judge.model",
        });
      if ((pw.pairs === undefined) === (pw.baseline === undefined)) {
        ctx.addIssue({ code: "custom", path: at, message: "give either pairs or baseline (not both)" });
      }
      const variant = (name: string, path: (string | number)[]) => {
        if (!variants.has(name))
          ctx.addIssue({
            code: "custom",
            path,
            message: `no variant "${name}" in generate.variants (have: ${[...variants].join(", ")})`,
          });
      };
      if (pw.baseline !== undefined) {
        variant(pw.baseline, [...at, "baseline"]);
        if (variants.size < 2)
          ctx.addIssue({
            code: "custom",
            path: [...at, "baseline"],
            message: "a baseline needs at least one other variant",
          });
      }
      if (pw.pairs === "all" && variants.size < 2)
        ctx.addIssue({ code: "custom", path: [...at, "pairs"], message: "pairs: all needs at least two variants" });
      if (Array.isArray(pw.pairs)) {
        const seenPairs = new Set<string>();
        pw.pairs.forEach(([a, b], i) => {
          variant(a, [...at, "pairs", i, 0]);
          variant(b, [...at, "pairs", i, 1]);
          if (a === b)
            ctx.addIssue({ code: "custom", path: [...at, "pairs", i], message: `pair compares "${a}" with itself` });
          // [a, b] and [b, a] are the same comparison: both orders are judged either way
          const k = JSON.stringify([a, b].sort());
          if (seenPairs.has(k))
            ctx.addIssue({
              code: "custom",
              path: [...at, "pairs", i],
              message: `pair [${a}, ${b}] is listed twice (in either order: each pair is judged in both orders anyway)`,
            });
          seenPairs.add(k);
        });
      }
    }
  });

/** The ordered [A, B] variant pairs of `evaluate.pairwise` (empty without a pairwise section). */
export function pairwisePairs(x: Experiment): [string, string][] {
  const pw = x.evaluate.pairwise;
  if (!pw) return [];
  const names = x.generate.variants.map((v) => v.name);
  if (pw.baseline !== undefined) return names.filter((n) => n !== pw.baseline).map((n) => [n, pw.baseline!]);
  if (pw.pairs === "all") return names.flatMap((a, i) => names.slice(i + 1).map((b): [string, string] => [a, b]));
  return (pw.pairs ?? []).map(([a, b]) => [a, b]);
}

/** The model key that judges pairwise comparisons (evaluate.pairwise.judge, else evaluate.judge.model). */
export function pairwiseJudgeModel(x: Experiment): string | undefined {
  return x.evaluate.pairwise ? (x.evaluate.pairwise.judge ?? x.evaluate.judge?.model) : undefined;
}

export type ExperimentInput = z.input<typeof ExperimentSchema>;
export type Experiment = z.output<typeof ExperimentSchema>;
export type AdapterConfig = z.output<typeof AdapterSchema>;
export type VariantConfig = z.output<typeof VariantSchema>;
