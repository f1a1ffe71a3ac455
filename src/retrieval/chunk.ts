/**
 * Chunking of corpus comments into retrieval documents (the RAFT "documents", the RAG contexts).
 *
 * Per thread, comments are taken in the thread's stable order (parents before children, siblings by score)
 * and packed into documents of at most `chunkTokens` tokens: short comments are joined (blank line between
 * them) until the next would not fit; a comment longer than `chunkTokens` becomes its own run of windows of
 * at most `chunkTokens` tokens, consecutive windows sharing about `overlapTokens` tokens (whole words).
 * Document text is always a verbatim slice of comment text (joined by "\n\n"), so a quote of it can be
 * checked against the comment. Empty comments are skipped and counted.
 *
 * Ids are `<post id>:<n>` (n = 0, 1, ... within the thread): stable for the same corpus and settings.
 * "Tokens" are whatever `countTokens` counts for one whitespace-separated word (the dense encoder's WordPiece
 * tokens in the index; see index.ts).
 */
import type { Thread } from "../reddit/thread.ts";

/** Chunking settings. */
export interface ChunkOptions {
  /** Largest document in tokens, >= 8. */
  chunkTokens: number;
  /** Tokens shared by consecutive windows of one long comment, 0 <= overlap < chunkTokens / 2. */
  overlapTokens: number;
  /** Tokens of one whitespace-free word (>= 1 for any non-empty word). */
  countTokens: (word: string) => number;
}

/** One document before indexing. */
export interface ChunkDocument {
  /** `<post id>:<n>`. */
  id: string;
  text: string;
  /** The post title (gorilla RAFT's context title). */
  title: string;
  /** Tokens counted by `countTokens` (sum over words). */
  tokens: number;
  source: { threadId: string; commentIds: string[] };
}

/** What chunking kept and skipped. */
export interface ChunkCounts {
  threads: number;
  comments: number;
  /** Comments whose body is empty after trimming (skipped). */
  emptyComments: number;
  /** Comments longer than `chunkTokens`, split into windows. */
  splitComments: number;
  documents: number;
}

interface Word {
  start: number;
  end: number;
  tokens: number;
}

interface Unit {
  text: string;
  tokens: number;
  commentIds: string[];
  /** A window of a long comment: a document of its own. */
  window: boolean;
}

/** @throws RangeError when the settings are out of range. */
export function checkChunkOptions(o: Pick<ChunkOptions, "chunkTokens" | "overlapTokens">): void {
  if (!Number.isInteger(o.chunkTokens) || o.chunkTokens < 8)
    throw new RangeError(`chunkTokens must be an integer >= 8 (got ${o.chunkTokens})`);
  if (!Number.isInteger(o.overlapTokens) || o.overlapTokens < 0 || o.overlapTokens * 2 >= o.chunkTokens)
    throw new RangeError(`overlapTokens must be an integer in [0, chunkTokens / 2) (got ${o.overlapTokens})`);
}

/** Windows of a long comment (see the module doc). */
function windows(body: string, words: Word[], o: ChunkOptions): Unit[] {
  const out: Unit[] = [];
  let s = 0;
  while (s < words.length) {
    let e = s;
    let tokens = 0;
    while (e < words.length && (e === s || tokens + words[e]!.tokens <= o.chunkTokens)) tokens += words[e++]!.tokens;
    out.push({ text: body.slice(words[s]!.start, words[e - 1]!.end), tokens, commentIds: [], window: true });
    if (e >= words.length) break;
    // next window starts so that it repeats at most overlapTokens tokens of this one (and always moves on)
    let back = e;
    let shared = 0;
    while (back - 1 > s && shared + words[back - 1]!.tokens <= o.overlapTokens) shared += words[--back]!.tokens;
    s = back;
  }
  return out;
}

/**
 * Chunks threads into documents (see the module doc). Pure: same threads and options, same documents.
 * @throws RangeError on invalid options.
 */
export function chunkThreads(
  threads: Iterable<Thread>,
  o: ChunkOptions,
): { documents: ChunkDocument[]; counts: ChunkCounts } {
  checkChunkOptions(o);
  const counts: ChunkCounts = { threads: 0, comments: 0, emptyComments: 0, splitComments: 0, documents: 0 };
  const documents: ChunkDocument[] = [];
  for (const thread of threads) {
    counts.threads++;
    const units: Unit[] = [];
    for (const c of thread.comments) {
      counts.comments++;
      const body = c.body.trim();
      if (body === "") {
        counts.emptyComments++;
        continue;
      }
      const words: Word[] = [];
      let total = 0;
      for (const m of body.matchAll(/\S+/g)) {
        const tokens = Math.max(1, o.countTokens(m[0]));
        words.push({ start: m.index, end: m.index + m[0].length, tokens });
        total += tokens;
      }
      if (total <= o.chunkTokens) units.push({ text: body, tokens: total, commentIds: [c.id], window: false });
      else {
        counts.splitComments++;
        for (const w of windows(body, words, o)) units.push({ ...w, commentIds: [c.id] });
      }
    }
    let n = 0;
    let cur: Unit | null = null;
    const flush = (u: Unit) => {
      documents.push({
        id: `${thread.post.id}:${n++}`,
        text: u.text,
        title: thread.post.title,
        tokens: u.tokens,
        source: { threadId: thread.post.id, commentIds: u.commentIds },
      });
    };
    for (const u of units) {
      if (cur !== null && !u.window && cur.tokens + u.tokens <= o.chunkTokens) {
        cur = {
          text: `${cur.text}\n\n${u.text}`,
          tokens: cur.tokens + u.tokens,
          commentIds: [...cur.commentIds, ...u.commentIds],
          window: false,
        };
        continue;
      }
      if (cur !== null) flush(cur);
      cur = null;
      if (u.window) flush(u);
      else cur = u;
    }
    if (cur !== null) flush(cur);
  }
  counts.documents = documents.length;
  return { documents, counts };
}
