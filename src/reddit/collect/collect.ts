/**
 * `collect`: Reddit API -> `pages.jsonl` (every answer, fsync'd) -> `threads.jsonl` (thread model).
 *
 * For each tier (in config order), each subreddit, each listing: page through the listing with
 * `after` (limit <= 100, `raw_json=1`) up to its quota; for every post not seen before, fetch its
 * comment page and every collapsed branch (see comment-tree.ts), then write the thread. Requests
 * go out one at a time. Every answer is journaled before the next request; a rerun on the same
 * folder replays the journal and only asks the network for what it lacks, so the output of a run
 * that was killed and resumed is byte-identical to that of an uninterrupted run.
 */
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type CollectOptions,
  type CollectOptionsInput,
  CollectOptionsSchema,
  type ListingSpec,
} from "../../config/collect.ts";
import { stableHash } from "../../config/load.ts";
import { ConfigError } from "../../errors/config-error.ts";
import { RedditApiError } from "../../errors/reddit-api-error.ts";
import { threadFromCommentPage } from "../formats/reddit-json.ts";
import type { SkippedRecord } from "../import.ts";
import { ImportTally } from "../report.ts";
import type { Thread } from "../thread.ts";
import { type ApiPage, type BodyCheck, type ClientStats, type CollectDeps, RedditClient } from "./client.ts";
import { CommentTreeAssembler, commentPageProblem, type MoreTask, moreChildrenProblem } from "./comment-tree.ts";
import { JOURNAL_FILE, PageJournal } from "./journal.ts";

/** Output file names inside the collect folder. */
export const THREADS_FILE = "threads.jsonl";
export const REPORT_FILE = "collect-report.json";

/** How one listing ended. `cap`: Reddit's ~1,000-item end came before the quota. */
export type ListingEnd = "quota" | "exhausted" | "cap" | "unavailable";

/** What happened to one listing of one subreddit. */
export interface ListingReport {
  tier: string;
  subreddit: string;
  sort: ListingSpec["sort"];
  t?: string;
  q?: string;
  quota: number;
  /** Posts taken from the listing (including posts already collected from an earlier listing). */
  taken: number;
  /** Posts new to this run. */
  newPosts: number;
  pages: number;
  end: ListingEnd;
}

/** The result of {@link collectThreads}; also written to `collect-report.json`. */
export interface CollectReport {
  kind: "wayfarer-collect-report";
  threadsFile: string;
  threads: number;
  comments: number;
  /** Collapsed branches left unloaded (expandMore off, or maxMoreRequestsPerThread reached). */
  unloadedMore: number;
  /** Posts whose comment page answered 403/404 (deleted or private since listed). */
  threadsUnavailable: number;
  listings: ListingReport[];
  /** Listings that hit Reddit's ~1,000-item cap before their quota. */
  cappedListings: number;
  pages: {
    /** Answers taken from the journal of an earlier (interrupted) run: not fetched again. */
    fromJournal: number;
    /** Answers fetched from the network and journaled in this run. */
    fetched: number;
  };
  client: ClientStats;
  userAgent: string;
  /** Records the parser could not use (counts exact, first 100 kept). */
  skippedCount: number;
  skipped: SkippedRecord[];
}

/** Options of {@link collectThreads}. */
export interface CollectThreadsOptions {
  /** Settings; validated and defaulted with {@link CollectOptionsSchema}. */
  options: CollectOptionsInput | CollectOptions;
  /** Output folder: pages.jsonl, state.json, threads.jsonl, collect-report.json. Created if missing. */
  outDir: string;
  /** Remove an earlier journal in `outDir` and start over (default false: resume). */
  fresh?: boolean;
  deps: CollectDeps;
  /** Called after every thread with running totals. */
  onProgress?: (p: { threads: number; fetched: number; fromJournal: number }) => void;
  /** Stops the run between requests (what is journaled stays; rerun to resume). */
  signal?: AbortSignal;
}

/** The part of the settings that decides which requests are made; a resumed run must match it. */
export function requestPlanHash(o: CollectOptions): string {
  return stableHash({ tiers: o.tiers, comments: o.comments, listingCap: o.http.listingCap });
}

function listingKey(sub: string, l: ListingSpec, limit: number, count: number, after: string | null): string {
  const q = new URLSearchParams();
  if (l.sort === "search") {
    q.set("q", l.q ?? "");
    q.set("restrict_sr", "1");
    q.set("sort", l.searchSort);
  }
  if (l.t !== undefined) q.set("t", l.t);
  q.set("limit", String(limit));
  if (count > 0) q.set("count", String(count));
  if (after !== null) q.set("after", after);
  q.set("raw_json", "1");
  return `/r/${sub}/${l.sort}?${q.toString()}`;
}

function listingProblem(body: unknown): string | null {
  const b = body as { kind?: unknown; data?: { children?: unknown; after?: unknown } } | null;
  if (b?.kind !== "Listing" || !b.data || !Array.isArray(b.data.children))
    return "expected a Listing ({kind: 'Listing', data: {children: [...]}})";
  if (b.data.after !== null && b.data.after !== undefined && typeof b.data.after !== "string")
    return "Listing data.after is not a string";
  return null;
}

/**
 * Runs (or resumes) a collection into `outDir` and returns the report. Throws ConfigError for
 * invalid settings or missing credential variables (before any request), RedditApiError when a
 * request fails for good (everything journaled so far is kept: rerun to resume).
 */
export async function collectThreads(opts: CollectThreadsOptions): Promise<CollectReport> {
  const parsed = CollectOptionsSchema.safeParse(opts.options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`collect options: ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`);
  }
  const o = parsed.data;
  const client = new RedditClient({ auth: o.auth, userAgent: o.userAgent, http: o.http, deps: opts.deps });
  const journal = await PageJournal.open(opts.outDir, { configHash: requestPlanHash(o), fresh: opts.fresh ?? false });
  const tally = new ImportTally();
  const threadsPath = join(opts.outDir, THREADS_FILE);
  const out = createWriteStream(`${threadsPath}.partial`);
  const report: CollectReport = {
    kind: "wayfarer-collect-report",
    threadsFile: threadsPath,
    threads: 0,
    comments: 0,
    unloadedMore: 0,
    threadsUnavailable: 0,
    listings: [],
    cappedListings: 0,
    pages: { fromJournal: 0, fetched: 0 },
    client: client.stats,
    userAgent: client.userAgent,
    skippedCount: 0,
    skipped: [],
  };

  const page = async (key: string, check: BodyCheck): Promise<ApiPage> => {
    const held = await journal.get(key);
    if (held) {
      report.pages.fromJournal++;
      return held;
    }
    if (opts.signal?.aborted)
      throw new RedditApiError("collect stopped (aborted); rerun to resume", {
        status: 0,
        path: key,
        isRetryable: true,
      });
    const answer = await client.get(key, check);
    await journal.append(key, answer);
    report.pages.fetched++;
    return answer;
  };

  const writeThread = async (thread: Thread) => {
    if (!out.write(`${JSON.stringify(thread)}\n`)) await once(out, "drain");
  };

  const fetchThread = async (postId: string): Promise<void> => {
    const c = o.comments;
    const first = await page(
      `/comments/${postId}?${new URLSearchParams({ sort: c.sort, limit: String(c.limit), raw_json: "1" })}`,
      commentPageProblem,
    );
    if (first.status !== 200) {
      report.threadsUnavailable++;
      return;
    }
    const tree = new CommentTreeAssembler(first.body);
    const linkId = `t3_${tree.postId}`;
    let requests = 0;
    while (c.expandMore && requests < c.maxMoreRequestsPerThread) {
      const task: MoreTask | undefined = tree.next();
      if (!task) break;
      requests++;
      if (task.type === "children") {
        const q = new URLSearchParams({
          api_type: "json",
          link_id: linkId,
          children: task.ids.join(","),
          sort: c.sort,
          limit_children: "false",
          raw_json: "1",
        });
        const a = await page(`/api/morechildren?${q}`, moreChildrenProblem);
        if (a.status === 200) tree.absorbMoreChildren(a.body);
      } else {
        const q = new URLSearchParams({ sort: c.sort, limit: String(c.limit), raw_json: "1" });
        const a = await page(`/comments/${tree.postId}/_/${task.commentId}?${q}`, commentPageProblem);
        if (a.status === 200) tree.absorbContinue(a.body);
      }
    }
    const file = `/comments/${tree.postId}`;
    const thread = threadFromCommentPage(tree.page(), { file, tally, progress: () => {} });
    if (!thread) return;
    thread.source = { kind: "reddit-api", file };
    report.threads++;
    report.comments += thread.comments.length;
    report.unloadedMore += thread.more?.length ?? 0;
    await writeThread(thread);
    await journal.threadDone();
    opts.onProgress?.({
      threads: report.threads,
      fetched: report.pages.fetched,
      fromJournal: report.pages.fromJournal,
    });
  };

  try {
    const seen = new Set<string>();
    for (const [tier, spec] of Object.entries(o.tiers)) {
      for (const sub of spec.subreddits) {
        for (const l of spec.listings) {
          const lr: ListingReport = {
            tier,
            subreddit: sub,
            sort: l.sort,
            ...(l.t !== undefined ? { t: l.t } : {}),
            ...(l.q !== undefined ? { q: l.q } : {}),
            quota: l.quota,
            taken: 0,
            newPosts: 0,
            pages: 0,
            end: "quota",
          };
          let after: string | null = null;
          const afters = new Set<string>();
          while (lr.taken < l.quota) {
            const limit = Math.min(100, l.quota - lr.taken);
            const answer = await page(listingKey(sub, l, limit, lr.taken, after), listingProblem);
            lr.pages++;
            if (answer.status !== 200) {
              lr.end = "unavailable";
              break;
            }
            const data = (answer.body as { data: { children: unknown[]; after?: string | null } }).data;
            const posts = data.children.filter(
              (ch): ch is { kind: "t3"; data: { id: string } } =>
                typeof ch === "object" &&
                ch !== null &&
                (ch as { kind?: unknown }).kind === "t3" &&
                typeof (ch as { data?: { id?: unknown } }).data?.id === "string",
            );
            for (const p of posts) {
              if (lr.taken >= l.quota) break;
              lr.taken++;
              if (seen.has(p.data.id)) continue;
              seen.add(p.data.id);
              lr.newPosts++;
              await fetchThread(p.data.id);
            }
            const nextAfter = data.after ?? null;
            if (lr.taken >= l.quota) break;
            if (nextAfter === null || posts.length === 0 || afters.has(nextAfter)) {
              lr.end = lr.taken >= Math.floor(o.http.listingCap * 0.9) ? "cap" : "exhausted";
              break;
            }
            afters.add(nextAfter);
            after = nextAfter;
          }
          if (lr.end === "cap") report.cappedListings++;
          report.listings.push(lr);
        }
      }
    }
    out.end();
    await once(out, "finish");
    await rename(`${threadsPath}.partial`, threadsPath);
    await journal.finish();
  } finally {
    if (!out.closed) out.destroy();
    await journal.close();
  }
  report.skippedCount = tally.skippedCount;
  report.skipped = [...tally.skipped];
  await writeFile(join(opts.outDir, REPORT_FILE), `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

export { JOURNAL_FILE };
