/**
 * SFT `synthesis` targets, as the seed study built them: a teacher model summarises the top k comments of a
 * thread into one answer, and a question–answer embedding-similarity filter keeps the answers that stay on
 * the question (study thresholds 0.65 / 0.75 / 0.8 on title + body vs summary; seed-system.md).
 *
 * Pure parts here (prompt, reply handling, threshold counts); the stage runs the teacher and the encoder.
 */
import type { SynthesisConfig } from "../config/datasets-recipes.ts";
import type { ChatMessage } from "../models/generator.ts";
import { trimUnfinishedSentence } from "../models/postprocess.ts";
import type { Comment, Thread } from "../reddit/thread.ts";
import { questionOfThread } from "./sft.ts";

/**
 * The k best-scored non-empty top-level comments (ties: the earlier), best first; `[deleted]`/`[removed]`
 * stubs are left out.
 */
export function topComments(thread: Thread, k: number): Comment[] {
  return thread.comments
    .map((c, i) => ({ c, i }))
    .filter(({ c }) => c.depth === 0 && c.body.trim() !== "" && !/^\[(deleted|removed)\]$/.test(c.body.trim()))
    .sort((a, b) => b.c.score - a.c.score || a.c.created_utc - b.c.created_utc || a.i - b.i)
    .slice(0, k)
    .map(({ c }) => c);
}

/** Fills a recipe prompt: {question}, {comments} (numbered, each cut to `maxCommentChars`), {maxWords}. */
export function fillPrompt(
  template: string,
  question: string,
  comments: readonly Comment[],
  o: { maxCommentChars: number; maxWords?: number },
): string {
  const list = comments
    .map((c, i) => {
      const body = c.body.trim();
      return `${i + 1}. ${body.length > o.maxCommentChars ? `${body.slice(0, o.maxCommentChars)}…` : body}`;
    })
    .join("\n\n");
  return template
    .replaceAll("{maxWords}", String(o.maxWords ?? ""))
    .replaceAll("{question}", question)
    .replaceAll("{comments}", list);
}

/** The teacher request of one thread, or why there is none. */
export function synthesisRequest(
  thread: Thread,
  o: SynthesisConfig,
): { messages: ChatMessage[]; question: string; comments: Comment[] } | "empty-question" | "no-top-level-comment" {
  const question = questionOfThread(thread);
  if (!question) return "empty-question";
  const comments = topComments(thread, o.topK);
  if (comments.length === 0) return "no-top-level-comment";
  return {
    question,
    comments,
    messages: [{ role: "user", content: fillPrompt(o.prompt, question, comments, o) }],
  };
}

/** Why a teacher reply gave no target. */
export type SynthesisReplyProblem = "teacher-error" | "teacher-empty-reply";

/**
 * The target from a teacher reply: trimmed; when the token limit cut it, the unfinished last sentence is
 * dropped (`trimUnfinishedSentence`, nothing else changed). Returns the problem instead for a failed call or
 * an empty reply.
 */
export function synthesisTarget(reply: {
  text: string | null;
  finishReason: "stop" | "length" | null;
}): { text: string; trimmed: boolean } | SynthesisReplyProblem {
  if (reply.text === null) return "teacher-error";
  const t = reply.text.trim();
  if (!t) return "teacher-empty-reply";
  if (reply.finishReason !== "length") return { text: t, trimmed: false };
  const cut = trimUnfinishedSentence(t);
  return { text: cut, trimmed: cut !== t };
}

/** Kept / dropped counts of a similarity filter at each threshold (kept = similarity >= threshold). */
export function thresholdCounts(
  similarities: readonly number[],
  thresholds: readonly number[],
): { threshold: number; kept: number; dropped: number }[] {
  return [...thresholds]
    .sort((a, b) => a - b)
    .map((threshold) => {
      const kept = similarities.filter((s) => s >= threshold).length;
      return { threshold, kept, dropped: similarities.length - kept };
    });
}
