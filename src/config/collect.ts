/**
 * Settings of `wayfarer collect` (Reddit API -> raw pages journal -> threads JSONL). This schema is
 * the only place that holds their types, defaults and help text (STYLE.md #6). Parse with
 * {@link CollectOptionsSchema}: `.parse` fills defaults and runs the cross-field checks before any
 * request is made. Credentials are never part of the settings: the settings name the environment
 * variables that hold them. Facts about the API: ../shared/reference/reddit.md.
 *
 * The seed study's tier scheme, as an example (examples/collect-seed-tiers.yaml):
 * ```yaml
 * tiers:
 *   travel:  { subreddits: [travel, solotravel, backpacking], listings: [{ sort: top, t: year, quota: 1000 }, { sort: hot, quota: 100 }] }
 *   country: { subreddits: [japan, france],                   listings: [{ sort: top, t: year, quota: 50 },   { sort: hot, quota: 20 }] }
 *   city:    { subreddits: [paris, london],                   listings: [{ sort: top, t: year, quota: 20 },   { sort: hot, quota: 20 }] }
 * ```
 */
import { z } from "zod";

/** Listing sorts `collect` can page through (reddit.md, "Listings"). */
export const LISTING_SORTS = ["new", "hot", "top", "search"] as const;
export type ListingSort = (typeof LISTING_SORTS)[number];
/** Time windows of `top` and `search`. */
export const TIME_WINDOWS = ["hour", "day", "week", "month", "year", "all"] as const;
/** Comment sorts of `/comments/{id}` and `/api/morechildren`. */
export const COMMENT_SORTS = ["confidence", "top", "new", "controversial", "old", "qa"] as const;

/** Reddit ends every listing after about this many items, however you page (reddit.md). */
export const REDDIT_LISTING_CAP = 1000;

const SUBREDDIT = /^[A-Za-z0-9][A-Za-z0-9_]{1,20}$/;

const ListingSchema = z
  .object({
    sort: z.enum(LISTING_SORTS).describe("new | hot | top | search."),
    t: z
      .enum(TIME_WINDOWS)
      .optional()
      .describe("Time window of top and search (hour|day|week|month|year|all); Reddit's default (day) when absent."),
    q: z.string().min(1).optional().describe("Search query (required for sort: search; restricted to the subreddit)."),
    searchSort: z
      .enum(["relevance", "hot", "top", "new", "comments"])
      .default("relevance")
      .describe("Order of search results (sort: search only)."),
    quota: z
      .number()
      .int()
      .min(1)
      .max(REDDIT_LISTING_CAP)
      .describe(
        "Posts to take from this listing per subreddit (at most 1000: Reddit ends listings there; a listing that ends early is reported, not an error).",
      ),
  })
  .superRefine((l, ctx) => {
    if (l.sort === "search" && l.q === undefined)
      ctx.addIssue({ code: "custom", path: ["q"], message: "sort: search needs a query q (e.g. q: itinerary)" });
    if (l.sort !== "search" && l.q !== undefined)
      ctx.addIssue({ code: "custom", path: ["q"], message: `q only applies to sort: search, not ${l.sort}` });
    if (l.t !== undefined && l.sort !== "top" && l.sort !== "search")
      ctx.addIssue({ code: "custom", path: ["t"], message: `t only applies to top and search, not ${l.sort}` });
  })
  .describe("One listing to page through, with its per-subreddit quota.");
export type ListingSpec = z.output<typeof ListingSchema>;

const TierSchema = z
  .object({
    subreddits: z
      .array(z.string().regex(SUBREDDIT, "a subreddit name without r/ (letters, digits, _; 2-21 characters)"))
      .min(1)
      .describe("Subreddit names without the r/ prefix."),
    listings: z.array(ListingSchema).min(1).describe("Listings fetched for every subreddit of the tier, in order."),
  })
  .describe("A group of subreddits sharing the same listings and quotas (seed study: travel / country / city).");

const AuthSchema = z
  .object({
    flow: z
      .enum(["client_credentials", "password"])
      .default("client_credentials")
      .describe(
        "OAuth flow: client_credentials = app-only (read-only public data); password = script app, only for the app's developers.",
      ),
    clientIdEnv: z
      .string()
      .min(1)
      .default("REDDIT_CLIENT_ID")
      .describe("Environment variable holding the app's client id."),
    clientSecretEnv: z
      .string()
      .min(1)
      .default("REDDIT_CLIENT_SECRET")
      .describe("Environment variable holding the app's client secret."),
    usernameEnv: z
      .string()
      .min(1)
      .default("REDDIT_USERNAME")
      .describe("Environment variable holding the Reddit username (password flow only)."),
    passwordEnv: z
      .string()
      .min(1)
      .default("REDDIT_PASSWORD")
      .describe("Environment variable holding the Reddit password (password flow only)."),
  })
  .describe("OAuth settings. Values are read from the environment at run time; never logged or written.");

const UserAgentSchema = z
  .object({
    platform: z.string().min(1).default("nodejs").describe("Platform part of the User-Agent."),
    appId: z
      .string()
      .regex(/^[\w.-]+$/, "letters, digits, '.', '_' or '-'")
      .describe("App id part of the User-Agent (e.g. org.example.wayfarer)."),
    version: z.string().min(1).default("0.1.0").describe("Version part of the User-Agent."),
    username: z
      .string()
      .regex(/^[\w-]{3,20}$/, "a Reddit username without u/")
      .describe("Reddit username of the app's developer, for `(by /u/<username>)`."),
  })
  .describe("Parts of the User-Agent `<platform>:<app id>:<version> (by /u/<username>)` Reddit requires.");

const CommentsSchema = z
  .object({
    sort: z.enum(COMMENT_SORTS).default("confidence").describe("Comment sort of /comments and /api/morechildren."),
    limit: z
      .number()
      .int()
      .min(1)
      .max(500)
      .default(500)
      .describe("`limit` of /comments/{id}: comments in the first page (Reddit allows up to 500)."),
    expandMore: z
      .boolean()
      .default(true)
      .describe("Load collapsed branches (`more` objects) with /api/morechildren and 'continue this thread'."),
    maxMoreRequestsPerThread: z
      .number()
      .int()
      .min(0)
      .default(100)
      .describe(
        "At most this many morechildren/continue requests per thread; branches left unloaded stay in the thread's `more` list.",
      ),
  })
  .describe("How comment trees are fetched.");

const HttpSchema = z
  .object({
    www: z.url().default("https://www.reddit.com").describe("Base URL of the token endpoint (/api/v1/access_token)."),
    oauth: z.url().default("https://oauth.reddit.com").describe("Base URL of authenticated API calls."),
    maxRetries: z
      .number()
      .int()
      .min(0)
      .default(6)
      .describe(
        "Retries of one request after 429, 5xx, network errors or a 200 with an error body; then the run stops.",
      ),
    backoffBaseMs: z
      .number()
      .min(0)
      .default(2000)
      .describe("First backoff wait (ms) when no Retry-After is given; doubles per retry."),
    backoffMaxMs: z.number().min(0).default(120_000).describe("Longest single backoff wait (ms)."),
    minIntervalMs: z
      .number()
      .min(0)
      .default(600)
      .describe(
        "Least time (ms) between two requests; 600 = 100 per minute, Reddit's free OAuth limit. The X-Ratelimit headers are honoured on top.",
      ),
    timeoutMs: z.number().int().min(1).default(30_000).describe("Timeout of one HTTP request (ms)."),
    listingCap: z
      .number()
      .int()
      .min(1)
      .default(REDDIT_LISTING_CAP)
      .describe(
        "Reddit ends a listing after about this many items; a listing that ends within 10% of it before its quota is reported as capped.",
      ),
  })
  .describe("HTTP behaviour: endpoints, retries, pacing.");

/** Every setting of `collect`, with defaults. */
export const CollectOptionsSchema = z
  .object({
    auth: AuthSchema.prefault({}),
    userAgent: UserAgentSchema,
    tiers: z
      .record(z.string().regex(/^[\w-]+$/), TierSchema)
      .refine((t) => Object.keys(t).length > 0, "give at least one tier")
      .describe("Subreddit tiers, fetched in the order written."),
    comments: CommentsSchema.prefault({}),
    http: HttpSchema.prefault({}),
  })
  .describe("Settings of `wayfarer collect`.");

/** Resolved collect settings (every default filled in). */
export type CollectOptions = z.output<typeof CollectOptionsSchema>;
/** Collect settings as a user writes them. */
export type CollectOptionsInput = z.input<typeof CollectOptionsSchema>;

/** The User-Agent string Reddit requires: `<platform>:<app id>:<version> (by /u/<username>)`. */
export function userAgentString(ua: CollectOptions["userAgent"]): string {
  return `${ua.platform}:${ua.appId}:${ua.version} (by /u/${ua.username})`;
}
