/**
 * Assembles one full comment tree from the API answers of `collect`: the first comment page
 * (`GET /comments/{id}`), then one request per collapsed branch — `GET /api/morechildren` for a
 * `more` with children (at most 100 ids per request), and `GET /comments/{post}/_/{comment}` for
 * "continue this thread" (`count == 0`, no children). All comments are kept flat by fullname and
 * the tree is rebuilt from `parent_id` by the reddit-json parser, so the order answers arrive in
 * does not matter. Deterministic: the same answers give the same requests and the same page.
 */

/** A Reddit thing as it appears in listings: `{kind, data}`. */
interface Thing {
  kind: string;
  data: Record<string, unknown>;
}

/** One request still to make for this thread. */
export type MoreTask =
  | { type: "children"; parentId: string; ids: string[] }
  | { type: "continue"; parentId: string; commentId: string };

/** Most ids Reddit accepts in one /api/morechildren call. */
export const MORECHILDREN_MAX_IDS = 100;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function listingChildren(v: unknown): unknown[] | null {
  if (!isObject(v) || v.kind !== "Listing" || !isObject(v.data) || !Array.isArray(v.data.children)) return null;
  return v.data.children;
}

/** Why `body` is not a comment page `[postListing, commentListing]` with a post, or null. */
export function commentPageProblem(body: unknown): string | null {
  if (!Array.isArray(body) || body.length !== 2) return "expected [postListing, commentListing]";
  const posts = listingChildren(body[0]);
  if (!posts || !listingChildren(body[1])) return "expected [postListing, commentListing]";
  const first = posts[0];
  if (!isObject(first) || first.kind !== "t3" || !isObject(first.data)) return "the post listing holds no t3";
  return null;
}

/** Why `body` is not a morechildren answer (`{json: {data: {things: [...]}}}`), or null. */
export function moreChildrenProblem(body: unknown): string | null {
  if (!isObject(body) || !isObject(body.json) || !isObject(body.json.data) || !Array.isArray(body.json.data.things))
    return "expected {json: {data: {things: [...]}}}";
  return null;
}

/** Collects one thread's comments across requests; see the module doc. */
export class CommentTreeAssembler {
  private readonly postListing: unknown;
  readonly postId: string;
  private readonly comments = new Map<string, Thing>();
  private readonly queue: MoreTask[] = [];

  /** `page` must pass {@link commentPageProblem}. */
  constructor(page: unknown) {
    const [postListing, commentListing] = page as [unknown, unknown];
    this.postListing = postListing;
    const post = ((listingChildren(postListing) ?? [])[0] as Thing).data;
    this.postId = String(post.id);
    this.absorbListing(listingChildren(commentListing) ?? []);
  }

  /** Requests left for this thread, in the order they will be made. */
  get pending(): readonly MoreTask[] {
    return this.queue;
  }

  /** Takes the next request to make, or undefined when the tree is complete. */
  next(): MoreTask | undefined {
    return this.queue.shift();
  }

  /** Adds the things of a morechildren answer (flat, linked by parent_id). */
  absorbMoreChildren(body: unknown): void {
    const things = (body as { json: { data: { things: unknown[] } } }).json.data.things;
    this.absorbListing(things);
  }

  /** Adds a "continue this thread" page: its root is the comment already held; its replies are new. */
  absorbContinue(body: unknown): void {
    this.absorbListing(listingChildren((body as unknown[])[1]) ?? []);
  }

  private absorbListing(children: readonly unknown[]): void {
    for (const child of children) {
      if (!isObject(child) || typeof child.kind !== "string" || !isObject(child.data)) continue;
      const data = child.data;
      if (child.kind === "more") {
        this.addMore(data);
        continue;
      }
      if (child.kind !== "t1") continue;
      const name = typeof data.name === "string" ? data.name : `t1_${String(data.id)}`;
      if (!this.comments.has(name)) this.comments.set(name, { kind: "t1", data: { ...data, replies: "" } });
      const replies = listingChildren(data.replies);
      if (replies) this.absorbListing(replies);
    }
  }

  private addMore(data: Record<string, unknown>): void {
    const parentId = typeof data.parent_id === "string" ? data.parent_id : `t3_${this.postId}`;
    const ids = Array.isArray(data.children) ? data.children.filter((c): c is string => typeof c === "string") : [];
    if (ids.length === 0) {
      // "continue this thread": count 0, no children, under a comment.
      if (parentId.startsWith("t1_")) this.queue.push({ type: "continue", parentId, commentId: parentId.slice(3) });
      return;
    }
    const fresh = ids.filter((id) => !this.comments.has(`t1_${id}`));
    for (let i = 0; i < fresh.length; i += MORECHILDREN_MAX_IDS)
      this.queue.push({ type: "children", parentId, ids: fresh.slice(i, i + MORECHILDREN_MAX_IDS) });
  }

  /**
   * The thread as one comment page `[postListing, commentListing]` with every comment flat
   * (`replies: ""`) and the requests not made kept as `more` things, ready for the reddit-json parser.
   */
  page(): unknown {
    const more: Thing[] = this.queue.map((t) => ({
      kind: "more",
      data:
        t.type === "children"
          ? { parent_id: t.parentId, count: t.ids.length, children: t.ids }
          : { parent_id: t.parentId, count: 0, children: [] },
    }));
    return [
      this.postListing,
      { kind: "Listing", data: { after: null, before: null, children: [...this.comments.values(), ...more] } },
    ];
  }
}
