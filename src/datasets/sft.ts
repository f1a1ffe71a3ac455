import type { Thread } from "../reddit/thread.ts";

/** A chat message in the Hugging Face `messages` convention. */
export interface SftMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** One SFT example: `messages` plus provenance (thread fullname, target comment fullname and score). */
export interface SftExample {
  messages: SftMessage[];
  meta: {
    thread: string;
    subreddit: string;
    target: string;
    targetScore: number;
    /** Synthesis targets: cosine similarity of question and answer embeddings (MiniLM). */
    similarity?: number;
  };
}

/** Settings of {@link sftExampleFromThread} (see `SftDatasetSchema` for meanings and defaults). */
export interface SftBuildOptions {
  systemPrompt: string;
  minTargetChars: number;
  maxTargetChars: number;
  minTargetScore: number;
}

/** Why a thread gave no example. */
export type SftSkipReason =
  | "no-top-level-comment"
  | "target-too-short"
  | "target-too-long"
  | "target-score-too-low"
  | "empty-question";

/** The user turn for a thread: title, then the body when there is one. */
export function questionOfThread(thread: Thread): string {
  const title = thread.post.title.trim();
  const body = thread.post.selftext.trim();
  return body ? `${title}\n\n${body}` : title;
}

/**
 * Builds the SFT example of one clean thread: user = title + body, assistant = the best-scored
 * top-level comment (ties: the earlier one). Returns the reason instead when the thread has no
 * usable target. Input text is expected to be cleaned by the corpus stage already.
 */
export function sftExampleFromThread(thread: Thread, o: SftBuildOptions): SftExample | SftSkipReason {
  const question = questionOfThread(thread);
  if (!question) return "empty-question";
  let best: Thread["comments"][number] | undefined;
  for (const c of thread.comments) {
    if (c.depth !== 0 || !c.body.trim()) continue;
    if (!best || c.score > best.score || (c.score === best.score && c.created_utc < best.created_utc)) best = c;
  }
  if (!best) return "no-top-level-comment";
  const target = best.body.trim();
  if (best.score < o.minTargetScore) return "target-score-too-low";
  if (target.length < o.minTargetChars) return "target-too-short";
  if (target.length > o.maxTargetChars) return "target-too-long";
  return {
    messages: [
      { role: "system", content: o.systemPrompt },
      { role: "user", content: question },
      { role: "assistant", content: target },
    ],
    meta: { thread: thread.post.name, subreddit: thread.post.subreddit, target: best.name, targetScore: best.score },
  };
}
