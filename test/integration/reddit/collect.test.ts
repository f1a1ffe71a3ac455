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
      travel: {
        subreddits: ["travel"],
        listings: [
          { sort: "top", t: "year", quota: 12 },
          { sort: "hot", quota: 4 },
        ],
      },
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
  const s = await FakeReddit.start({
    ...fakeWorld(),
    clientId: ENV.REDDIT_CLIENT_ID,
    clientSecret: ENV.REDDIT_CLIENT_SECRET,
    pageSize: 5,
    ...o,
  });
  servers.push(s);
  return s;
}
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
});

const tmp = () => mkdtempSync(join(tmpdir(), "wayfarer-collect-"));
const readThreads = (dir: string): Thread[] =>
  readFileSync(join(dir, "threads.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Thread);

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
    expect(
      faulty.log
        .filter((l) => l.path.startsWith("/r/travel/top") && l.status === 200)
        .map((l) => new URL(l.path, "http://x").searchParams.get("limit")),
    ).toEqual(["12", "7", "2"]);
    expect(r.listings.find((l) => l.sort === "hot")).toMatchObject({ taken: 4, newPosts: 0, end: "quota" });
    expect(r.listings.find((l) => l.subreddit === "paris")).toMatchObject({ taken: 2, end: "exhausted" });
    expect(r.listings.find((l) => l.subreddit === "japan")).toMatchObject({ taken: 5, end: "cap" });
    expect(r.cappedListings).toBe(1);

    // Full trees: every comment of the fake world, with depth rebuilt from parent_id.
    const threads = readThreads(dir);
    expect(threads.map((t) => t.post.id)).toEqual([
      "t01",
      "t02",
      "t03",
      "t04",
      "t05",
      "t06",
      "t07",
      "t08",
      "t09",
      "t10",
      "t11",
      "t12",
      "p1",
      "p2",
      "j1",
      "j2",
      "j3",
      "j4",
      "j5",
    ]);
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
    expect(
      faulty.log.filter(
        (l) => l.path.startsWith("/api/morechildren") && l.path.includes("link_id=t3_t02") && l.status === 200,
      ).length,
    ).toBe(2);

    // Faults survived: each counted once, and the output equals the fault-free run byte for byte.
    expect(r.client).toMatchObject({
      status429: 1,
      status5xx: 2,
      errorBodies: 1,
      refreshesOn401: 1,
      tokenRequests: 2,
      rateLimitWaits: 2,
    });
    // 3 backoffs of backoffBaseMs (500, 503, error body); Retry-After 2 s on the 429, then the rest of its
    // X-Ratelimit-Reset (7 s); X-Ratelimit-Remaining 0 with Reset 3 s on t06.
    expect(deps.slept).toEqual([5, 5, 5, 2000, 5000, 3000]);
    expect(r.client).toMatchObject({ rateLimitWaitMs: 8000, backoffWaitMs: 2015 });
    expect(readFileSync(join(dir, "threads.jsonl"), "utf8")).toBe(
      readFileSync(join(cleanDir, "threads.jsonl"), "utf8"),
    );
    expect(r0.threads).toBe(19);
    expect(r.pages.fetched).toBe(r0.pages.fetched);
  });
});

describe("collect: failures, credentials and resuming", () => {
  it("fails before any request when a credential variable is missing, naming the variable only", async () => {
    const s = await server();
    const err = await collectThreads({
      options: config(s.baseUrl),
      outDir: tmp(),
      deps: fakeDeps({ REDDIT_CLIENT_ID: "cid-123" }),
    }).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain("REDDIT_CLIENT_SECRET");
    expect(s.log.length).toBe(0);
  });

  it("treats a token reply of 200 {error} as a failure without leaking the secret", async () => {
    const s = await server();
    const opts = config(s.baseUrl, { auth: { flow: "password" } });
    const deps = fakeDeps({ ...ENV, REDDIT_USERNAME: "someone", REDDIT_PASSWORD: "wrong-pass-987" });
    const err = await collectThreads({ options: opts, outDir: tmp(), deps }).catch((e) => e);
    expect(err).toBeInstanceOf(RedditApiError);
    expect((err as RedditApiError).isRetryable).toBe(false);
    expect((err as Error).message).toMatch(/invalid_grant.*REDDIT_PASSWORD/);
    for (const secret of ["s3cret-value-xyz", "wrong-pass-987"])
      expect(JSON.stringify([(err as Error).message, deps.logs])).not.toContain(secret);
    expect(s.count()).toBe(0);
  });

  it("gives up after maxRetries with a retryable error, keeps the journal, and the rerun fetches only what is missing", async () => {
    const ref = await server();
    const refDir = tmp();
    const r0 = await collectThreads({ options: config(ref.baseUrl), outDir: refDir, deps: fakeDeps() });
    const faults: Fault[] = [1, 2, 3, 4].map((nth) => ({ prefix: "/comments/t07", nth, kind: "500" }));
    const s = await server({ faults });
    const dir = tmp();
    const err = await collectThreads({ options: config(s.baseUrl), outDir: dir, deps: fakeDeps() }).catch((e) => e);
    expect(err).toBeInstanceOf(RedditApiError);
    expect(err).toMatchObject({ status: 500, isRetryable: true });
    expect(existsSync(join(dir, "threads.jsonl"))).toBe(false);
    const journaled = readFileSync(join(dir, "pages.jsonl"), "utf8").trim().split("\n").length;
    // A crash can cut the last journal line short: it is dropped on open and its request made again.
    appendFileSync(join(dir, "pages.jsonl"), '{"k":"/comments/t07?sort=conf');
    const before = s.count();
    const r = await collectThreads({ options: config(s.baseUrl), outDir: dir, deps: fakeDeps() });
    expect(r.pages.fromJournal).toBe(journaled);
    expect(r.pages.fetched).toBe(r0.pages.fetched - journaled);
    expect(s.count() - before).toBe(r0.pages.fetched - journaled);
    expect(readFileSync(join(dir, "threads.jsonl"), "utf8")).toBe(readFileSync(join(refDir, "threads.jsonl"), "utf8"));
    // Other settings in the same folder are refused.
    const other = config(s.baseUrl, { comments: { maxMoreRequestsPerThread: 3 } });
    await expect(collectThreads({ options: other, outDir: dir, deps: fakeDeps() })).rejects.toThrow(/--fresh/);
  });

  it("leaves branches it may not load as `more` (maxMoreRequestsPerThread)", async () => {
    const s = await server();
    const r = await collectThreads({
      options: config(s.baseUrl, { comments: { maxMoreRequestsPerThread: 3 } }),
      outDir: tmp(),
      deps: fakeDeps(),
    });
    const t01 = readThreads(r.threadsFile.replace(/threads\.jsonl$/, ""))[0]!;
    expect(t01.comments.length).toBeLessThan(304);
    expect(t01.more!.length).toBeGreaterThan(0);
    expect(s.count("/comments/t01/_/") + s.log.filter((l) => l.path.includes("link_id=t3_t01")).length).toBe(3);
    expect(r.unloadedMore).toBeGreaterThan(0);
  });
});

describe("collect CLI: kill -9 in the middle and rerun", () => {
  function runCli(
    cfg: string,
    out: string,
  ): { child: ChildProcess; done: Promise<{ code: number | null; signal: string | null; stderr: string }> } {
    const child = spawn(process.execPath, [join(ROOT, "bin/wayfarer.js"), "collect", "--config", cfg, "--out", out], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", ...ENV },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (d) => {
      stderr += String(d);
    });
    const done = new Promise<{ code: number | null; signal: string | null; stderr: string }>((r) =>
      child.on("exit", (code, signal) => r({ code, signal, stderr })),
    );
    return { child, done };
  }

  it("resumes without refetching and writes output byte-identical to an uninterrupted run", async () => {
    let victim: ChildProcess | undefined;
    let killAt = 0;
    const s = await server({
      onApiRequest: (n) => {
        if (killAt > 0 && n === killAt) {
          victim?.kill("SIGKILL");
          return "hang";
        }
        return undefined;
      },
    });
    const dir = tmp();
    const cfgFile = join(dir, "collect.yaml");
    // An experiment-style file: the settings under `collect:`.
    writeFileSync(cfgFile, JSON.stringify({ collect: config(s.baseUrl) }));

    const ref = runCli(cfgFile, join(dir, "ref"));
    const refExit = await ref.done;
    expect(refExit.code, refExit.stderr).toBe(0);
    const total = s.count();
    expect(total).toBeGreaterThan(60);

    const out = join(dir, "resumed");
    let answered = 0;
    for (const k of [7, 31]) {
      killAt = s.apiCount + k;
      const run = runCli(cfgFile, out);
      victim = run.child;
      const exit = await run.done;
      expect(exit.signal).toBe("SIGKILL");
      answered += k - 1; // the k-th request was never answered
      expect(readFileSync(join(out, "pages.jsonl"), "utf8").trim().split("\n").length).toBe(answered);
      expect(existsSync(join(out, "threads.jsonl"))).toBe(false);
    }
    killAt = 0;
    const base = s.count();
    const last = runCli(cfgFile, out);
    const exit = await last.done;
    expect(exit.code, exit.stderr).toBe(0);
    // No finished page was fetched again: the three runs together asked for exactly the pages of one run.
    expect(s.count() - base).toBe(total - answered);
    expect(readFileSync(join(out, "threads.jsonl"), "utf8")).toBe(
      readFileSync(join(dir, "ref", "threads.jsonl"), "utf8"),
    );
    expect(JSON.parse(readFileSync(join(out, "state.json"), "utf8"))).toMatchObject({ pages: total, done: true });
    expect(readFileSync(join(out, "pages.jsonl"), "utf8")).not.toContain(ENV.REDDIT_CLIENT_SECRET);
    expect(s.problems).toEqual([]);
  });
});
