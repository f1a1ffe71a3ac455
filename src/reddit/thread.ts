/**
 * The thread model every importer produces and every later stage reads: one Reddit post with its
 * comment tree flattened into a list (parent links kept). Field names follow Reddit's API
 * (../shared/reference/reddit.md). Stored as one JSON object per line (`threads.jsonl`).
 */

/** A Reddit post (`t3`). `id` is the base-36 id without prefix; `name` is the fullname `t3_<id>`. */
export interface Post {
  id: string;
  name: string;
  subreddit: string;
  title: string;
  /** Body text; "" for link posts. May still hold markdown/HTML entities before `corpus`. */
  selftext: string;
  author: string | null;
  score: number;
  /** 0..1; null when the source does not carry it (e.g. 2013 CSV exports). */
  upvote_ratio: number | null;
  num_comments: number;
  /** Seconds since the Unix epoch (UTC). */
  created_utc: number;
  /** Relative permalink, e.g. `/r/travel/comments/abc/title/`. */
  permalink: string;
  url: string | null;
  over_18: boolean;
  link_flair_text: string | null;
  removed_by_category: string | null;
  is_self: boolean;
  stickied: boolean;
  distinguished: string | null;
  /** false, or the epoch seconds of the edit. */
  edited: false | number;
}

/** A Reddit comment (`t1`). `parent_id` is a fullname: `t3_...` = top level, `t1_...` = reply. */
export interface Comment {
  id: string;
  name: string;
  parent_id: string;
  link_id: string;
  body: string;
  author: string | null;
  score: number;
  created_utc: number;
  /** 0 = top level. Computed from `parent_id` when the source lacks it. */
  depth: number;
  distinguished: string | null;
  stickied: boolean;
  is_submitter: boolean;
  edited: false | number;
}

/** Where a thread came from, for provenance in dataset cards. */
export interface ThreadSource {
  /** e.g. "reddit-csv", "reddit-json", "threads-csv", "pushshift-zst", "reddit-api". */
  kind: string;
  /** Path or URL of the file/listing it was read from. */
  file: string;
  /** 1-based line (or record number) in that file, when meaningful. */
  line?: number;
}

/**
 * A collapsed branch of the comment tree (Reddit's `more` object), kept so the count of comments we
 * did not load is known and `collect` can fetch them later. `count == 0` with no `children` means
 * "continue this thread" (fetch `/comments/{post}/_/{parent}`).
 */
export interface MoreComments {
  /** Fullname of the comment (`t1_`) or post (`t3_`) under which the branch is collapsed. */
  parent_id: string;
  /** Number of comments Reddit says are in the branch. */
  count: number;
  /** Base-36 ids of the direct children hidden in the branch (may be empty). */
  children: string[];
}

/**
 * A post and its comments. `comments` are in a stable order (parents before children, siblings
 * by descending score). A thread imported from a source without comment trees has `comments: []`.
 */
export interface Thread {
  post: Post;
  comments: Comment[];
  source: ThreadSource;
  /** Collapsed branches not loaded (Reddit JSON / API only). Absent when there were none. */
  more?: MoreComments[];
}
