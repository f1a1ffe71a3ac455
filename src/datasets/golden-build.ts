/**
 * Golden sets built by a teacher: from held-out (test or validation split) threads, the teacher drafts one
 * question/answer pair per thread, written with `reviewed: false`. A person then accepts, edits or rejects
 * each draft (`wayfarer golden review FILE` in the terminal, or the review page of `wayfarer serve`); the
 * reviewed file (`*.reviewed.jsonl`) can be the experiment's `datasets.golden.file`: only accepted and edited
 * items are used.
 */
import { readFile } from "node:fs/promises";
import type { GoldenBuildConfig } from "../config/datasets-recipes.ts";
import { InputError } from "../errors/input-error.ts";
import type { ChatMessage } from "../models/generator.ts";
import type { Thread } from "../reddit/thread.ts";
import type { GoldenItem, GoldenReadResult } from "./golden.ts";
import { writeJsonl } from "./jsonl.ts";
import { questionOfThread } from "./sft.ts";
import { fillPrompt, topComments } from "./synthesis.ts";

/** Review status of a golden item. */
export type GoldenStatus = "draft" | "accepted" | "edited" | "rejected";

/** One line of a golden drafts / reviewed file. */
export interface GoldenDraft {
  id: string;
  question: string;
  answer: string;
  reviewed: boolean;
  status: GoldenStatus;
  /** The teacher's draft, kept when a reviewer edited it. */
  draft?: { question: string; answer: string };
  reviewer?: string;
  source: { thread: string; subreddit: string; split: string };
  teacher: string;
}

/** Why a thread gave no draft. */
export type GoldenDraftProblem =
  | "empty-question"
  | "too-few-comments"
  | "teacher-error"
  | "reply-not-json"
  | "reply-missing-field";

/** The teacher request of one held-out thread, or why there is none. */
export function goldenRequest(
  thread: Thread,
  o: GoldenBuildConfig,
): { messages: ChatMessage[] } | "empty-question" | "too-few-comments" {
  const question = questionOfThread(thread);
  if (!question) return "empty-question";
  const comments = topComments(thread, o.topK);
  if (comments.length < o.minComments) return "too-few-comments";
  return { messages: [{ role: "user", content: fillPrompt(o.prompt, question, comments, o) }] };
}

/**
 * Reads `{"question": "...", "answer": "..."}` from a teacher reply: the first `{` to the last `}` (so code
 * fences and chatter around the object are tolerated). Both fields must be non-empty strings.
 */
export function parseGoldenReply(text: string | null): { question: string; answer: string } | GoldenDraftProblem {
  if (text === null) return "teacher-error";
  const start = text.indexOf("{");
  const end = text.lastIndexOf("}");
  if (start < 0 || end <= start) return "reply-not-json";
  let v: unknown;
  try {
    v = JSON.parse(text.slice(start, end + 1));
  } catch {
    return "reply-not-json";
  }
  const o = v as { question?: unknown; answer?: unknown };
  if (typeof o?.question !== "string" || typeof o.answer !== "string") return "reply-missing-field";
  const question = o.question.trim();
  const answer = o.answer.trim();
  if (!question || !answer) return "reply-missing-field";
  return { question, answer };
}

const STATUSES: readonly GoldenStatus[] = ["draft", "accepted", "edited", "rejected"];

/**
 * Reads a golden drafts or reviewed JSONL file. @throws InputError naming file, line and field for a line
 * that is not JSON or lacks `id`, `question`, `answer` (strings) or has an unknown `status`.
 */
export async function readGoldenDrafts(file: string): Promise<GoldenDraft[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new InputError({ file }, "cannot read the golden file (missing?)", { cause });
  }
  const out: GoldenDraft[] = [];
  const seen = new Set<string>();
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    let v: Record<string, unknown>;
    try {
      v = JSON.parse(line) as Record<string, unknown>;
    } catch (e) {
      throw new InputError({ file, line: i + 1 }, `not valid JSON: ${(e as Error).message}`);
    }
    for (const f of ["id", "question", "answer"])
      if (typeof v[f] !== "string") throw new InputError({ file, line: i + 1, field: f }, "missing or not a string");
    const status = (v.status ?? "draft") as GoldenStatus;
    if (!STATUSES.includes(status))
      throw new InputError({ file, line: i + 1, field: "status" }, `expected one of ${STATUSES.join(", ")}`);
    if (seen.has(v.id as string)) throw new InputError({ file, line: i + 1, field: "id" }, `duplicate id ${v.id}`);
    seen.add(v.id as string);
    out.push({ ...(v as unknown as GoldenDraft), status, reviewed: v.reviewed === true });
  });
  return out;
}

/**
 * A reviewed golden JSONL as the golden set of generate/evaluate: accepted and edited items that are
 * `reviewed: true`; drafts not yet reviewed and rejected items are listed in `skipped` with their line.
 */
export async function readReviewedGolden(file: string, limit?: number | null): Promise<GoldenReadResult> {
  const drafts = await readGoldenDrafts(file);
  const items: GoldenItem[] = [];
  const skipped: GoldenReadResult["skipped"] = [];
  drafts.forEach((d, i) => {
    if (!d.reviewed || d.status === "draft")
      skipped.push({ file, line: i + 1, field: "reviewed", reason: "not reviewed yet" });
    else if (d.status === "rejected") skipped.push({ file, line: i + 1, field: "status", reason: "rejected" });
    else if (!limit || items.length < limit)
      items.push({
        id: d.id,
        question: d.question,
        answer: d.answer,
        notes: `golden-build ${d.status} (${d.source?.thread ?? "?"})`,
      });
  });
  if (items.length === 0)
    throw new InputError(
      { file },
      "no accepted or edited golden item (review the drafts first: wayfarer golden review FILE)",
    );
  return { items, skipped, repaired: [] };
}

/** A reviewer's decision on one item. */
export type GoldenDecision =
  | { id: string; action: "accept" }
  | { id: string; action: "reject" }
  | { id: string; action: "edit"; question?: string; answer?: string };

/**
 * Applies a decision (returns a new item): accept -> `accepted`; reject -> `rejected`; edit -> `edited` with the
 * teacher's text kept in `draft` (an edit that changes nothing is an accept). Every decision sets `reviewed`.
 * @throws RangeError when an edit would leave the question or answer empty.
 */
export function applyDecision(item: GoldenDraft, d: GoldenDecision, reviewer: string): GoldenDraft {
  const base = { ...item, reviewed: true, reviewer };
  if (d.action === "accept") return { ...base, status: "accepted" };
  if (d.action === "reject") return { ...base, status: "rejected" };
  const question = (d.question ?? item.question).trim();
  const answer = (d.answer ?? item.answer).trim();
  if (!question || !answer) throw new RangeError("an edited item needs a non-empty question and answer");
  if (question === item.question && answer === item.answer)
    return { ...base, status: item.status === "edited" ? "edited" : "accepted" };
  return {
    ...base,
    question,
    answer,
    status: "edited",
    draft: item.draft ?? { question: item.question, answer: item.answer },
  };
}

/** The reviewed file of a drafts file: `x.jsonl` -> `x.reviewed.jsonl` (a reviewed file is its own). */
export function reviewedPath(file: string): string {
  if (file.endsWith(".reviewed.jsonl")) return file;
  return file.endsWith(".jsonl") ? `${file.slice(0, -6)}.reviewed.jsonl` : `${file}.reviewed.jsonl`;
}

/** Writes the items (atomic rename). */
export async function saveGolden(file: string, items: readonly GoldenDraft[]): Promise<void> {
  await writeJsonl(file, items);
}
