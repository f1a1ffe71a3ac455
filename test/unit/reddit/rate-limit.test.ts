/**
 * Issue 14, case 7: the Reddit client's pacing when the rate-limit headers say "0". A real HTTP server on
 * 127.0.0.1 answers the token request and then each GET with the status and X-Ratelimit headers the test
 * scripts (Reddit's header names and a listing-shaped body); the clock is fake (sleeping advances it and is
 * recorded), so the waits are exact and the test takes milliseconds.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { CollectOptionsSchema } from "../../../src/config/collect.ts";
import { RedditApiError } from "../../../src/errors/reddit-api-error.ts";
import { type CollectDeps, RedditClient } from "../../../src/reddit/collect/client.ts";

interface Scripted {
  status: number;
  headers: Record<string, string>;
}

const LISTING = JSON.stringify({ kind: "Listing", data: { after: null, children: [] } });

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** Serves the token endpoint and then the scripted GET answers in order; records when each GET arrived. */
async function reddit(script: Scripted[], clock: () => number): Promise<{ base: string; gets: number[] }> {
  const gets: number[] = [];
  server = createServer((req, res) => {
    if (req.url === "/api/v1/access_token") {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ access_token: "tok", token_type: "bearer", expires_in: 86400, scope: "*" }));
      return;
    }
    gets.push(clock());
    const next = script.shift() ?? { status: 200, headers: {} };
    res.writeHead(next.status, { "Content-Type": "application/json", ...next.headers });
    res.end(next.status === 200 ? LISTING : JSON.stringify({ message: "Too Many Requests", error: 429 }));
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return { base: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, gets };
}

function client(base: string, http: Record<string, number> = {}) {
  let t = 1_700_000_000_000;
  const slept: number[] = [];
  const deps: CollectDeps = {
    fetch: globalThis.fetch,
    now: () => t,
    sleep: async (ms) => {
      slept.push(ms);
      t += ms;
    },
    env: { REDDIT_CLIENT_ID: "id", REDDIT_CLIENT_SECRET: "secret" },
    log: () => {},
  };
  const o = CollectOptionsSchema.parse({
    userAgent: { platform: "test", appId: "org.example.wayfarer", version: "0.1.0", username: "wayfarer_dev" },
    tiers: { t: { subreddits: ["travel"], listings: [{ sort: "new", quota: 1 }] } },
    http: { www: base, oauth: base, minIntervalMs: 600, backoffBaseMs: 1000, maxRetries: 6, ...http },
  });
  return { c: new RedditClient({ auth: o.auth, userAgent: o.userAgent, http: o.http, deps }), slept, now: () => t };
}

const limits = (remaining: string, reset: string) => ({
  "X-Ratelimit-Used": "100",
  "X-Ratelimit-Remaining": remaining,
  "X-Ratelimit-Reset": reset,
});

describe("Reddit client: rate-limit headers of 0", () => {
  it("after a response with remaining 0 and reset 0, the next request waits at least 1 s", async () => {
    let now = () => 0;
    const srv = await reddit(
      [
        { status: 200, headers: limits("0", "0") },
        { status: 200, headers: limits("99", "600") },
      ],
      () => now(),
    );
    const k = client(srv.base);
    now = k.now;
    expect((await k.c.get("/r/travel/new")).status).toBe(200);
    expect((await k.c.get("/r/travel/new")).status).toBe(200);
    expect(srv.gets[1]! - srv.gets[0]!).toBe(1000);
    expect(k.slept).toEqual([1000]);
    expect(k.c.stats).toMatchObject({ rateLimitWaits: 1, rateLimitWaitMs: 1000 });
  });

  it("remaining 0 with a reset of 3 s waits the 3 s (the floor only lifts 0)", async () => {
    let now = () => 0;
    const srv = await reddit([{ status: 200, headers: limits("0", "3") }], () => now());
    const k = client(srv.base);
    now = k.now;
    await k.c.get("/r/travel/new");
    await k.c.get("/r/travel/new");
    expect(srv.gets[1]! - srv.gets[0]!).toBe(3000);
  });

  it("a 429 with reset 0 backs off exponentially (1, 2, 4, 8 s), never a fixed 600 ms loop", async () => {
    let now = () => 0;
    const tooMany = { status: 429, headers: limits("0", "0") };
    const srv = await reddit([tooMany, tooMany, tooMany, tooMany, { status: 200, headers: {} }], () => now());
    const k = client(srv.base);
    now = k.now;
    expect((await k.c.get("/r/travel/new")).status).toBe(200);
    const gaps = srv.gets.slice(1).map((t, i) => t - srv.gets[i]!);
    expect(gaps).toEqual([1000, 2000, 4000, 8000]);
    expect(k.slept).toEqual([1000, 2000, 4000, 8000]);
    expect(k.c.stats).toMatchObject({ status429: 4, backoffWaitMs: 15000 });
  });

  it("a 429 that asks for longer than the backoff gets what it asks; the backoff is capped; then it gives up", async () => {
    let now = () => 0;
    const srv = await reddit(
      [
        { status: 429, headers: { "Retry-After": "5" } },
        ...Array.from({ length: 4 }, () => ({ status: 429, headers: limits("0", "0") })),
      ],
      () => now(),
    );
    const k = client(srv.base, { maxRetries: 4, backoffMaxMs: 3000 });
    now = k.now;
    const err = await k.c.get("/r/travel/new").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedditApiError);
    expect((err as RedditApiError).message).toBe("GET /r/travel/new: HTTP 429 after 5 tries");
    expect(k.slept).toEqual([5000, 2000, 3000, 3000]);
  });
});
