/**
 * Settings of the `corpus` stage (raw threads -> clean threads + splits + corpus card). This schema
 * is the only place that holds their types, defaults and help text (STYLE.md #6). Parse with
 * {@link CorpusOptionsSchema} (`.parse` fills defaults and runs the cross-field checks).
 * Defaults follow the seed study (reference/seed-system.md): upvote ratio >= 0.8 where known,
 * >= 1 comment, the first 20 comments of each thread kept.
 */
import { z } from "zod";
import { FocusSchema } from "./datasets-recipes.ts";

const TextSchema = z
  .object({
    decodeEntities: z
      .boolean()
      .default(true)
      .describe("Decode HTML entities (&amp;, &gt;, &#39;...) in titles, bodies and comments."),
    markdownToText: z
      .boolean()
      .default(true)
      .describe("Turn Reddit markdown into plain text (links keep their text, markers removed)."),
    normaliseWhitespace: z
      .boolean()
      .default(true)
      .describe(
        "Collapse spaces, unify newlines, remove zero-width characters, trim; at most one blank line in a row.",
      ),
  })
  .strict()
  .describe("Text normalisation, applied before every filter that looks at text.");

const RemovalSchema = z
  .object({
    dropRemovedPosts: z
      .boolean()
      .default(true)
      .describe("Drop a thread whose post has a removed_by_category, or whose body is [deleted]/[removed]."),
    dropRemovedComments: z
      .boolean()
      .default(true)
      .describe(
        "Drop comments whose body is [deleted] or [removed], with all their replies (which lose their context).",
      ),
    dropNsfw: z.boolean().default(true).describe("Drop threads whose post is marked over_18."),
    dropBots: z
      .boolean()
      .default(true)
      .describe("Drop comments written by bots (botAuthors, or an author matching botPattern), with their replies."),
    botAuthors: z
      .array(z.string())
      .default([
        "AutoModerator",
        "RemindMeBot",
        "WikiTextBot",
        "sneakpeekbot",
        "RepostSleuthBot",
        "converter-bot",
        "timezone_bot",
      ])
      .describe("Author names (case-insensitive) always treated as bots."),
    botPattern: z
      .string()
      .default("(?:^|[-_])bot$|bot[-_]?\\d*$")
      .describe("Case-insensitive regular expression on the author name that marks a bot; empty string disables it."),
    dropStickiedModComments: z
      .boolean()
      .default(true)
      .describe("Drop stickied comments distinguished as moderator (rules reminders, removal notices)."),
    dropLinkPosts: z
      .boolean()
      .default(false)
      .describe("Drop link/photo posts (is_self false); their title is then the only question text."),
  })
  .strict()
  .describe("Removed, deleted, NSFW and bot content.");

const QualitySchema = z
  .object({
    minUpvoteRatio: z
      .number()
      .min(0)
      .max(1)
      .nullable()
      .default(0.8)
      .describe("Drop posts with upvote_ratio below this; posts whose source has no ratio (null) pass. null disables."),
    minScore: z.number().int().nullable().default(0).describe("Drop posts with a score below this. null disables."),
    minComments: z
      .number()
      .int()
      .min(0)
      .default(1)
      .describe("Drop threads with fewer comments than this (counted as set by commentCount)."),
    commentCount: z
      .enum(["auto", "kept", "num_comments"])
      .default("auto")
      .describe(
        "What minComments counts: 'kept' = comments left after every comment filter; 'num_comments' = the post's field; 'auto' = num_comments for sources without comment trees (reddit-csv), kept otherwise.",
      ),
    minCommentScore: z
      .number()
      .int()
      .nullable()
      .default(null)
      .describe("Drop comments with a score below this (with their replies). null disables."),
    minCommentChars: z
      .number()
      .int()
      .min(0)
      .default(1)
      .describe("Drop comments shorter than this many characters after cleaning (with their replies)."),
    maxCommentsPerThread: z
      .number()
      .int()
      .min(0)
      .nullable()
      .default(20)
      .describe(
        "Keep at most this many comments per thread, the first in thread order (top-level by score first). null keeps all.",
      ),
  })
  .strict()
  .describe("Quality filters, as in the seed study.");

const DedupSchema = z
  .object({
    exactPosts: z
      .boolean()
      .default(true)
      .describe("Drop a thread whose post id, or whose cleaned title + body, was already seen (first kept)."),
    exactComments: z
      .boolean()
      .default(true)
      .describe(
        "Drop a comment whose cleaned body (at least exactCommentMinChars long) was already seen anywhere in the corpus.",
      ),
    exactCommentMinChars: z
      .number()
      .int()
      .min(1)
      .default(40)
      .describe("Shorter comments ('Thanks!', 'This.') repeat naturally and are not deduplicated."),
    nearPosts: z
      .boolean()
      .default(true)
      .describe(
        "Drop a thread whose cleaned title + body is a near duplicate (MinHash estimated Jaccard >= nearThreshold over word shingles) of an earlier kept post.",
      ),
    nearComments: z
      .boolean()
      .default(true)
      .describe(
        "Drop a comment that is a near duplicate of an earlier kept comment anywhere in the corpus (with its replies).",
      ),
    nearThreshold: z
      .number()
      .gt(0)
      .max(1)
      .default(0.7)
      .describe(
        "Estimated Jaccard similarity of word-shingle sets at or above which a text is a near duplicate. 0.7 catches reposts with small edits (a changed sentence in a paragraph) and keeps different answers that share phrases (typically < 0.3).",
      ),
    shingleWords: z
      .number()
      .int()
      .min(1)
      .max(10)
      .default(5)
      .describe("Words per shingle for near-duplicate detection."),
    nearMinWords: z
      .number()
      .int()
      .min(1)
      .default(10)
      .describe("Texts with fewer words are never near duplicates (too short to judge; exact dedup still applies)."),
    minhashPermutations: z
      .number()
      .int()
      .min(8)
      .max(512)
      .default(64)
      .describe("MinHash functions per signature (memory: 4 bytes each per kept text); a multiple of lshBands."),
    lshBands: z
      .number()
      .int()
      .min(1)
      .default(16)
      .describe("LSH bands; with 64 permutations, 16 bands of 4 rows find 99% of pairs at Jaccard 0.7."),
  })
  .refine((d) => d.minhashPermutations % d.lshBands === 0, {
    message: "minhashPermutations must be a multiple of lshBands (e.g. 64 and 16)",
    path: ["lshBands"],
  })
  .strict()
  .describe("Duplicate removal: exact (hashes of cleaned text) and near (MinHash + LSH, src/corpus/near-dup.ts).");

const LanguageSchema = z
  .object({
    posts: z
      .boolean()
      .default(true)
      .describe("Drop threads whose cleaned title + body is reliably detected as a language not in `keep`."),
    comments: z
      .boolean()
      .default(false)
      .describe("Drop comments reliably detected as a language not in `keep` (with their replies)."),
    keep: z
      .array(z.string().regex(/^[a-z]{2}$/, "an ISO 639-1 code such as en"))
      .min(1)
      .default(["en"])
      .describe("ISO 639-1 codes of the languages to keep."),
    minChars: z
      .number()
      .int()
      .min(1)
      .default(60)
      .describe(
        "Texts with fewer letters/digits are not judged (kept). 60: on the 2013 travel posts, shorter titles (place names such as 'Haleakala National Park, Hawaii') were misread as tl/ca/it; from 60 on only French posts were dropped.",
      ),
  })
  .strict()
  .describe("Language filter with the eld library (src/corpus/language.ts); undetermined texts are kept.");

const PiiSchema = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe("Replace PII in titles, bodies and comments with typed placeholders ([USER], [EMAIL], ...)."),
    types: z
      .array(z.enum(["USER", "EMAIL", "PHONE", "ADDRESS", "URL"]))
      .default(["USER", "EMAIL", "PHONE", "ADDRESS", "URL"])
      .describe(
        "PII types to replace: USER (u/name), EMAIL, PHONE, ADDRESS (street addresses), URL (personal profile/payment links).",
      ),
  })
  .strict()
  .describe("PII scrubbing (src/corpus/pii.ts), applied after text cleaning.");

const SplitSchema = z
  .object({
    train: z.number().min(0).max(1).default(0.8).describe("Share of threads in the train split."),
    validation: z.number().min(0).max(1).default(0.1).describe("Share of threads in the validation split."),
    test: z.number().min(0).max(1).default(0.1).describe("Share of threads in the test split."),
  })
  .refine((s) => Math.abs(s.train + s.validation + s.test - 1) < 1e-9, {
    message: "split ratios must add up to 1 (e.g. train 0.8, validation 0.1, test 0.1)",
  })
  .strict()
  .describe("Split by thread (a thread and all its comments go to one split), stratified by subreddit, seeded.");

/** Every setting of the corpus stage, with defaults. */
export const CorpusOptionsSchema = z
  .object({
    seed: z.number().int().default(13).describe("Seed of the split; the same seed and input give the same splits."),
    text: TextSchema.prefault({}),
    removal: RemovalSchema.prefault({}),
    quality: QualitySchema.prefault({}),
    pii: PiiSchema.prefault({}),
    dedup: DedupSchema.prefault({}),
    language: LanguageSchema.prefault({}),
    split: SplitSchema.prefault({}),
    focus: FocusSchema.optional(),
  })
  .superRefine((o, ctx) => {
    if (o.removal.botPattern !== "") {
      try {
        new RegExp(o.removal.botPattern, "i");
      } catch (e) {
        ctx.addIssue({
          code: "custom",
          path: ["removal", "botPattern"],
          message: `not a valid regular expression: ${(e as Error).message}`,
        });
      }
    }
  })
  .strict()
  .describe("Settings of the corpus stage.");

/** Resolved corpus settings (every default filled in). */
export type CorpusOptions = z.output<typeof CorpusOptionsSchema>;
/** Corpus settings as a user writes them (everything optional). */
export type CorpusOptionsInput = z.input<typeof CorpusOptionsSchema>;
