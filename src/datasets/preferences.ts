/**
 * Preference pairs for DPO and reward models, in TRL's conversational preference format
 * (`prompt` = system + user messages, `chosen` / `rejected` = one assistant message each), plus
 * `source`, `margin` and `meta` provenance columns that TRL ignores.
 *
 * Sources (see `PreferencesSchema`): Reddit votes (two top-level answers to one post), human pairwise
 * choices (the rows of `wayfarer human export --what preferences`), LLM-judge pairwise verdicts that agree
 * in both orders, and the seed study's rule (first vs last quarter of a post's comment text), kept only to
 * show that the separability report flags it.
 *
 * Every candidate goes through the same filters, counted by reason: empty text, chosen identical to
 * rejected, and identical once both are truncated to the training length in the base model's tokens.
 */
import type { PreferenceSourceConfig } from "../config/datasets-recipes.ts";
import type { HumanPreferencePair } from "../evaluation/human/tasks.ts";
import type { Comment, Thread } from "../reddit/thread.ts";
import { questionOfThread, type SftMessage } from "./sft.ts";

/** Where a pair came from. */
export type PreferenceSource = PreferenceSourceConfig["kind"];

/** One pair (a line of `preferences/*.jsonl`). */
export interface PreferencePair {
  prompt: SftMessage[];
  chosen: SftMessage[];
  rejected: SftMessage[];
  source: PreferenceSource;
  /**
   * Strength of the preference where the source has one: reddit-votes = chosen score - rejected score
   * (Reddit points); human = raters choosing chosen minus raters choosing rejected on that pair; null otherwise.
   */
  margin: number | null;
  meta: Record<string, string | number | null>;
}

/** Why a candidate pair or thread gave no pair. */
export type PreferenceSkipReason =
  | "fewer-than-two-answers"
  | "no-pair-passes-margin"
  | "empty-question"
  | "empty-text"
  | "no-comments"
  | "identical"
  | "identical-after-truncation"
  | "judge-tie"
  | "human-even-split"
  | "judge-inconsistent"
  | "judge-unparseable"
  | "judge-answer-missing";

/** Counts of skip reasons (only reasons that occurred are present). */
export type SkipCounts = Partial<Record<PreferenceSkipReason, number>>;

/** Adds `n` (default 1) to the count of `reason`. */
export function countSkip(counts: SkipCounts, reason: PreferenceSkipReason, n = 1): void {
  counts[reason] = (counts[reason] ?? 0) + n;
}

const promptOf = (systemPrompt: string, question: string): SftMessage[] => [
  { role: "system", content: systemPrompt },
  { role: "user", content: question },
];
const answer = (content: string): SftMessage[] => [{ role: "assistant", content }];

/** Options of {@link redditVotePairs}. */
export type RedditVotesOptions = Extract<PreferenceSourceConfig, { kind: "reddit-votes" }> & { systemPrompt: string };

/**
 * Pairs from Reddit votes on one thread: the best-scored non-empty top-level comment (ties: the earlier one)
 * is chosen; rejected are the lowest-scored other top-level comments, lowest first, that pass both
 * `chosen.score - rejected.score >= minScoreMargin` and `chosen.score / max(rejected.score, 1) >= minScoreRatio`,
 * up to `maxPairsPerThread`. Comments shorter than `minChars` take no part. Returns the pairs, or why none.
 */
export function redditVotePairs(thread: Thread, o: RedditVotesOptions): PreferencePair[] | PreferenceSkipReason {
  const question = questionOfThread(thread);
  if (!question) return "empty-question";
  const answers = thread.comments
    .map((c, i) => ({ c, i, body: c.body.trim() }))
    .filter((x) => x.c.depth === 0 && x.body.length >= o.minChars && !/^\[(deleted|removed)\]$/.test(x.body));
  if (answers.length < 2) return "fewer-than-two-answers";
  const byScore = [...answers].sort((a, b) => b.c.score - a.c.score || a.c.created_utc - b.c.created_utc || a.i - b.i);
  const best = byScore[0]!;
  const out: PreferencePair[] = [];
  for (const r of byScore.slice(1).reverse()) {
    if (out.length >= o.maxPairsPerThread) break;
    const margin = best.c.score - r.c.score;
    if (margin < o.minScoreMargin || best.c.score / Math.max(r.c.score, 1) < o.minScoreRatio) continue;
    out.push(votePair(thread, question, best.c, r.c, o.systemPrompt));
  }
  return out.length > 0 ? out : "no-pair-passes-margin";
}

function votePair(thread: Thread, question: string, c: Comment, r: Comment, systemPrompt: string): PreferencePair {
  return {
    prompt: promptOf(systemPrompt, question),
    chosen: answer(c.body.trim()),
    rejected: answer(r.body.trim()),
    source: "reddit-votes",
    margin: c.score - r.score,
    meta: {
      thread: thread.post.name,
      subreddit: thread.post.subreddit,
      chosen_comment: c.name,
      rejected_comment: r.name,
      chosen_score: c.score,
      rejected_score: r.score,
    },
  };
}

/**
 * The seed study's rule-built pair (reference/seed-system.md, "RLHF"): the comment text of a post (every
 * comment body in thread order, joined with a space) is cut into quarters by characters (JavaScript
 * string indices); the first quarter is chosen, the last quarter rejected. Kept only for comparison: the
 * separability report shows such pairs are trivially separable.
 */
export function ruleQuarterPair(thread: Thread, systemPrompt: string): PreferencePair | PreferenceSkipReason {
  const question = questionOfThread(thread);
  if (!question) return "empty-question";
  const text = thread.comments
    .map((c) => c.body.trim())
    .filter((b) => b.length > 0)
    .join(" ");
  if (!text) return "no-comments";
  const q = Math.floor(text.length / 4);
  if (q === 0) return "empty-text";
  return {
    prompt: promptOf(systemPrompt, question),
    chosen: answer(text.slice(0, q)),
    rejected: answer(text.slice(text.length - q)),
    source: "rule-quarters",
    margin: null,
    meta: { thread: thread.post.name, subreddit: thread.post.subreddit, quarter_chars: q },
  };
}

/**
 * Human pairwise choices (rows of `exportPreferencePairs`, one per rater and non-tie choice) merged per
 * (item, answer pair): the majority answer is chosen, `margin` = raters for it minus raters against it;
 * an even split is a tie and is counted, not kept.
 */
export function humanPairs(
  rows: readonly HumanPreferencePair[],
  systemPrompt: string,
  skipped: SkipCounts,
): PreferencePair[] {
  const groups = new Map<string, { row: HumanPreferencePair; votes: Map<string, number>; raters: number }>();
  for (const r of rows) {
    const [a, b] = [r.provenance.chosen_variant, r.provenance.rejected_variant].sort();
    const key = JSON.stringify([r.provenance.item_id, a, b]);
    const g = groups.get(key) ?? { row: r, votes: new Map<string, number>(), raters: 0 };
    g.votes.set(r.provenance.chosen_variant, (g.votes.get(r.provenance.chosen_variant) ?? 0) + 1);
    g.raters++;
    groups.set(key, g);
  }
  const out: PreferencePair[] = [];
  for (const g of groups.values()) {
    const p = g.row.provenance;
    const forRow = g.votes.get(p.chosen_variant) ?? 0;
    const against = g.raters - forRow;
    if (forRow === against) {
      countSkip(skipped, "human-even-split");
      continue;
    }
    const keep = forRow > against;
    out.push({
      prompt: promptOf(systemPrompt, g.row.prompt),
      chosen: answer(keep ? g.row.chosen : g.row.rejected),
      rejected: answer(keep ? g.row.rejected : g.row.chosen),
      source: "human",
      margin: Math.abs(forRow - against),
      meta: {
        experiment: p.experiment,
        item_id: p.item_id,
        chosen_variant: keep ? p.chosen_variant : p.rejected_variant,
        rejected_variant: keep ? p.rejected_variant : p.chosen_variant,
        raters: g.raters,
      },
    });
  }
  return out;
}

/** The fields of an `evaluate/pairwise.jsonl` line that {@link judgePairs} reads. */
export interface JudgeVerdictLine {
  itemId: string;
  variantA: string;
  variantB: string;
  status: "scored" | "unparseable" | "error";
  verdict: "A" | "B" | "tie" | null;
  consistent: boolean | null;
  signature?: string;
}

/** The fields of a `generate/answers.jsonl` line that {@link judgePairs} reads. */
export interface JudgeAnswerLine {
  variant: string;
  itemId: string;
  question: string;
  answer: string;
}

/**
 * Pairs from LLM-judge pairwise verdicts: only comparisons judged in both orders with the same winner
 * (`verdict` A or B, `consistent` true) become pairs; ties, inconsistent orders, unparseable and failed
 * comparisons, and verdicts whose answers are missing are counted by reason.
 */
export function judgePairs(
  verdicts: readonly JudgeVerdictLine[],
  answers: readonly JudgeAnswerLine[],
  o: { systemPrompt: string; from: string },
  skipped: SkipCounts,
): PreferencePair[] {
  const byKey = new Map(answers.map((a) => [`${a.variant}\u0000${a.itemId}`, a]));
  const out: PreferencePair[] = [];
  for (const v of verdicts) {
    if (v.status !== "scored" || v.verdict === null) {
      countSkip(skipped, "judge-unparseable");
      continue;
    }
    if (v.verdict === "tie") {
      countSkip(skipped, v.consistent === false ? "judge-inconsistent" : "judge-tie");
      continue;
    }
    if (v.consistent !== true) {
      countSkip(skipped, "judge-inconsistent");
      continue;
    }
    const a = byKey.get(`${v.variantA}\u0000${v.itemId}`);
    const b = byKey.get(`${v.variantB}\u0000${v.itemId}`);
    if (!a || !b) {
      countSkip(skipped, "judge-answer-missing");
      continue;
    }
    const [c, r] = v.verdict === "A" ? [a, b] : [b, a];
    out.push({
      prompt: promptOf(o.systemPrompt, a.question),
      chosen: answer(c.answer),
      rejected: answer(r.answer),
      source: "judge",
      margin: null,
      meta: {
        experiment: o.from,
        item_id: v.itemId,
        chosen_variant: c.variant,
        rejected_variant: r.variant,
        judge_signature: v.signature ?? null,
      },
    });
  }
  return out;
}

/** A tokenizer of the base model: text -> token ids (no special tokens added). */
export interface Tokenizer {
  /** What tokenizes, for the card (e.g. the GGUF file name). */
  readonly id: string;
  tokenize(text: string): readonly number[];
}

/** Settings of {@link filterPairs}. */
export interface PairFilterOptions {
  tokenizer: Tokenizer;
  /** Max tokens of prompt + answer (TRL DPOConfig max_length). */
  maxLength: number;
  /** Prompt tokens kept, from the end (TRL max_prompt_length with truncation_mode keep_end). */
  maxPromptLength: number;
}

const sameTokens = (a: readonly number[], b: readonly number[], n: number): boolean => {
  const la = Math.min(a.length, n);
  if (la !== Math.min(b.length, n)) return false;
  for (let i = 0; i < la; i++) if (a[i] !== b[i]) return false;
  return true;
};

/**
 * Drops and counts pairs with an empty side, pairs whose chosen and rejected texts are identical (after
 * trimming), and pairs identical once truncated the way the trainer truncates: the prompt (system + user
 * contents, one space between) keeps its last `maxPromptLength` tokens, and each answer keeps its first
 * `maxLength - promptTokens` tokens. Chat-template tokens are not counted (the trainer's budget is a few
 * tokens smaller, so a pair that differs only in those last tokens can slip through). Input order is kept.
 */
export function filterPairs(
  pairs: readonly PreferencePair[],
  o: PairFilterOptions,
  skipped: SkipCounts,
): PreferencePair[] {
  const out: PreferencePair[] = [];
  for (const p of pairs) {
    const c = p.chosen[0]?.content.trim() ?? "";
    const r = p.rejected[0]?.content.trim() ?? "";
    if (!c || !r || !(p.prompt.at(-1)?.content.trim() ?? "")) {
      countSkip(skipped, "empty-text");
      continue;
    }
    if (c === r) {
      countSkip(skipped, "identical");
      continue;
    }
    const promptTokens = Math.min(
      o.tokenizer.tokenize(p.prompt.map((m) => m.content).join(" ")).length,
      o.maxPromptLength,
    );
    const budget = Math.max(0, o.maxLength - promptTokens);
    if (sameTokens(o.tokenizer.tokenize(c), o.tokenizer.tokenize(r), budget)) {
      countSkip(skipped, "identical-after-truncation");
      continue;
    }
    out.push(p);
  }
  return out;
}
