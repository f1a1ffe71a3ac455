/**
 * Settings of the `import` stage (dumps and exports -> threads JSONL). Types, defaults and help text
 * live only here (STYLE.md #6).
 */
import { z } from "zod";

/** Every input format `importThreads` reads (see src/reddit/import.ts). */
export const IMPORT_FORMATS = ["reddit-csv", "reddit-json", "threads-csv", "ndjson-zst", "threads-jsonl"] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** A subreddit name as `import.subreddits` takes it: `travel`, `r/travel` or `/r/travel`. */
export const SUBREDDIT_NAME = /^(?:\/?r\/)?[A-Za-z0-9][A-Za-z0-9_]{1,20}$/;

export const ImportInputSchema = z
  .object({
    path: z.string().min(1).describe("A file, or a directory whose matching files (recursively, sorted) are all read."),
    format: z
      .enum(IMPORT_FORMATS)
      .optional()
      .describe(
        "reddit-csv | reddit-json | threads-csv | ndjson-zst | threads-jsonl; detected from extension and header when absent.",
      ),
  })
  .strict()
  .describe("One input of the import stage.");

export const ImportOptionsSchema = z
  .object({
    inputs: z
      .array(ImportInputSchema)
      .default([])
      .describe("Files or directories to import, read in order (with `collect`, its threads are read first)."),
    subreddits: z
      .array(
        z.string().regex(SUBREDDIT_NAME, "a subreddit name, optionally with r/ (letters, digits, _; 2-21 characters)"),
      )
      .min(1)
      .optional()
      .describe(
        "Keep only threads of these subreddits (case-insensitive); all when absent. With a whole-Reddit monthly dump, the records of other subreddits are dropped while reading, before the join.",
      ),
  })
  .strict()
  .describe("Settings of the import stage.");

export type ImportOptions = z.output<typeof ImportOptionsSchema>;
