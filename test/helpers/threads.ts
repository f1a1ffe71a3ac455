/**
 * Builders for the thread model (src/reddit/thread.ts) in tests: a complete, valid Post / Comment / Thread
 * with neutral defaults, so a test spells out only the fields it is about.
 */
import type { Comment, Post, Thread } from "../../src/reddit/thread.ts";

/** A self post in r/travel with id `id` (name `t3_<id>`), score 10, upvote ratio 0.95; `over` replaces fields. */
export function makePost(id: string, over: Partial<Post> = {}): Post {
  return {
    id,
    name: `t3_${id}`,
    subreddit: "travel",
    title: `Question ${id}?`,
    selftext: `Body of ${id} &amp; more`,
    author: "op",
    score: 10,
    upvote_ratio: 0.95,
    num_comments: 3,
    created_utc: 1700000000,
    permalink: `/r/travel/comments/${id}/q/`,
    url: null,
    over_18: false,
    link_flair_text: null,
    removed_by_category: null,
    is_self: true,
    stickied: false,
    distinguished: null,
    edited: false,
    ...over,
  };
}

/** A comment `id` under `parent` (a `t3_` parent gives depth 0, a `t1_` parent depth 1); `over` replaces fields. */
export function makeComment(id: string, parent: string, body: string, over: Partial<Comment> = {}): Comment {
  return {
    id,
    name: `t1_${id}`,
    parent_id: parent,
    link_id: "t3_x",
    body,
    author: "someone",
    score: 3,
    created_utc: 1700000100,
    depth: parent.startsWith("t3_") ? 0 : 1,
    distinguished: null,
    stickied: false,
    is_submitter: false,
    edited: false,
    ...over,
  };
}

/** A thread of `post` and `comments` read from a fixture (source kind reddit-json). */
export function makeThread(post: Post, comments: Comment[]): Thread {
  return { post, comments, source: { kind: "reddit-json", file: "fixture", line: 1 } };
}
