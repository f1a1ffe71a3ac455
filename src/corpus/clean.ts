/**
 * The `corpus` stage: raw threads JSONL -> clean threads, seeded splits and a corpus card.
 *
 * Per thread, in this order (each step counted in the card, see {@link buildCorpus}):
 *   duplicate post id -> removed post -> NSFW -> link post -> upvote ratio -> score ->
 *   text cleaning + PII scrubbing -> empty post -> language -> duplicate post text ->
 *   near-duplicate post -> comment filters -> minimum comments.
 * Per comment, in thread order (parents before children):
 *   reply to a dropped comment -> [deleted]/[removed] -> bot -> stickied moderator ->
 *   text cleaning + PII scrubbing -> score -> length/empty -> language -> duplicate text ->
 *   near-duplicate text -> per-thread cap.
 * Filters switched off in the settings are listed in the card as off. Duplicates are judged against
 * what is already in the output only: a comment cut by the per-thread cap, or a thread dropped by
 * the minimum-comments filter after its texts were read, never makes a later text a duplicate.
 * A dropped comment takes its replies with it (they would lose their context), counted under
 * "reply to a dropped comment". Nothing is dropped silently.
 */

import { createHash } from "node:crypto";
import { once } from "node:events";
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type CorpusOptions, type CorpusOptionsInput, CorpusOptionsSchema } from "../config/corpus.ts";
import { ConfigError } from "../errors/config-error.ts";
import { InputError } from "../errors/input-error.ts";
import { readThreadsJsonl } from "../reddit/import.ts";
import type { Comment, Thread } from "../reddit/thread.ts";
import { type CorpusCard, renderCardMarkdown } from "./card.ts";
import { DigestSet } from "./digest-set.ts";
import { compileFocus, type FocusMatcher } from "./focus.ts";
import { LANGUAGE_ID_LIBRARY, LanguageFilter } from "./language.ts";
import { NearDuplicateIndex, type NearDuplicateOptions } from "./near-dup.ts";
import { evaluatePii, type LabelledSnippet, type PiiType, scrubPii } from "./pii.ts";
import { planSplits, SPLIT_NAMES, type SplitName } from "./split.ts";
import { FilterCounter, HistogramCounter, LENGTH_BOUNDS, SCORE_BOUNDS } from "./stats.ts";
import { cleanText, normaliseWhitespace, stripControlTokens } from "./text.ts";

function nearOptions(o: CorpusOptions): NearDuplicateOptions {
  return {
    shingleWords: o.dedup.shingleWords,
    minWords: o.dedup.nearMinWords,
    permutations: o.dedup.minhashPermutations,
    bands: o.dedup.lshBands,
    threshold: o.dedup.nearThreshold,
  };
}

/** True when the text may stay (its language is kept, or undetermined); counts dropped languages. */
function languageKeeps(text: string, st: BuildState): boolean {
  const v = st.language!.judge(text);
  if (!v.keep && v.language) st.droppedLanguages[v.language] = (st.droppedLanguages[v.language] ?? 0) + 1;
  return v.keep;
}

/** Post sources that carry no comment trees; `commentCount: "auto"` uses `num_comments` for them. */
export const POSTS_ONLY_SOURCES: readonly string[] = ["reddit-csv"];

const REMOVED_TEXT = new Set(["[deleted]", "[removed]", "[ removed by reddit ]", "[removed by reddit]"]);

/** SHA-256 of `s` (UTF-8); {@link DigestSet} keeps its first 128 bits. */
function sha(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

/** Mutable state of one corpus build (dedup memory, counters). */
interface BuildState {
  opts: CorpusOptions;
  botPattern: RegExp | null;
  botAuthors: Set<string>;
  filters: FilterCounter;
  seenPostIds: Set<string>;
  seenPostText: DigestSet;
  seenCommentText: DigestSet;
  piiReplaced: Partial<Record<PiiType, number>>;
  /** Chat-template control tokens removed from texts (always on: Reddit text is untrusted). */
  controlTokensRemoved: number;
  nearPosts: NearDuplicateIndex | null;
  nearComments: NearDuplicateIndex | null;
  language: LanguageFilter | null;
  /** Languages detected in dropped texts, for the card. */
  droppedLanguages: Record<string, number>;
  /** `corpus.focus` compiled, and kept threads by why they matched (src/corpus/focus.ts). */
  focus: FocusMatcher | null;
  focusKept: { subreddit: number; mention: number };
}

/** Removes chat control tokens, cleans text, then scrubs PII when enabled (counting both). */
function cleanAndScrub(s: string, st: BuildState): string {
  // after cleaning: Reddit encodes `<` as `&lt;`, so the tokens appear only once entities are decoded
  const stripped = stripControlTokens(cleanText(s, st.opts.text));
  st.controlTokensRemoved += stripped.removed;
  const t =
    stripped.removed > 0 && st.opts.text.normaliseWhitespace ? normaliseWhitespace(stripped.text) : stripped.text;
  if (!st.opts.pii.enabled) return t;
  const r = scrubPii(t, st.opts.pii.types);
  for (const [k, v] of Object.entries(r.counts)) st.piiReplaced[k as PiiType] = (st.piiReplaced[k as PiiType] ?? 0) + v;
  return r.text;
}

function declareFilters(f: FilterCounter, o: CorpusOptions): void {
  const { removal: r, quality: q, dedup: d, language: l } = o;
  const on = (enabled: boolean) => ({ enabled });
  const lang = `language not in [${l.keep.join(", ")}] (eld; undetermined kept)`;
  f.declare("duplicate-post-id", "thread", "same post id seen earlier in the input (first kept)", on(d.exactPosts));
  f.declare(
    "removed-post",
    "thread",
    "post has removed_by_category, or body [deleted]/[removed]",
    on(r.dropRemovedPosts),
  );
  f.declare("nsfw", "thread", "post marked over_18", on(r.dropNsfw));
  f.declare("link-post", "thread", "link/photo post (is_self false)", on(r.dropLinkPosts));
  f.declare(
    "upvote-ratio",
    "thread",
    "upvote_ratio below minimum (unknown ratios pass)",
    on(q.minUpvoteRatio !== null),
  );
  f.declare("post-score", "thread", "post score below minimum", on(q.minScore !== null));
  f.declare("empty-post", "thread", "title empty after cleaning");
  f.declare(
    "focus",
    "thread",
    o.focus
      ? `not about ${o.focus.place}: subreddit not in [${o.focus.subreddits.join(", ")}] and no mention of ${[o.focus.place, ...o.focus.aliases].join(" / ")} in title or body`
      : "corpus.focus (off)",
    on(o.focus !== undefined),
  );
  f.declare("post-language", "thread", `post ${lang}`, on(l.posts));
  f.declare(
    "duplicate-post-text",
    "thread",
    "same cleaned title + body as a post already in the output",
    on(d.exactPosts),
  );
  f.declare(
    "near-duplicate-post",
    "thread",
    `title + body near-duplicates a post already in the output (MinHash Jaccard >= ${d.nearThreshold}, ${d.shingleWords}-word shingles)`,
    on(d.nearPosts),
  );
  f.declare("orphaned-reply", "comment", "reply to a comment dropped by another filter");
  f.declare("removed-comment", "comment", "body [deleted]/[removed]", on(r.dropRemovedComments));
  f.declare("bot", "comment", "author is a bot", on(r.dropBots));
  f.declare(
    "stickied-moderator",
    "comment",
    "stickied comment distinguished as moderator",
    on(r.dropStickiedModComments),
  );
  f.declare("comment-score", "comment", "comment score below minimum", on(q.minCommentScore !== null));
  f.declare("comment-length", "comment", "cleaned body shorter than minimum (empty included)");
  f.declare("comment-language", "comment", `comment ${lang}`, on(l.comments));
  f.declare(
    "duplicate-comment",
    "comment",
    "same cleaned body as a comment already in the output (texts of at least dedup.exactCommentMinChars characters)",
    on(d.exactComments),
  );
  f.declare(
    "near-duplicate-comment",
    "comment",
    `near-duplicates a comment already in the output (MinHash Jaccard >= ${d.nearThreshold}, ${d.shingleWords}-word shingles)`,
    on(d.nearComments),
  );
  f.declare("comment-cap", "comment", "beyond the per-thread maximum", on(q.maxCommentsPerThread !== null));
  f.declare("min-comments", "thread", "fewer comments than the minimum", on(q.minComments > 0));
}

function isBot(author: string | null, st: BuildState): boolean {
  if (author === null) return false;
  return st.botAuthors.has(author.toLowerCase()) || (st.botPattern?.test(author) ?? false);
}

/**
 * Filters a thread's comments. Exact-duplicate digests of the kept comments are returned, not yet
 * added to the corpus-wide set, and near-duplicate signatures are indexed as the comments are read
 * (later comments of the thread are checked against them): the caller adds the digests, or rolls
 * the index back, once it knows whether the thread itself is kept.
 */
function cleanComments(thread: Thread, st: BuildState): { comments: Comment[]; digests: Buffer[] } {
  const { removal, quality, dedup } = st.opts;
  const f = st.filters;
  const dropped = new Set<string>();
  const kept: Comment[] = [];
  const threadDigests = new Map<string, Buffer>();
  for (const c of thread.comments) {
    const drop = () => {
      dropped.add(c.name);
    };
    if (!f.pass("orphaned-reply", !dropped.has(c.parent_id))) {
      drop();
      continue;
    }
    if (removal.dropRemovedComments && !f.pass("removed-comment", !REMOVED_TEXT.has(c.body.trim().toLowerCase()))) {
      drop();
      continue;
    }
    if (removal.dropBots && !f.pass("bot", !isBot(c.author, st))) {
      drop();
      continue;
    }
    if (
      removal.dropStickiedModComments &&
      !f.pass("stickied-moderator", !(c.stickied && c.distinguished === "moderator"))
    ) {
      drop();
      continue;
    }
    const body = cleanAndScrub(c.body, st);
    if (quality.minCommentScore !== null && !f.pass("comment-score", c.score >= quality.minCommentScore)) {
      drop();
      continue;
    }
    if (!f.pass("comment-length", body.length >= Math.max(1, quality.minCommentChars))) {
      drop();
      continue;
    }
    if (st.opts.language.comments && !f.pass("comment-language", languageKeeps(body, st))) {
      drop();
      continue;
    }
    // Duplicates are judged against texts already in the output only: a comment that the cap will
    // cut (the cap keeps the first `cap` comments that pass) is checked but not indexed.
    const cap = quality.maxCommentsPerThread;
    const index = cap === null || kept.length < cap;
    if (dedup.exactComments && body.length >= dedup.exactCommentMinChars) {
      const d = sha(body.toLowerCase());
      const key = d.toString("hex", 0, 16);
      if (!f.pass("duplicate-comment", !st.seenCommentText.has(d) && !threadDigests.has(key))) {
        drop();
        continue;
      }
      if (index) threadDigests.set(key, d);
    }
    if (st.nearComments && !f.pass("near-duplicate-comment", !st.nearComments.check(body, index).duplicate)) {
      drop();
      continue;
    }
    kept.push({ ...c, body });
  }
  const cap = quality.maxCommentsPerThread;
  if (cap === null) return { comments: kept, digests: [...threadDigests.values()] };
  // `kept` is still parents-before-children, so a prefix is a tree.
  for (let i = 0; i < kept.length; i++) f.pass("comment-cap", i < cap);
  return { comments: kept.slice(0, cap), digests: [...threadDigests.values()] };
}

/** Cleans and filters one thread; null when it is dropped (the reason is counted). */
function cleanThread(thread: Thread, st: BuildState): Thread | null {
  const { removal, quality, dedup } = st.opts;
  const f = st.filters;
  const p = thread.post;
  if (dedup.exactPosts) {
    if (!f.pass("duplicate-post-id", !st.seenPostIds.has(p.name))) return null;
    st.seenPostIds.add(p.name);
  }
  if (
    removal.dropRemovedPosts &&
    !f.pass("removed-post", p.removed_by_category === null && !REMOVED_TEXT.has(p.selftext.trim().toLowerCase()))
  ) {
    return null;
  }
  if (removal.dropNsfw && !f.pass("nsfw", !p.over_18)) return null;
  if (removal.dropLinkPosts && !f.pass("link-post", p.is_self)) return null;
  if (
    quality.minUpvoteRatio !== null &&
    !f.pass("upvote-ratio", p.upvote_ratio === null || p.upvote_ratio >= quality.minUpvoteRatio)
  ) {
    return null;
  }
  if (quality.minScore !== null && !f.pass("post-score", p.score >= quality.minScore)) return null;
  const title = cleanAndScrub(p.title, st);
  const selftext = cleanAndScrub(p.selftext, st);
  if (!f.pass("empty-post", title.length > 0)) return null;
  const focusMatch = st.focus?.match(p.subreddit, title, selftext) ?? null;
  if (st.focus && !f.pass("focus", focusMatch !== null)) return null;
  const postText = selftext ? `${title}\n${selftext}` : title;
  if (st.opts.language.posts && !f.pass("post-language", languageKeeps(postText, st))) return null;
  // Like comments, a post joins the dedup memory only once its thread is known to be kept.
  const postDigest = dedup.exactPosts ? sha(`${title.toLowerCase()}\n${selftext.toLowerCase()}`) : null;
  if (postDigest && !f.pass("duplicate-post-text", !st.seenPostText.has(postDigest))) return null;
  if (st.nearPosts && !f.pass("near-duplicate-post", !st.nearPosts.check(postText, false).duplicate)) return null;
  const mark = st.nearComments?.mark() ?? 0;
  const { comments, digests } = cleanComments(thread, st);
  const postsOnly = POSTS_ONLY_SOURCES.includes(thread.source.kind);
  const count =
    quality.commentCount === "num_comments" || (quality.commentCount === "auto" && postsOnly)
      ? p.num_comments
      : comments.length;
  if (!f.pass("min-comments", count >= quality.minComments)) {
    st.nearComments?.rollback(mark);
    return null;
  }
  if (postDigest) st.seenPostText.add(postDigest);
  if (focusMatch) st.focusKept[focusMatch]++;
  st.nearPosts?.check(postText);
  for (const d of digests) st.seenCommentText.add(d);
  const out: Thread = { post: { ...p, title, selftext }, comments, source: thread.source };
  if (thread.more) out.more = thread.more;
  return out;
}

async function writeLine(stream: WriteStream, line: string): Promise<void> {
  if (!stream.write(line)) await once(stream, "drain");
}

async function closeStream(stream: WriteStream): Promise<void> {
  stream.end();
  await once(stream, "finish");
}

async function readLabelledSnippets(file: string): Promise<LabelledSnippet[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new InputError({ file }, "cannot read the labelled PII snippets");
  }
  return text.split("\n").flatMap((line, i) => {
    if (line.trim() === "") return [];
    try {
      const v = JSON.parse(line) as LabelledSnippet;
      if (typeof v.text !== "string" || !Array.isArray(v.pii)) throw new Error("expected {text, pii: [{type, text}]}");
      return [v];
    } catch (e) {
      throw new InputError({ file, line: i + 1 }, `not a labelled snippet: ${(e as Error).message}`);
    }
  });
}

/** Options of {@link buildCorpus}. */
export interface BuildCorpusOptions {
  /** Raw threads JSONL (what `importThreads` writes). */
  inFile: string;
  /** Output folder; created if missing. Existing outputs are replaced. */
  outDir: string;
  /** Settings; validated and defaulted with {@link CorpusOptionsSchema}. */
  options: CorpusOptionsInput | CorpusOptions;
  /**
   * Labelled PII snippets (JSONL of {@link LabelledSnippet}, e.g. `test/fixtures/pii/snippets.jsonl`);
   * when given, the card reports the scrubber's precision/recall per type on them.
   */
  piiLabelledSet?: string;
  /**
   * Called as threads are read: pass `filter` (every input thread; `total` = non-empty input lines)
   * then pass `split` (every kept thread; `total` = kept threads), about every 500 threads and at
   * the end of each pass.
   */
  onProgress?: (p: { pass: "filter" | "split"; done: number; total: number }) => void;
}

/** Non-empty lines of a file, counted on bytes (a progress total; a few ms per 100 MB). */
async function countLines(file: string): Promise<number> {
  let n = 0;
  let lineHasBytes = false;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let from = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, from)) {
      if (lineHasBytes || nl > from) n++;
      lineHasBytes = false;
      from = nl + 1;
    }
    if (from < chunk.length) lineHasBytes = true;
  }
  return lineHasBytes ? n + 1 : n;
}

/**
 * Builds the corpus: writes `outDir/threads.jsonl` (clean threads, input order),
 * `outDir/splits/{train,validation,test}.jsonl` (the same threads, each in exactly one split) and
 * `outDir/corpus-card.{json,md}`, and returns the card. Streams the input twice (filter, then split)
 * and holds only ids and dedup hashes in memory. Throws ConfigError for invalid options (before
 * reading anything) and InputError for a corrupt input line (file, line, field).
 */
export async function buildCorpus(opts: BuildCorpusOptions): Promise<CorpusCard> {
  const parsed = CorpusOptionsSchema.safeParse(opts.options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`corpus options: ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`);
  }
  const o = parsed.data;
  const st: BuildState = {
    opts: o,
    botPattern: o.removal.botPattern === "" ? null : new RegExp(o.removal.botPattern, "i"),
    botAuthors: new Set(o.removal.botAuthors.map((a) => a.toLowerCase())),
    filters: new FilterCounter(),
    seenPostIds: new Set(),
    seenPostText: new DigestSet(),
    seenCommentText: new DigestSet(),
    piiReplaced: {},
    controlTokensRemoved: 0,
    nearPosts: o.dedup.nearPosts ? new NearDuplicateIndex(nearOptions(o)) : null,
    nearComments: o.dedup.nearComments ? new NearDuplicateIndex(nearOptions(o)) : null,
    language:
      o.language.posts || o.language.comments
        ? new LanguageFilter({ keep: o.language.keep, minChars: o.language.minChars })
        : null,
    droppedLanguages: {},
    focus: o.focus ? compileFocus(o.focus) : null,
    focusKept: { subreddit: 0, mention: 0 },
  };
  declareFilters(st.filters, o);
  // A missing or unreadable input is reported before any output folder or file is made.
  try {
    if (!(await stat(opts.inFile)).isFile()) throw new InputError({ file: opts.inFile }, "is not a file");
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError({ file: opts.inFile }, "no such file; run `wayfarer import` first");
  }
  await mkdir(join(opts.outDir, "splits"), { recursive: true });
  const cleanPath = join(opts.outDir, "threads.jsonl");
  const out = createWriteStream(`${cleanPath}.partial`);
  const kept: { name: string; subreddit: string }[] = [];
  const subIn = new Map<string, number>();
  let threadsIn = 0;
  let commentsIn = 0;
  let commentsOut = 0;
  const postLen = new HistogramCounter(LENGTH_BOUNDS);
  const commentLen = new HistogramCounter(LENGTH_BOUNDS);
  const postScore = new HistogramCounter(SCORE_BOUNDS);
  const commentScore = new HistogramCounter(SCORE_BOUNDS);
  const progress = opts.onProgress;
  const lines = progress ? await countLines(opts.inFile).catch(() => 0) : 0;
  try {
    for await (const thread of readThreadsJsonl(opts.inFile)) {
      threadsIn++;
      if (progress && threadsIn % 500 === 0)
        progress({ pass: "filter", done: threadsIn, total: Math.max(lines, threadsIn) });
      commentsIn += thread.comments.length;
      subIn.set(thread.post.subreddit, (subIn.get(thread.post.subreddit) ?? 0) + 1);
      const clean = cleanThread(thread, st);
      if (!clean) continue;
      kept.push({ name: clean.post.name, subreddit: clean.post.subreddit });
      commentsOut += clean.comments.length;
      postLen.add(clean.post.title.length + (clean.post.selftext ? clean.post.selftext.length + 1 : 0));
      postScore.add(clean.post.score);
      for (const c of clean.comments) {
        commentLen.add(c.body.length);
        commentScore.add(c.score);
      }
      await writeLine(out, `${JSON.stringify(clean)}\n`);
    }
  } catch (e) {
    // A bad input line (InputError) or a write failure: no half-written corpus is left behind.
    out.destroy();
    await rm(`${cleanPath}.partial`, { force: true });
    throw e;
  }
  await closeStream(out);
  await rename(`${cleanPath}.partial`, cleanPath);
  progress?.({ pass: "filter", done: threadsIn, total: threadsIn });

  const { assignment, warnings: splitWarnings } = planSplits({ threads: kept, ratios: o.split, seed: o.seed });
  const splitStreams = Object.fromEntries(
    SPLIT_NAMES.map((s) => [s, createWriteStream(join(opts.outDir, "splits", `${s}.jsonl`))]),
  ) as Record<SplitName, WriteStream>;
  const splitCounts = Object.fromEntries(SPLIT_NAMES.map((s) => [s, { threads: 0, comments: 0 }])) as Record<
    SplitName,
    { threads: number; comments: number }
  >;
  const perSub = new Map<string, Record<SplitName, number>>();
  const writtenTo = new Map<string, SplitName>();
  let leaked = 0;
  let splitDone = 0;
  for await (const thread of readThreadsJsonl(cleanPath)) {
    splitDone++;
    if (progress && splitDone % 500 === 0) progress({ pass: "split", done: splitDone, total: kept.length });
    const split = assignment.get(thread.post.name)!;
    const before = writtenTo.get(thread.post.name);
    if (before !== undefined && before !== split) leaked++;
    writtenTo.set(thread.post.name, split);
    splitCounts[split].threads++;
    splitCounts[split].comments += thread.comments.length;
    const row = perSub.get(thread.post.subreddit) ?? { train: 0, validation: 0, test: 0 };
    row[split]++;
    perSub.set(thread.post.subreddit, row);
    await writeLine(splitStreams[split], `${JSON.stringify(thread)}\n`);
  }
  for (const s of SPLIT_NAMES) await closeStream(splitStreams[s]);
  progress?.({ pass: "split", done: splitDone, total: kept.length });

  const card: CorpusCard = {
    kind: "wayfarer-corpus-card",
    version: 1,
    input: { file: opts.inFile, threads: threadsIn, comments: commentsIn },
    output: { threads: kept.length, comments: commentsOut },
    filters: st.filters.list(),
    subreddits: [...subIn.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .map(([name, n]) => {
        const row = perSub.get(name) ?? { train: 0, validation: 0, test: 0 };
        return { name, in: n, out: row.train + row.validation + row.test, ...row };
      }),
    splits: splitCounts,
    ...(splitWarnings.length > 0 ? { splitWarnings } : {}),
    controlTokensRemoved: st.controlTokensRemoved,
    leakage: {
      threadsInMoreThanOneSplit: leaked,
      method: "split by thread fullname; each thread written to exactly one split",
    },
    distributions: {
      postChars: postLen.toJSON(),
      commentChars: commentLen.toJSON(),
      postScore: postScore.toJSON(),
      commentScore: commentScore.toJSON(),
    },
    nearDuplicates: {
      method:
        "MinHash + LSH over lowercased word shingles (src/corpus/near-dup.ts); posts and comments indexed separately",
      posts: o.dedup.nearPosts,
      comments: o.dedup.nearComments,
      threshold: o.dedup.nearThreshold,
      shingleWords: o.dedup.shingleWords,
      minWords: o.dedup.nearMinWords,
      permutations: o.dedup.minhashPermutations,
      bands: o.dedup.lshBands,
    },
    language: {
      library: LANGUAGE_ID_LIBRARY,
      keep: o.language.keep,
      posts: o.language.posts,
      comments: o.language.comments,
      minChars: o.language.minChars,
      droppedByLanguage: Object.fromEntries(
        Object.entries(st.droppedLanguages).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)),
      ),
    },
    options: o,
  };
  if (o.focus)
    card.focus = { ...o.focus, keptBySubreddit: st.focusKept.subreddit, keptByMention: st.focusKept.mention };
  if (o.pii.enabled || opts.piiLabelledSet) {
    let quality: NonNullable<CorpusCard["pii"]>["types"] = [];
    let snippets = 0;
    if (opts.piiLabelledSet) {
      const labelled = await readLabelledSnippets(opts.piiLabelledSet);
      snippets = labelled.length;
      quality = evaluatePii(labelled);
    }
    card.pii = {
      labelledSet: opts.piiLabelledSet ?? "(none)",
      snippets,
      types: quality,
      replaced: { ...st.piiReplaced },
    };
  }
  await writeFile(join(opts.outDir, "corpus-card.json"), `${JSON.stringify(card, null, 2)}\n`);
  await writeFile(join(opts.outDir, "corpus-card.md"), renderCardMarkdown(card));
  return card;
}
