/**
 * A Reddit API client for `collect`: OAuth (app-only or script), a compliant User-Agent, pacing by
 * the `X-Ratelimit-*` headers, backoff on 429/5xx, token refresh on 401. One request at a time.
 * Facts: ../shared/reference/reddit.md. Secrets (client secret, password, access token) are only
 * ever put in request headers/bodies, never in messages, logs or return values.
 */
import { type CollectOptions, userAgentString } from "../../config/collect.ts";
import { ConfigError } from "../../errors/config-error.ts";
import { RedditApiError } from "../../errors/reddit-api-error.ts";

/** What the client needs from the outside world; tests inject their own (STYLE.md #12). */
export interface CollectDeps {
  /** The WHATWG fetch (default: `globalThis.fetch`). */
  fetch: typeof globalThis.fetch;
  /** Current time in ms since the epoch. */
  now: () => number;
  /** Waits `ms` milliseconds. */
  sleep: (ms: number) => Promise<void>;
  /** Where the credential variables named in `auth` are read from (e.g. `process.env`). */
  env: Readonly<Record<string, string | undefined>>;
  /** Diagnostics (retries, waits); one line each, without a trailing newline. */
  log: (line: string) => void;
}

/** The real defaults: global fetch, wall clock, setTimeout. `env` and `log` must still be given. */
export function defaultDeps(env: CollectDeps["env"], log: CollectDeps["log"] = () => {}): CollectDeps {
  return {
    fetch: globalThis.fetch,
    now: () => Date.now(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    env,
    log,
  };
}

/** A final answer to a GET: 200 with its parsed JSON, or 403/404 (the thing is gone or private). */
export interface ApiPage {
  status: 200 | 403 | 404;
  /** Parsed JSON body (for 403/404 whatever Reddit sent, or null when it was not JSON). */
  body: unknown;
}

/** Counters of one client's life; all are request counts except `rateLimitWaitMs`. */
export interface ClientStats {
  /** GET requests sent to the API (retries included). */
  requests: number;
  /** Token requests sent (first token, expiry, 401 refreshes). */
  tokenRequests: number;
  /** 401 answers that made the client fetch a new token. */
  refreshesOn401: number;
  status429: number;
  status5xx: number;
  /** 200 answers whose body was an error (`{"error": ...}`, `json.errors`) or not the expected shape. */
  errorBodies: number;
  /** Network errors and timeouts. */
  networkErrors: number;
  /** Times the client waited for `X-Ratelimit-Reset` because `X-Ratelimit-Remaining` reached 0. */
  rateLimitWaits: number;
  /** Total ms waited for the rate limit (reset waits only; not minIntervalMs pacing, not backoff). */
  rateLimitWaitMs: number;
  /** Total ms waited in backoff after failures. */
  backoffWaitMs: number;
}

/** Checks a 200 body; returns a reason when it is not the expected shape (then it is retried). */
export type BodyCheck = (body: unknown) => string | null;

/** Options of {@link RedditClient}. */
export interface RedditClientOptions {
  auth: CollectOptions["auth"];
  userAgent: CollectOptions["userAgent"];
  http: CollectOptions["http"];
  deps: CollectDeps;
}

const TOKEN_MARGIN_MS = 60_000;
/** Least wait after a response with X-Ratelimit-Remaining 0, whatever X-Ratelimit-Reset says (it is rounded down). */
export const RESET_FLOOR_MS = 1000;

/** A non-empty `error` in a 200 body, as Reddit sends it (`{"error": 403, "message": ...}`, `{"json": {"errors": [...]}}`). */
export function errorInBody(body: unknown): string | null {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return null;
  const b = body as Record<string, unknown>;
  if (b.error !== undefined && b.error !== null) {
    const msg = typeof b.message === "string" ? `: ${b.message}` : "";
    return `error ${JSON.stringify(b.error)}${msg}`;
  }
  const json = b.json as Record<string, unknown> | undefined;
  if (json && Array.isArray(json.errors) && json.errors.length > 0) return `errors ${JSON.stringify(json.errors)}`;
  return null;
}

function headerNumber(h: Headers, name: string): number | undefined {
  const v = h.get(name);
  if (v === null || v.trim() === "") return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Reddit API client. `get(path)` returns the final answer for `oauthBase + path`, retrying what can
 * be retried. Throws {@link RedditApiError} when a request fails for good and {@link ConfigError}
 * when a credential variable is missing.
 */
export class RedditClient {
  readonly stats: ClientStats = {
    requests: 0,
    tokenRequests: 0,
    refreshesOn401: 0,
    status429: 0,
    status5xx: 0,
    errorBodies: 0,
    networkErrors: 0,
    rateLimitWaits: 0,
    rateLimitWaitMs: 0,
    backoffWaitMs: 0,
  };
  private token: { value: string; expiresAt: number } | null = null;
  /** No request before this time (ms): minIntervalMs after the last one. */
  private intervalUntil = 0;
  /** No request before this time (ms): the rate-limit window's reset when nothing remained. */
  private resetUntil = 0;
  private readonly ua: string;

  constructor(private readonly o: RedditClientOptions) {
    this.ua = userAgentString(o.userAgent);
  }

  /** The User-Agent sent with every request. */
  get userAgent(): string {
    return this.ua;
  }

  private credential(envName: string, setting: string): string {
    const v = this.o.deps.env[envName];
    if (v === undefined || v === "")
      throw new ConfigError(
        `environment variable ${envName} is not set (auth.${setting}); create an app at https://www.reddit.com/prefs/apps and export its credentials`,
      );
    return v;
  }

  /**
   * Wait before retry `attempt` (0-based): the exponential backoff min(backoffMaxMs, backoffBaseMs · 2^attempt),
   * or what the server asks for (Retry-After, else X-Ratelimit-Reset on a 429) when that is longer. A header
   * of 0 ("reset now", which Reddit sends with less than a second left) therefore never makes the client
   * retry in a tight loop: repeated 429s wait 1×, 2×, 4×... backoffBaseMs.
   */
  private backoffMs(attempt: number, res?: Response): number {
    const exponential = Math.min(this.o.http.backoffMaxMs, this.o.http.backoffBaseMs * 2 ** attempt);
    const retryAfter = res ? headerNumber(res.headers, "retry-after") : undefined;
    const reset = res && res.status === 429 ? headerNumber(res.headers, "x-ratelimit-reset") : undefined;
    const asked = retryAfter ?? reset;
    return asked !== undefined && asked > 0 ? Math.max(asked * 1000, exponential) : exponential;
  }

  private async wait(ms: number, kind: "rate" | "backoff"): Promise<void> {
    if (ms <= 0) return;
    if (kind === "rate") this.stats.rateLimitWaitMs += ms;
    else this.stats.backoffWaitMs += ms;
    await this.o.deps.sleep(ms);
  }

  /**
   * Reads X-Ratelimit-Remaining/Reset: when nothing remains, no request goes out before the reset, and
   * never sooner than 1 s: Reddit sends the reset in whole seconds, rounded down, so "0" means "less than a
   * second left", not "now" (RESET_FLOOR_MS).
   */
  private noteRateLimit(h: Headers): void {
    const remaining = headerNumber(h, "x-ratelimit-remaining");
    const reset = headerNumber(h, "x-ratelimit-reset");
    if (remaining !== undefined && remaining < 1 && reset !== undefined) {
      this.stats.rateLimitWaits++;
      this.resetUntil = Math.max(this.resetUntil, this.o.deps.now() + Math.max(reset * 1000, RESET_FLOOR_MS));
    }
  }

  /** Waits for minIntervalMs since the last request and for any rate-limit reset. */
  private async pace(): Promise<void> {
    const now = this.o.deps.now();
    const resetWait = this.resetUntil - now;
    const intervalWait = this.intervalUntil - now;
    if (resetWait > 0 && resetWait >= intervalWait) await this.wait(resetWait, "rate");
    else if (intervalWait > 0) await this.o.deps.sleep(intervalWait);
  }

  private async fetchToken(): Promise<string> {
    const { auth, http, deps } = this.o;
    const id = this.credential(auth.clientIdEnv, "clientIdEnv");
    const secret = this.credential(auth.clientSecretEnv, "clientSecretEnv");
    const form = new URLSearchParams();
    if (auth.flow === "password") {
      form.set("grant_type", "password");
      form.set("username", this.credential(auth.usernameEnv, "usernameEnv"));
      form.set("password", this.credential(auth.passwordEnv, "passwordEnv"));
    } else form.set("grant_type", "client_credentials");
    const path = "/api/v1/access_token";
    for (let attempt = 0; ; attempt++) {
      this.stats.tokenRequests++;
      let res: Response;
      try {
        res = await deps.fetch(new URL(path, http.www), {
          method: "POST",
          headers: {
            Authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`,
            "User-Agent": this.ua,
            "Content-Type": "application/x-www-form-urlencoded",
          },
          body: form.toString(),
          signal: AbortSignal.timeout(http.timeoutMs),
        });
      } catch (cause) {
        this.stats.networkErrors++;
        if (attempt >= http.maxRetries)
          throw new RedditApiError(`token request failed: ${(cause as Error).message}`, {
            status: 0,
            path,
            isRetryable: true,
            cause,
          });
        await this.wait(this.backoffMs(attempt), "backoff");
        continue;
      }
      if (res.status === 429 || res.status >= 500) {
        if (res.status === 429) this.stats.status429++;
        else this.stats.status5xx++;
        await res.body?.cancel();
        if (attempt >= http.maxRetries)
          throw new RedditApiError(`token request: HTTP ${res.status} after ${attempt + 1} tries`, {
            status: res.status,
            path,
            isRetryable: true,
          });
        await this.wait(this.backoffMs(attempt, res), "backoff");
        continue;
      }
      const text = await res.text();
      let body: unknown = null;
      try {
        body = JSON.parse(text);
      } catch {
        // handled below
      }
      const vars =
        auth.flow === "password"
          ? `${auth.clientIdEnv}, ${auth.clientSecretEnv}, ${auth.usernameEnv}, ${auth.passwordEnv}`
          : `${auth.clientIdEnv}, ${auth.clientSecretEnv}`;
      if (res.status !== 200)
        throw new RedditApiError(`token request refused: HTTP ${res.status}; check ${vars}`, {
          status: res.status,
          path,
          isRetryable: false,
        });
      const err = errorInBody(body);
      const b = (body ?? {}) as Record<string, unknown>;
      if (err !== null || typeof b.access_token !== "string" || b.access_token === "") {
        this.stats.errorBodies++;
        throw new RedditApiError(
          `token request refused (${err ?? "no access_token in the reply"}); check ${vars} and auth.flow (${auth.flow})`,
          { status: res.status, path, isRetryable: false },
        );
      }
      const expiresIn = typeof b.expires_in === "number" && b.expires_in > 0 ? b.expires_in : 3600;
      this.token = { value: b.access_token, expiresAt: deps.now() + expiresIn * 1000 };
      return b.access_token;
    }
  }

  private async bearer(): Promise<string> {
    const t = this.token;
    if (t && this.o.deps.now() < t.expiresAt - Math.min(TOKEN_MARGIN_MS, (t.expiresAt - this.o.deps.now()) / 2))
      return t.value;
    return this.fetchToken();
  }

  /**
   * GETs `path` (with its query) from the OAuth base. Returns 200 with the parsed body (after
   * `check` accepted it), or 403/404. Retries 429, 5xx, network errors, non-JSON or error bodies
   * (up to `http.maxRetries`, waiting the exponential backoff, or Retry-After / X-Ratelimit-Reset for a
   * 429 when longer); gets a new token once on 401. Other statuses throw at once.
   */
  async get(path: string, check: BodyCheck = () => null): Promise<ApiPage> {
    const { http, deps } = this.o;
    let refreshed = false;
    for (let attempt = 0; ; ) {
      await this.pace();
      const token = await this.bearer();
      this.intervalUntil = deps.now() + http.minIntervalMs;
      this.stats.requests++;
      let res: Response;
      let reason: string;
      try {
        res = await deps.fetch(new URL(path, http.oauth), {
          headers: { Authorization: `bearer ${token}`, "User-Agent": this.ua, Accept: "application/json" },
          signal: AbortSignal.timeout(http.timeoutMs),
        });
      } catch (cause) {
        this.stats.networkErrors++;
        reason = `network error: ${(cause as Error).message}`;
        if (attempt >= http.maxRetries)
          throw new RedditApiError(`GET ${path}: ${reason} (after ${attempt + 1} tries)`, {
            status: 0,
            path,
            isRetryable: true,
            cause,
          });
        deps.log(`GET ${path}: ${reason}; retrying`);
        await this.wait(this.backoffMs(attempt), "backoff");
        attempt++;
        continue;
      }
      this.noteRateLimit(res.headers);
      if (res.status === 401) {
        await res.body?.cancel();
        if (refreshed)
          throw new RedditApiError(`GET ${path}: HTTP 401 again with a fresh token; check the app's credentials`, {
            status: 401,
            path,
            isRetryable: false,
          });
        refreshed = true;
        this.stats.refreshesOn401++;
        this.token = null;
        deps.log(`GET ${path}: HTTP 401; getting a new token`);
        continue;
      }
      if (res.status === 429 || res.status >= 500) {
        if (res.status === 429) this.stats.status429++;
        else this.stats.status5xx++;
        await res.body?.cancel();
        if (attempt >= http.maxRetries)
          throw new RedditApiError(`GET ${path}: HTTP ${res.status} after ${attempt + 1} tries`, {
            status: res.status,
            path,
            isRetryable: true,
          });
        const ms = this.backoffMs(attempt, res);
        deps.log(`GET ${path}: HTTP ${res.status}; retrying in ${ms} ms`);
        await this.wait(ms, "backoff");
        attempt++;
        continue;
      }
      const text = await res.text();
      let body: unknown = null;
      let parsed = false;
      try {
        body = JSON.parse(text);
        parsed = true;
      } catch {
        // handled below
      }
      if (res.status === 403 || res.status === 404) return { status: res.status, body };
      if (res.status !== 200)
        throw new RedditApiError(`GET ${path}: HTTP ${res.status}${text ? ` (${text.slice(0, 200)})` : ""}`, {
          status: res.status,
          path,
          isRetryable: false,
        });
      reason = !parsed ? "body is not JSON" : (errorInBody(body) ?? check(body) ?? "");
      if (reason === "") return { status: 200, body };
      this.stats.errorBodies++;
      if (attempt >= http.maxRetries)
        throw new RedditApiError(`GET ${path}: HTTP 200 with a failure (${reason}) after ${attempt + 1} tries`, {
          status: 200,
          path,
          isRetryable: true,
        });
      const ms = this.backoffMs(attempt);
      deps.log(`GET ${path}: HTTP 200 with a failure (${reason}); retrying in ${ms} ms`);
      await this.wait(ms, "backoff");
      attempt++;
    }
  }
}
