import { WayfarerError } from "./wayfarer-error.ts";

/**
 * A Reddit API call failed for good (after the retries `collect` allows, or at once when retrying
 * cannot help). Carries the HTTP status (0 for a network error or timeout), the request path
 * (no credentials, no token) and whether another try could succeed.
 */
export class RedditApiError extends WayfarerError {
  override name = "RedditApiError";
  readonly status: number;
  readonly path: string;
  readonly isRetryable: boolean;

  constructor(message: string, info: { status: number; path: string; isRetryable: boolean; cause?: unknown }) {
    super(message, info.cause === undefined ? undefined : { cause: info.cause });
    this.status = info.status;
    this.path = info.path;
    this.isRetryable = info.isRetryable;
  }
}
