/**
 * Settings of the per-method dataset recipes of the `datasets` stage that go beyond the top-comment SFT set:
 * SFT `synthesis` targets written by a teacher model, preference pairs (Reddit votes, human choices, judge
 * verdicts, and the seed study's rule for comparison), the teacher-built golden drafts, and the city/region
 * focus of the corpus. This file is the only place that holds their types, defaults and help text
 * (STYLE.md #6); `experiment.ts` and `corpus.ts` hook them in.
 */
import { z } from "zod";

const ModelKey = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "use letters, digits, '.', '_' or '-' (no spaces)")
  .describe("A key of `models`.");

/** The study's question–answer similarity thresholds (seed-system.md: 0.65 -> 1,425 rows, 0.75 -> 286, 0.8 -> 73). */
export const STUDY_SIMILARITY_THRESHOLDS = [0.65, 0.75, 0.8] as const;

export const DEFAULT_SYNTHESIS_PROMPT =
  "Below are answers that Reddit users gave to a traveller's question. Write one helpful answer to the question that combines the useful, specific advice they agree on. Write it as a direct answer to the traveller, in at most {maxWords} words, without mentioning Reddit, users or comments.\n\nQuestion:\n{question}\n\nAnswers:\n{comments}";

export const SynthesisSchema = z
  .object({
    teacher: ModelKey.optional().describe(
      "A key of `models` (local GGUF or OpenAI-compatible) that writes the targets; required when sft.target is synthesis.",
    ),
    topK: z
      .number()
      .int()
      .min(1)
      .max(50)
      .default(5)
      .describe("Summarise the k best-scored top-level comments (ties: the earlier one)."),
    maxCommentChars: z
      .number()
      .int()
      .min(20)
      .default(1200)
      .describe("Each comment is cut to this many characters in the prompt."),
    maxWords: z.number().int().min(10).default(150).describe("Length asked of the teacher ({maxWords} in the prompt)."),
    maxTokens: z.number().int().min(8).default(320).describe("Teacher reply budget in tokens."),
    temperature: z.number().min(0).max(2).default(0).describe("0 = greedy, reproducible."),
    prompt: z
      .string()
      .default(DEFAULT_SYNTHESIS_PROMPT)
      .refine((p) => p.includes("{question}") && p.includes("{comments}"), {
        message: "the prompt must contain {question} and {comments}",
      })
      .describe("Teacher prompt; {question}, {comments} (numbered) and {maxWords} are filled in."),
    minSimilarity: z
      .number()
      .min(-1)
      .max(1)
      .nullable()
      .default(0.65)
      .describe(
        "Keep a synthesised target only when the cosine similarity of MiniLM embeddings of question (title + body) and answer is at least this (the study: 0.65, 0.75, 0.8). null keeps all.",
      ),
    reportThresholds: z
      .array(z.number().min(-1).max(1))
      .default([...STUDY_SIMILARITY_THRESHOLDS])
      .describe("Thresholds whose kept/dropped counts the card lists (whatever minSimilarity is)."),
  })
  .strict();
export type SynthesisConfig = z.output<typeof SynthesisSchema>;

const RedditVotesSource = z
  .object({
    kind: z.literal("reddit-votes").describe("Two top-level answers to one post, the better-voted one chosen."),
    minScoreMargin: z.number().int().min(0).default(5).describe("chosen.score - rejected.score must be at least this."),
    minScoreRatio: z
      .number()
      .min(1)
      .default(2)
      .describe(
        "chosen.score / max(rejected.score, 1) must be at least this (scores below 1 count as 1, so a negative rejected answer always passes).",
      ),
    maxPairsPerThread: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe("Pairs per post: the best answer against the lowest-scored ones that pass, in that order."),
    minChars: z.number().int().min(1).default(20).describe("Both answers need at least this many characters."),
  })
  .strict();

const HumanSource = z
  .object({
    kind: z
      .literal("human")
      .describe("Human pairwise choices from the rater UI (as `wayfarer human export --what preferences`)."),
    experiment: z
      .string()
      .optional()
      .describe(
        "Experiment whose rating tasks to read from the workspace store; default this experiment. Ratings arrive at any time: rerun the stage with --force to pick up new ones.",
      ),
  })
  .strict();

const JudgeSource = z
  .object({
    kind: z
      .literal("judge")
      .describe(
        "LLM-judge pairwise verdicts that agree in both orders (evaluate/pairwise.jsonl with generate/answers.jsonl).",
      ),
    from: z
      .string()
      .min(1)
      .describe(
        "Experiment (name) whose evaluate/pairwise.jsonl and generate/answers.jsonl in this workspace give verdicts and answers.",
      ),
  })
  .strict();

const RuleQuartersSource = z
  .object({
    kind: z
      .literal("rule-quarters")
      .describe(
        "The seed study's rule, for comparison only: the first quarter of a post's comment text (comments joined in thread order) is chosen, the last quarter rejected. The separability report flags it.",
      ),
  })
  .strict();

export const PreferenceSourceSchema = z.discriminatedUnion("kind", [
  RedditVotesSource,
  HumanSource,
  JudgeSource,
  RuleQuartersSource,
]);
export type PreferenceSourceConfig = z.output<typeof PreferenceSourceSchema>;

export const SeparabilitySchema = z
  .object({
    folds: z
      .number()
      .int()
      .min(2)
      .max(20)
      .default(5)
      .describe("k of the k-fold cross-validation behind every held-out accuracy (fewer pairs than k: one per fold)."),
    flagAccuracy: z
      .number()
      .min(0.5)
      .max(1)
      .default(0.9)
      .describe(
        "A set is flagged trivially separable when any trivial classifier's held-out accuracy reaches this (the study's rule-built pairs reached reward accuracy 1.0).",
      ),
    l2: z.number().min(0).default(1).describe("L2 penalty of the logistic regressions (on the mean log loss)."),
  })
  .strict();
export type SeparabilityConfig = z.output<typeof SeparabilitySchema>;

export const PreferencesSchema = z
  .object({
    sources: z
      .array(PreferenceSourceSchema)
      .min(1)
      .describe(
        "Where pairs come from; each pair keeps its source. Corpus sources read the train and validation splits.",
      ),
    tokenizer: ModelKey.optional().describe(
      "A key of `models` (provider llama) whose GGUF tokenizer measures lengths; default: the base of the first dpo/reward adapter, else the first llama model.",
    ),
    maxLength: z
      .number()
      .int()
      .min(16)
      .default(512)
      .describe("Training max length in tokens, prompt + answer (TRL DPOConfig max_length)."),
    maxPromptLength: z
      .number()
      .int()
      .min(1)
      .default(256)
      .describe("Prompt tokens kept (the end of the prompt is kept, TRL truncation_mode keep_end)."),
    separability: SeparabilitySchema.prefault({}),
  })
  .strict();
export type PreferencesConfig = z.output<typeof PreferencesSchema>;

export const DEFAULT_GOLDEN_PROMPT =
  'Below is a traveller\'s question from Reddit and the answers other users gave. Write one question a traveller could ask a travel assistant about this topic (self-contained, no mention of Reddit) and a correct, specific golden answer to it that uses only facts from the answers. Reply with JSON only: {"question": "...", "answer": "..."}.\n\nPost:\n{question}\n\nAnswers:\n{comments}';

export const GoldenBuildSchema = z
  .object({
    teacher: ModelKey.describe("A key of `models` that drafts the question/answer pairs."),
    split: z
      .enum(["test", "validation"])
      .default("test")
      .describe("Held-out corpus split whose threads become drafts (never train)."),
    maxItems: z
      .number()
      .int()
      .min(1)
      .default(20)
      .describe("Draft at most this many items (first threads of the split)."),
    minComments: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe("Threads with fewer non-empty top-level comments are skipped."),
    topK: z.number().int().min(1).default(5).describe("Best-scored top-level comments shown to the teacher."),
    maxCommentChars: z.number().int().min(20).default(1200).describe("Each comment is cut to this many characters."),
    maxTokens: z.number().int().min(16).default(400).describe("Teacher reply budget in tokens."),
    temperature: z.number().min(0).max(2).default(0),
    prompt: z
      .string()
      .default(DEFAULT_GOLDEN_PROMPT)
      .refine((p) => p.includes("{question}") && p.includes("{comments}"), {
        message: "the prompt must contain {question} and {comments}",
      })
      .describe("Teacher prompt; {question} and {comments} are filled in; the reply must be JSON {question, answer}."),
  })
  .strict();
export type GoldenBuildConfig = z.output<typeof GoldenBuildSchema>;

export const FocusSchema = z
  .object({
    place: z.string().min(1).describe("The city or region, e.g. London; matched like an alias."),
    aliases: z
      .array(z.string().min(1))
      .default([])
      .describe(
        "Other names of the place and its parts (e.g. Lisbon: lisboa, alfama, belém); matched as whole words, case- and accent-insensitive.",
      ),
    subreddits: z
      .array(z.string().min(1))
      .default([])
      .describe("Subreddits kept whole (case-insensitive, without r/), e.g. [london]."),
  })
  .strict()
  .describe(
    "Keep only threads about one place: from the named subreddits, or whose title or body mentions the place or an alias. Counts in the corpus card.",
  );
export type FocusConfig = z.output<typeof FocusSchema>;

/** A problem found by {@link datasetsRecipeIssues}: path under the experiment root, and message. */
export interface RecipeIssue {
  path: (string | number)[];
  message: string;
}

/**
 * Cross-field checks of the recipes against the experiment's `models` (run when the experiment is parsed):
 * every teacher (synthesis, golden build, RAFT) and tokenizer names a model; a tokenizer is a local llama model; synthesis has a teacher.
 */
export function datasetsRecipeIssues(
  datasets: {
    sft: { target: string; synthesis: SynthesisConfig };
    preferences?: PreferencesConfig | undefined;
    golden: { build?: GoldenBuildConfig | undefined };
    raft?: { teacher: string } | undefined;
  },
  models: Record<string, { provider: string }>,
): RecipeIssue[] {
  const issues: RecipeIssue[] = [];
  const have = Object.keys(models).join(", ") || "none";
  const model = (name: string, path: (string | number)[], llama = false) => {
    const m = models[name];
    if (!m) issues.push({ path, message: `no model "${name}" in models (have: ${have})` });
    else if (llama && m.provider !== "llama")
      issues.push({ path, message: `model "${name}" must be a local llama model (its GGUF tokenizer is used)` });
  };
  const s = datasets.sft;
  if (s.target === "synthesis") {
    if (s.synthesis.teacher === undefined)
      issues.push({
        path: ["datasets", "sft", "synthesis", "teacher"],
        message: "sft.target synthesis needs datasets.sft.synthesis.teacher (a key of models)",
      });
    else model(s.synthesis.teacher, ["datasets", "sft", "synthesis", "teacher"]);
  }
  const p = datasets.preferences;
  if (p) {
    if (p.tokenizer !== undefined) model(p.tokenizer, ["datasets", "preferences", "tokenizer"], true);
    else if (!Object.values(models).some((m) => m.provider === "llama"))
      issues.push({
        path: ["datasets", "preferences", "tokenizer"],
        message: "preferences need a tokenizer: add a local llama model to models or name one here",
      });
    if (p.maxPromptLength >= p.maxLength)
      issues.push({
        path: ["datasets", "preferences", "maxPromptLength"],
        message: `must be below maxLength (${p.maxLength}): the answers need room`,
      });
  }
  if (datasets.golden.build) model(datasets.golden.build.teacher, ["datasets", "golden", "build", "teacher"]);
  if (datasets.raft) model(datasets.raft.teacher, ["datasets", "raft", "teacher"]);
  return issues;
}
