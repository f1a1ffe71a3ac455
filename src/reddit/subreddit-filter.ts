/**
 * The import's subreddit filter: keep only threads of the listed subreddits, so that a whole-Reddit
 * monthly dump (hundreds of millions of comments) can be imported for a few travel subreddits
 * without joining everything else. Names match case-insensitively (`JapanTravel` = `japantravel`),
 * an `r/` or `/r/` prefix is ignored.
 */
export class SubredditFilter {
  private readonly names: Set<string>;

  constructor(names: readonly string[]) {
    this.names = new Set(
      names.map((n) =>
        n
          .trim()
          .replace(/^\/?r\//i, "")
          .toLowerCase(),
      ),
    );
  }

  /** A filter for `names`, or null (keep everything) when there are none. */
  static of(names: readonly string[] | undefined): SubredditFilter | null {
    return names && names.length > 0 ? new SubredditFilter(names) : null;
  }

  /** True when a record of `subreddit` is kept; a record without a subreddit (null) is kept. */
  keeps(subreddit: string | null): boolean {
    return subreddit === null || this.names.has(subreddit.toLowerCase());
  }

  /** The names, lowercased and sorted (for messages and worker threads). */
  list(): string[] {
    return [...this.names].sort();
  }
}
