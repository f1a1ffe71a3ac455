import { printable } from "../errors/printable.ts";
import type { ImportReport, SkippedRecord } from "./import.ts";

/**
 * A record whose reason and field are safe to print: reasons quote input (e.g. JSON.parse's message
 * shows the start of the bad line), and a dump line may hold terminal escape sequences.
 */
function safe(record: SkippedRecord): SkippedRecord {
  const reason = printable(record.reason);
  const field = record.field === undefined ? undefined : printable(record.field);
  return reason === record.reason && field === record.field
    ? record
    : { ...record, reason, ...(field !== undefined ? { field } : {}) };
}

/** How many skipped/warning examples an {@link ImportReport} keeps; counts stay exact. */
export const MAX_EXAMPLES = 100;

/**
 * Collects what an import read, skipped and repaired. Readers call `skip` for every record they
 * could not use (with file, line and field where known) and `warn` for records kept after a repair
 * (e.g. invalid UTF-8 replaced by U+FFFD). Only the first {@link MAX_EXAMPLES} of each are kept.
 */
export class ImportTally {
  files = 0;
  threads = 0;
  comments = 0;
  readonly skipped: SkippedRecord[] = [];
  skippedCount = 0;
  readonly warnings: SkippedRecord[] = [];
  warningCount = 0;
  /** Posts (threads) and comments left out by the subreddit filter. */
  filteredPosts = 0;
  filteredComments = 0;

  skip(record: SkippedRecord): void {
    this.skippedCount++;
    if (this.skipped.length < MAX_EXAMPLES) this.skipped.push(safe(record));
  }

  /** Counts `n` skipped records that share one reason, keeping one example. */
  skipMany(record: SkippedRecord, n: number): void {
    if (n <= 0) return;
    this.skippedCount += n;
    if (this.skipped.length < MAX_EXAMPLES) this.skipped.push(safe(record));
  }

  warn(record: SkippedRecord): void {
    this.warningCount++;
    if (this.warnings.length < MAX_EXAMPLES) this.warnings.push(safe(record));
  }

  toReport(): ImportReport {
    return {
      files: this.files,
      threads: this.threads,
      comments: this.comments,
      skipped: [...this.skipped],
      skippedCount: this.skippedCount,
      warnings: [...this.warnings],
      warningCount: this.warningCount,
      filtered: { posts: this.filteredPosts, comments: this.filteredComments },
    };
  }
}
