/**
 * A fake Reddit on 127.0.0.1 (node:http) answering with Reddit's real response shapes
 * (../shared/reference/reddit.md): the token endpoint, listings with `after`, comment pages with
 * nested `replies` (or `""`), `more` objects, "continue this thread", `/api/morechildren`
 * (`json.data.things`), X-Ratelimit headers, and injectable faults (401 expired token, 429, 5xx,
 * a 200 with an `error` body). It also checks the client: User-Agent format, bearer token,
 * Basic auth, <= 100 ids per morechildren call, one request at a time.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeComment {
  id: string;
  /** Fullname of the parent: t3_<post> or t1_<comment>. */
  parent: string;
  body: string;
  score: number;
}

export interface FakePost {
  id: string;
  subreddit: string;
  title: string;
  selftext: string;
  score: number;
  comments: FakeComment[];
}

/** A fault served instead of the real answer to the `nth` (1-based) request whose path starts with `prefix`. */
export interface Fault {
  prefix: string;
  nth: number;
  kind: "401" | "429" | "500" | "503" | "error-body" | "ratelimit-exhausted";
}

export interface FakeRedditOptions {
  posts: FakePost[];
  /** Listing contents per `"<sub>/<sort>"` (post ids in order), e.g. `"travel/top"`. */
  listings: Record<string, string[]>;
  clientId: string;
  clientSecret: string;
  /** Only for the password flow. */
  username?: string;
  password?: string;
  faults?: Fault[];
  /** Most posts in one listing page even when `limit` asks for more (Reddit often returns fewer). Default 100. */
  pageSize?: number;
  /** Called with the 1-based count of API (non-token) requests before answering one; return "hang" to never answer. */
  onApiRequest?: (n: number, path: string) => "hang" | undefined;
}

const CHILDREN_SHOWN = 3;

export class FakeReddit {
  private server!: Server;
  baseUrl = "";
  /** Every request: method, path with query, status sent. */
  readonly log: { method: string; path: string; status: number; ua: string }[] = [];
  readonly problems: string[] = [];
  private tokens = new Set<string>();
  private tokenSeq = 0;
  private inFlight = 0;
  /** API requests received so far, answered or not. */
  apiCount = 0;
  private readonly prefixCounts = new Map<string, number>();
  private readonly byId = new Map<string, { post: FakePost; c: FakeComment }>();
  private readonly kids = new Map<string, FakeComment[]>();

  constructor(readonly o: FakeRedditOptions) {
    for (const p of o.posts) {
      for (const c of p.comments) {
        this.byId.set(c.id, { post: p, c });
        const list = this.kids.get(c.parent) ?? [];
        list.push(c);
        this.kids.set(c.parent, list);
      }
    }
  }

  static async start(o: FakeRedditOptions): Promise<FakeReddit> {
    const f = new FakeReddit(o);
    f.server = createServer((req, res) => {
      f.handle(req, res).catch((e) => {
        f.problems.push(String(e));
        res.statusCode = 500;
        res.end();
      });
    });
    await new Promise<void>((r) => f.server.listen(0, "127.0.0.1", r));
    f.baseUrl = `http://127.0.0.1:${(f.server.address() as AddressInfo).port}`;
    return f;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** API requests (not token requests) whose path starts with `prefix`. */
  count(prefix = "/"): number {
    return this.log.filter((l) => l.path.startsWith(prefix) && !l.path.startsWith("/api/v1/access_token")).length;
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    res.writeHead(status, { "Content-Type": "application/json; charset=UTF-8", ...headers });
    res.end(text);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
    this.inFlight++;
    if (this.inFlight > 1) this.problems.push(`concurrent requests at ${req.url}`);
    const url = new URL(req.url ?? "/", "http://x");
    const path = `${url.pathname}${url.search}`;
    const ua = String(req.headers["user-agent"] ?? "");
    if (!/^[^:\s]+:[^:\s]+:[^\s]+ \(by \/u\/[\w-]+\)$/.test(ua))
      this.problems.push(`bad User-Agent ${JSON.stringify(ua)}`);
    const chunks: Buffer[] = [];
    for await (const ch of req) chunks.push(ch as Buffer);
    const finish = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      this.log.push({ method: req.method ?? "", path, status, ua });
      this.inFlight--;
      this.send(res, status, body, headers);
    };
    if (url.pathname === "/api/v1/access_token") {
      const expected = `Basic ${Buffer.from(`${this.o.clientId}:${this.o.clientSecret}`).toString("base64")}`;
      if (req.method !== "POST" || req.headers.authorization !== expected)
        return finish(401, { message: "Unauthorized", error: 401 });
      const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
      const grant = form.get("grant_type");
      const ok =
        grant === "client_credentials" ||
        (grant === "password" && form.get("username") === this.o.username && form.get("password") === this.o.password);
      if (!ok) return finish(200, { error: "invalid_grant" });
      const token = `tok-${++this.tokenSeq}`;
      this.tokens.add(token);
      return finish(200, { access_token: token, token_type: "bearer", expires_in: 86400, scope: "*" });
    }
    const n = ++this.apiCount;
    if (this.o.onApiRequest?.(n, path) === "hang") {
      this.inFlight--;
      return; // never answered (the client is being killed)
    }
    const auth = String(req.headers.authorization ?? "");
    const token = auth.startsWith("bearer ") ? auth.slice(7) : "";
    const rl = { "X-Ratelimit-Used": String(n), "X-Ratelimit-Remaining": "500.0", "X-Ratelimit-Reset": "300" };
    if (!this.tokens.has(token)) return finish(401, { message: "Unauthorized", error: 401 }, rl);
    const seenBy = new Map<string, number>();
    for (const prefix of new Set((this.o.faults ?? []).map((f) => f.prefix))) {
      if (!path.startsWith(prefix)) continue;
      const seen = (this.prefixCounts.get(prefix) ?? 0) + 1;
      this.prefixCounts.set(prefix, seen);
      seenBy.set(prefix, seen);
    }
    for (const f of this.o.faults ?? []) {
      if (seenBy.get(f.prefix) !== f.nth) continue;
      switch (f.kind) {
        case "401":
          this.tokens.delete(token); // the token expires
          return finish(401, { message: "Unauthorized", error: 401 }, rl);
        case "429":
          return finish(
            429,
            { message: "Too Many Requests", error: 429 },
            {
              "X-Ratelimit-Used": "100",
              "X-Ratelimit-Remaining": "0",
              "X-Ratelimit-Reset": "7",
              "Retry-After": "2",
            },
          );
        case "500":
          return finish(500, "<html><body>internal server error</body></html>", { "Content-Type": "text/html" });
        case "503":
          return finish(503, "<html>Our CDN was unable to reach our servers</html>", { "Content-Type": "text/html" });
        case "error-body":
          return finish(200, { message: "Internal Server Error", error: 500 }, rl);
        case "ratelimit-exhausted":
          // a good answer, but the window is used up for 3 s
          return this.answer(url, (s, b) =>
            finish(s, b, { ...rl, "X-Ratelimit-Remaining": "0.0", "X-Ratelimit-Reset": "3" }),
          );
      }
    }
    return this.answer(url, (s, b) => finish(s, b, rl));
  }

  private postThing(p: FakePost) {
    return {
      kind: "t3",
      data: {
        id: p.id,
        name: `t3_${p.id}`,
        subreddit: p.subreddit,
        title: p.title,
        selftext: p.selftext,
        author: `author_${p.id}`,
        score: p.score,
        upvote_ratio: 0.95,
        num_comments: p.comments.length,
        created_utc: 1_700_000_000 + p.score,
        permalink: `/r/${p.subreddit}/comments/${p.id}/title/`,
        url: `https://www.reddit.com/r/${p.subreddit}/comments/${p.id}/title/`,
        over_18: false,
        link_flair_text: null,
        removed_by_category: null,
        is_self: true,
        stickied: false,
        distinguished: null,
        edited: false,
      },
    };
  }

  private listing(children: unknown[], after: string | null = null) {
    return {
      kind: "Listing",
      data: { after, dist: children.length, modhash: "", geo_filter: "", children, before: null },
    };
  }

  private depthOf(c: FakeComment): number {
    let d = 0;
    let cur = c;
    while (cur.parent.startsWith("t1_")) {
      const parent = this.byId.get(cur.parent.slice(3));
      if (!parent) break;
      cur = parent.c;
      d++;
    }
    return d;
  }

  /** A comment with up to CHILDREN_SHOWN children nested `budget` levels deep; deeper -> continue this thread. */
  private render(c: FakeComment, post: FakePost, budget: number): unknown {
    const kids = [...(this.kids.get(`t1_${c.id}`) ?? [])].sort((a, b) => b.score - a.score);
    let replies: unknown = "";
    if (kids.length > 0) {
      if (budget <= 0) {
        replies = this.listing([
          {
            kind: "more",
            data: {
              count: 0,
              name: "t1__",
              id: "_",
              parent_id: `t1_${c.id}`,
              depth: this.depthOf(c) + 1,
              children: [],
            },
          },
        ]);
      } else {
        const shown = kids.slice(0, CHILDREN_SHOWN).map((k) => this.render(k, post, budget - 1));
        const rest = kids.slice(CHILDREN_SHOWN);
        if (rest.length > 0)
          shown.push({
            kind: "more",
            data: {
              count: rest.length,
              name: `t1_${rest[0]!.id}`,
              id: rest[0]!.id,
              parent_id: `t1_${c.id}`,
              depth: this.depthOf(c) + 1,
              children: rest.map((r) => r.id),
            },
          });
        replies = this.listing(shown);
      }
    }
    return {
      kind: "t1",
      data: {
        id: c.id,
        name: `t1_${c.id}`,
        parent_id: c.parent,
        link_id: `t3_${post.id}`,
        body: c.body,
        author: `user_${c.id}`,
        score: c.score,
        created_utc: 1_700_000_100 + c.score,
        depth: this.depthOf(c),
        distinguished: null,
        stickied: false,
        is_submitter: false,
        edited: false,
        replies,
        subreddit: post.subreddit,
      },
    };
  }

  private flatten(thing: unknown, out: unknown[]): void {
    const t = thing as { kind: string; data: { replies?: unknown } };
    if (t.kind !== "t1") {
      out.push(t);
      return;
    }
    const replies = t.data.replies as { data?: { children: unknown[] } } | "";
    out.push({ ...t, data: { ...t.data, replies: "" } });
    if (replies !== "" && replies?.data) for (const r of replies.data.children) this.flatten(r, out);
  }

  private answer(url: URL, reply: (status: number, body: unknown) => void): unknown {
    const p = url.pathname;
    const q = url.searchParams;
    if (q.get("raw_json") !== "1") this.problems.push(`no raw_json=1 on ${p}`);
    let m = /^\/r\/(\w+)\/(new|hot|top|search)$/.exec(p);
    if (m) {
      const ids = this.o.listings[`${m[1]}/${m[2]}`];
      if (!ids) return reply(404, { message: "Not Found", error: 404 });
      const limit = Math.min(this.o.pageSize ?? 100, Number(q.get("limit") ?? 25));
      const after = q.get("after");
      const start = after ? ids.indexOf(after.slice(3)) + 1 : 0;
      const slice = ids.slice(start, start + limit);
      const posts = slice.map((id) => this.o.posts.find((x) => x.id === id)!).map((x) => this.postThing(x));
      const next = start + limit < ids.length ? `t3_${slice[slice.length - 1]}` : null;
      return reply(200, this.listing(posts, next));
    }
    m = /^\/comments\/(\w+)(?:\/_\/(\w+))?$/.exec(p);
    if (m) {
      const post = this.o.posts.find((x) => x.id === m![1]);
      if (!post) return reply(404, { message: "Not Found", error: 404 });
      if (m[2]) {
        const c = this.byId.get(m[2]);
        if (!c) return reply(404, { message: "Not Found", error: 404 });
        return reply(200, [this.listing([this.postThing(post)]), this.listing([this.render(c.c, post, 2)])]);
      }
      const top = post.comments.filter((c) => c.parent.startsWith("t3_")).sort((a, b) => b.score - a.score);
      const shown: unknown[] = top.slice(0, 2).map((c) => this.render(c, post, 2));
      const rest = top.slice(2);
      if (rest.length > 0)
        shown.push({
          kind: "more",
          data: {
            count: rest.length,
            name: `t1_${rest[0]!.id}`,
            id: rest[0]!.id,
            parent_id: `t3_${post.id}`,
            depth: 0,
            children: rest.map((r) => r.id),
          },
        });
      return reply(200, [this.listing([this.postThing(post)]), this.listing(shown)]);
    }
    if (p === "/api/morechildren") {
      const ids = (q.get("children") ?? "").split(",").filter(Boolean);
      if (q.get("api_type") !== "json") this.problems.push("morechildren without api_type=json");
      if (ids.length > 100) {
        this.problems.push(`morechildren with ${ids.length} ids`);
        return reply(200, { json: { errors: [["TOO_MANY", "too many children", "children"]] } });
      }
      const things: unknown[] = [];
      for (const id of ids) {
        const c = this.byId.get(id);
        if (c && `t3_${c.post.id}` === q.get("link_id")) this.flatten(this.render(c.c, c.post, 1), things);
      }
      return reply(200, { json: { errors: [], data: { things } } });
    }
    reply(404, { message: "Not Found", error: 404 });
  }
}

/**
 * A deterministic world: `travel` (12 posts: top has all 12, hot has 4 of them), `paris` (2 posts,
 * top only, so a quota of 3 ends early) and `japan` (5 posts in top: the listing cap in tests).
 * Post `t01` has a deep, wide tree (continue-this-thread, nested more) and `t02` has 150 top-level
 * comments (two morechildren calls of 100 + 48 ids).
 */
export function fakeWorld(): Pick<FakeRedditOptions, "posts" | "listings"> {
  const posts: FakePost[] = [];
  const mk = (sub: string, id: string, score: number, comments: FakeComment[]) =>
    posts.push({
      id,
      subreddit: sub,
      title: `Question ${id} about r/${sub} & trains`,
      selftext: `Body of ${id} <with> &amp; entities`,
      score,
      comments,
    });
  const chain = (post: string, prefix: string, parent: string, depth: number, width: number, out: FakeComment[]) => {
    for (let i = 0; i < width; i++) {
      const id = `${prefix}${i}`;
      out.push({
        id,
        parent,
        body: `Reply ${id} in ${post}: take the night train, it is cheaper than flying.`,
        score: 50 - i - depth * 3,
      });
      if (depth < 4) chain(post, `${id}x`, `t1_${id}`, depth + 1, depth === 0 ? 5 : 2, out);
    }
  };
  const deep: FakeComment[] = [];
  chain("t01", "a", "t3_t01", 0, 4, deep);
  mk("travel", "t01", 900, deep);
  const wide: FakeComment[] = [];
  for (let i = 0; i < 150; i++)
    wide.push({ id: `w${i}`, parent: "t3_t02", body: `Tip ${i}: carry cash in rural areas.`, score: 200 - i });
  mk("travel", "t02", 800, wide);
  for (let i = 3; i <= 12; i++) {
    const id = `t${String(i).padStart(2, "0")}`;
    mk("travel", id, 700 - i, [
      { id: `${id}c1`, parent: `t3_${id}`, body: `First answer to ${id}.`, score: 10 },
      { id: `${id}c2`, parent: `t1_${id}c1`, body: `Reply to the first answer of ${id}.`, score: 3 },
    ]);
  }
  for (const id of ["p1", "p2"])
    mk("paris", id, 40, [{ id: `${id}c1`, parent: `t3_${id}`, body: `Paris tip ${id}.`, score: 4 }]);
  for (const id of ["j1", "j2", "j3", "j4", "j5"]) mk("japan", id, 30, []);
  const travel = posts.filter((p) => p.subreddit === "travel").map((p) => p.id);
  return {
    posts,
    listings: {
      "travel/top": travel,
      "travel/hot": ["t05", "t01", "t11", "t12"],
      "paris/top": ["p1", "p2"],
      "japan/top": ["j1", "j2", "j3", "j4", "j5"],
    },
  };
}
