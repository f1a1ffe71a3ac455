/**
 * Cross-site request protection for state-changing requests. Two independent checks, both required:
 * 1. Origin: the request's `Origin` header must equal the origin the browser used for the page
 *    (`http://<Host>`); requests without `Origin` are refused (browsers always send it on POST).
 * 2. Token: an `X-CSRF-Token` header equal to HMAC-SHA256(server secret, session id), where the
 *    session id is the rater's token hash. The page receives it in a `<meta>` tag. The secret is kept
 *    in the store, so tokens stay valid across server restarts (a crash does not log raters out).
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { serverSecret } from "../store/secrets.ts";
import type { Store } from "../store/store.ts";

/** Loads the server secret from the store, creating it on first use. */
export function loadServerSecret(store: Store): string {
  return serverSecret(store, "csrf", () => randomBytes(32).toString("hex"));
}

/** The CSRF token of one session. */
export function csrfToken(secret: string, sessionId: string): string {
  return createHmac("sha256", secret).update(`csrf:${sessionId}`).digest("base64url");
}

/** Why a request failed the check, or null when it passed. */
export function checkCsrf(req: IncomingMessage, secret: string, sessionId: string): string | null {
  const origin = req.headers.origin;
  const host = req.headers.host;
  if (!origin || !host) return "missing Origin or Host header";
  if (origin !== `http://${host}` && origin !== `https://${host}`) return `cross-origin request from ${origin}`;
  const given = req.headers["x-csrf-token"];
  if (typeof given !== "string") return "missing CSRF token";
  const want = Buffer.from(csrfToken(secret, sessionId));
  const got = Buffer.from(given);
  if (got.length !== want.length || !timingSafeEqual(got, want)) return "bad CSRF token";
  return null;
}
