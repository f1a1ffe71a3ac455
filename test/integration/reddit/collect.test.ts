import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CollectOptionsInput } from "../../../src/config/collect.ts";
import { ConfigError } from "../../../src/errors/config-error.ts";
import { RedditApiError } from "../../../src/errors/reddit-api-error.ts";
import type { CollectDeps } from "../../../src/reddit/collect/client.ts";
import { collectThreads } from "../../../src/reddit/collect/collect.ts";
import type { Thread } from "../../../src/reddit/thread.ts";
import { ROOT } from "../../helpers/paths.ts";
import { FakeReddit, type FakeRedditOptions, type Fault, fakeWorld } from "./fake-reddit-server.ts";

const ENV = { REDDIT_CLIENT_ID: "cid-123", REDDIT_CLIENT_SECRET: "s3cret-value-xyz" };

function config(base: string, extra: Partial<CollectOptionsInput> = {}): CollectOptionsInput {
  return {
    userAgent: { platform: "test", appId: "org.example.wayfarer", version: "0.1.0", username: "wayfarer_dev" },
    tiers: {
      travel: { subreddits: ["travel"], listings: [{ sort: "top", t: "year", quota: 12 }, { sort: "hot", quota: 4 }] },
      city: { subreddits: ["paris", "japan"], listings: [{ sort: "top", t: "year", quota: 8 }] },
    },
    comments: { maxMoreRequestsPerThread: 500 },
    http: { www: base, oauth: base, backoffBaseMs: 5, minIntervalMs: 0, maxRetries: 3, listingCap: 5 },
    ...extra,
  };
}

/** Fake clock + sleep: sleeping advances the clock and is recorded, never waits. */
function fakeDeps(env: Record<string, string> = ENV): CollectDeps & { slept: number[]; logs: string[] } {
  let t = 1_700_000_000_000;
  const slept: number[] = [];
  const logs: string[] = [];
  return {
    fetch: globalThis.fetch,
    now: () => t,
    sleep: async (ms) => {
      slept.push(ms);
      t += ms;
    },
    env,
    log: (l) => logs.push(l),
    slept,
    logs,
  };
}

const servers: FakeReddit[] = [];
async function server(o: Partial<FakeRedditOptions> = {}): Promise<FakeReddit> {
  const s = await FakeReddit.start({ ...fakeWorld(), clientId: ENV.REDDIT_CLIENT_ID, clientSecret: ENV.REDDIT_CLIENT_SECRET, pageSize: 5, ...o });
  servers.push(s);
  return s;
}
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
});

const tmp = () => mkdtempSync(join(tmpdir(), "wayfarer-collect-"));
const readThreads = (dir: string): Thread[] =>
  readFileSync(join(dir, "threads.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Thread);

const FAULTS: Fault[] = [
  { prefix: "/r/travel/top", nth: 2, kind: "429" },
  { prefix: "/api/morechildren", nth: 1, kind: "500" },
  { prefix: "/comments/t02", nth: 1, kind: "503" },
  { prefix: "/comments/t03", nth: 1, kind: "401" },
  { prefix: "/comments/t04", nth: 1, kind: "error-body" },
  { prefix: "/comments/t06", nth: 1, kind: "ratelimit-exhausted" },
];

describe("collect against a fake Reddit on 127.0.0.1", () => {
  it("pages listings, loads full comment trees and survives 429, 5xx, 401 and a 200 error body", async () => {
    const world = fakeWorld();
    const clean = await server();
    const cleanDir = tmp();
    const r0 = await collectThreads({ options: config(clean.baseUrl), outDir: cleanDir, deps: fakeDeps() });
    expect(clean.problems).toEqual([]);

    const faulty = await server({ faults: FAULTS });
    const dir = tmp();
    const deps = fakeDeps();
    const r = await collectThreads({ options: config(faulty.baseUrl), outDir: dir, deps });
    expect(faulty.problems).toEqual([]);

    // Listings: travel/top in 3 pages (5 + 5 + 2; the fake returns <= 5 per page), hot all seen already.
    const top = r.listings.find((l) => l.subreddit === "travel" && l.sort === "top")!;
    expect(top).toMatchObject({ taken: 12, newPosts: 12, pages: 3, end: "quota" });
    expect(faulty.log.filter((l) => l.path.startsWith("/r/travel/top") && l.status === 200).map((l) => new URL(l.path, "http://x").searchParams.get("limit"))).toEqual(["12", "7", "2"]);
    expect(r.listings.find((l) => l.sort === "hot")).toMatchObject({ taken: 4, newPosts: 0, end: "quota" });
    expect(r.listings.find((l) => l.subreddit === "paris")).toMatchObject({ taken: 2, end: "exhausted" });
    expect(r.listings.find((l) => l.subreddit === "japan")).toMatchObject({ taken: 5, end: "cap" });
    expect(r.cappedListings).toBe(1);

    // Full trees: every comment of the fake world, with depth rebuilt from parent_id.
    const threads = readThreads(dir);
    expect(threads.map((t) => t.post.id)).toEqual(["t01", "t02", "t03", "t04", "t05", "t06", "t07", "t08", "t09", "t10", "t11", "t12", "p1", "p2", "j1", "j2", "j3", "j4", "j5"]);
    const deep = world.posts.find((p) => p.id === "t01")!.comments;
    const t01 = threads[0]!;
    expect(deep.length).toBe(304);
    expect(t01.comments.map((c) => c.id).sort()).toEqual(deep.map((c) => c.id).sort());
    expect(t01.more).toBeUndefined();
    const parentOf = new Map(deep.map((c) => [c.id, c.parent]));
    const depthOf = (id: string): number => {
      const p = parentOf.get(id)!;
      return p.startsWith("t3_") ? 0 : 1 + depthOf(p.slice(3));
    };
    for (const c of t01.comments) expect(c.depth).toBe(depthOf(c.id));
    expect(Math.max(...t01.comments.map((c) => c.depth))).toBe(4);
    expect(threads[1]!.comments.length).toBe(150);
    expect(r.comments).toBe(304 + 150 + 10 * 2 + 2);
    expect(t01.source).toEqual({ kind: "reddit-api", file: "/comments/t01" });
    expect(t01.post.selftext).toBe("Body of t01 <with> &amp; entities");
    // continue-this-thread and morechildren were used; <= 100 ids per morechildren call (checked by the server)
    expect(faulty.count("/comments/t01/_/")).toBeGreaterThan(10);
    expect(faulty.log.filter((l) => l.path.startsWith("/api/morechildren") && l.path.includes("link_id=t3_t02") && l.status === 200).length).toBe(2);

    // Faults survived: each counted once, and the output equals the fault-free run byte for byte.
    expect(r.client).toMatchObject({ status429: 1, status5xx: 2, errorBodies: 1, refreshesOn401: 1, tokenRequests: 2, rateLimitWaits: 1 });
    console.log(JSON.stringify(r.client), JSON.stringify(deps.slept));
    expect(readFileSync(join(dir, "threads.jsonl"), "utf8")).toBe(readFileSync(join(cleanDir, "threads.jsonl"), "utf8"));
    expect(r0.threads).toBe(19);
    expect(r.pages.fetched).toBe(r0.pages.fetched);
  });
});
