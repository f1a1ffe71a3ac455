import { describe, expect, it } from "vitest";
import { commentFromRecord, FieldProblem, postFromRecord, relativePermalink } from "../../../src/reddit/coerce.ts";
import type { Comment } from "../../../src/reddit/thread.ts";
import { orderComments } from "../../../src/reddit/tree.ts";

function c(id: string, parent: string, score: number, depth = -1): Comment {
  return commentFromRecord({
    id,
    parent_id: parent,
    link_id: "t3_p",
    body: id,
    score,
    created_utc: 100,
    depth: depth === -1 ? undefined : depth,
  });
}

describe("orderComments", () => {
  it("orders breadth first, siblings by score, and computes depth from parent_id", () => {
    const out = orderComments([
      c("a1", "t1_a", 1),
      c("b", "t3_p", 5),
      c("a", "t3_p", 9),
      c("a2", "t1_a", 7),
      c("a2x", "t1_a2", 0),
    ]);
    expect(out.map((x) => `${x.id}:${x.depth}`)).toEqual(["a:0", "b:0", "a2:1", "a1:1", "a2x:2"]);
  });

  it("appends orphans after the tree, keeps their source depth and drops duplicate ids", () => {
    const out = orderComments([c("x", "t1_missing", 3, 4), c("y", "t1_x", 1), c("r", "t3_p", 0), c("r", "t3_p", 50)]);
    expect(out.map((x) => `${x.id}:${x.depth}`)).toEqual(["r:0", "x:4", "y:5"]);
    expect(out[0]!.score).toBe(0);
  });

  it("survives a parent cycle without looping", () => {
    const out = orderComments([c("a", "t1_b", 1), c("b", "t1_a", 1)]);
    expect(out.map((x) => x.id).sort()).toEqual(["a", "b"]);
  });
});

describe("coercion", () => {
  it("reads dump quirks: string created_utc, edited true, [deleted] author, ids without prefix", () => {
    const p = postFromRecord({
      id: "abc",
      title: "T",
      created_utc: "1365604685.0",
      edited: true,
      author: "[deleted]",
      subreddit: "travel",
      over_18: "True",
    });
    expect(p).toMatchObject({
      id: "abc",
      name: "t3_abc",
      created_utc: 1365604685,
      edited: 1365604685,
      author: null,
      over_18: true,
      upvote_ratio: null,
    });
    const cm = commentFromRecord({ id: "t1_x", parent_id: "y", link_id: "p", created_utc: 5, body: "b" });
    expect(cm).toMatchObject({ id: "x", name: "t1_x", parent_id: "t1_y", link_id: "t3_p", depth: -1 });
  });

  it("names the field that is wrong", () => {
    const fieldOf = (rec: Record<string, unknown>): string | undefined => {
      try {
        postFromRecord(rec);
        return undefined;
      } catch (e) {
        expect(e).toBeInstanceOf(FieldProblem);
        return (e as FieldProblem).field;
      }
    };
    expect(fieldOf({ id: "a", title: "t", created_utc: "yesterday", subreddit: "s" })).toBe("created_utc");
    expect(fieldOf({ id: "a", title: "t", created_utc: 1, subreddit: "s", upvote_ratio: 3 })).toBe("upvote_ratio");
    expect(fieldOf({ id: "a", title: "t", created_utc: 1 })).toBe("subreddit");
    expect(fieldOf({ id: "a", title: "", created_utc: 1, subreddit: "s" })).toBe("title");
    expect(fieldOf({ id: "a", title: "t", created_utc: 1, subreddit: "s" })).toBeUndefined();
  });

  it("makes permalinks relative", () => {
    expect(relativePermalink("http://www.reddit.com/r/paris/comments/1/x/")).toBe("/r/paris/comments/1/x/");
    expect(relativePermalink("/r/a/comments/1/")).toBe("/r/a/comments/1/");
  });
});
