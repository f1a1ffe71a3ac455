/**
 * `wayfarer serve`: one node:http server. Today it carries the rater UI; the chat page, the report
 * and the OpenAI-compatible API join it later (add routes in `#route`).
 *
 * Rater routes (the token in the path is the rater's personal link):
 * - `GET  /r/<token>`                 the rater (or admin) page
 * - `GET  /api/r/<token>/tasks`       the rater's own tasks (admin: every assignment)
 * - `POST /api/r/<token>/ratings`     one submission, stored in one transaction before the reply
 * - `GET  /static/rater.js|rater.css`
 * An unknown token and another rater's assignment both answer 404 (nothing leaks about either).
 * POSTs need a same-origin `Origin` and the session's CSRF token (see csrf.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { WayfarerError } from "../errors/wayfarer-error.ts";
import {
  AssignmentNotFoundError,
  allAssignments,
  findRater,
  hashToken,
  LIKERT_MAX,
  LIKERT_MIN,
  type RaterIdentity,
  submitRating,
  tasksForRater,
} from "../evaluation/human/tasks.ts";
import type { Store } from "../store/store.ts";
import { checkCsrf, csrfToken, loadServerSecret } from "./csrf.ts";
import { GOLDEN_JS, goldenReviewResponse } from "./golden-review.ts";
import { RATER_CSS, RATER_JS, raterPage } from "./rater-ui.ts";

/** Options of {@link WayfarerServer.create}. */
export interface WayfarerServerOptions {
  store: Store;
  /** Interface to bind. Default 127.0.0.1 (use 0.0.0.0 to let raters on the network in). */
  host?: string;
  /** Port; 0 picks a free one. Default 8080. */
  port?: number;
  /** Closes the server when aborted. */
  signal?: AbortSignal;
  /** Clock, for tests. */
  now?: () => Date;
  /** Golden drafts file to review at `/r/<token>/golden` (src/server/golden-review.ts); absent = no such page. */
  goldenFile?: string;
}

const MAX_BODY = 64 * 1024;

const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cache-control": "no-store",
};

const submissionSchema = z.object({
  assignmentId: z.number().int().positive(),
  scores: z.record(z.string().min(1).max(100), z.number().int().min(LIKERT_MIN).max(LIKERT_MAX)).optional(),
  choice: z.enum(["a", "b", "tie"]).optional(),
});

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The HTTP server. Create with `await WayfarerServer.create(...)`; stop with `dispose()`. */
export class WayfarerServer {
  readonly #server: Server;
  readonly #store: Store;
  readonly #secret: string;
  readonly #now: () => Date;
  #goldenFile: string | undefined;
  #disposed = false;

  private constructor(server: Server, store: Store, secret: string, now: () => Date) {
    this.#server = server;
    this.#store = store;
    this.#secret = secret;
    this.#now = now;
  }

  /** Starts listening; resolves once the port is bound. */
  static async create(options: WayfarerServerOptions): Promise<WayfarerServer> {
    const secret = loadServerSecret(options.store);
    const server = createServer();
    const instance = new WayfarerServer(server, options.store, secret, options.now ?? (() => new Date()));
    instance.#goldenFile = options.goldenFile;
    server.on("request", (req, res) => instance.#handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once("error", (e: NodeJS.ErrnoException) =>
        reject(
          new WayfarerError(
            `cannot listen on ${options.host ?? "127.0.0.1"}:${options.port ?? 8080} (${e.code ?? e.message})`,
            { cause: e },
          ),
        ),
      );
      server.listen(options.port ?? 8080, options.host ?? "127.0.0.1", () => resolve());
    });
    options.signal?.addEventListener("abort", () => void instance.dispose(), { once: true });
    return instance;
  }

  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  get url(): string {
    const a = this.#server.address() as AddressInfo;
    const host = a.family === "IPv6" ? `[${a.address}]` : a.address;
    return `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${a.port}`;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** Stops accepting connections and closes open ones. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    this.#route(req, res).catch((error: unknown) => {
      if (error instanceof HttpError) return send(res, error.status, { error: error.message });
      if (error instanceof AssignmentNotFoundError) return send(res, 404, { error: "not found" });
      if (WayfarerError.isInstance(error)) return send(res, 400, { error: error.message });
      send(res, 500, { error: "internal error" });
    });
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const parts = url.pathname.split("/").filter(Boolean);
    const method = req.method ?? "GET";
    if (method === "GET" && url.pathname === "/static/rater.js")
      return sendText(res, 200, RATER_JS, "text/javascript; charset=utf-8");
    if (method === "GET" && url.pathname === "/static/rater.css")
      return sendText(res, 200, RATER_CSS, "text/css; charset=utf-8");
    if (this.#goldenFile && url.pathname === "/static/golden.js")
      return sendText(res, 200, GOLDEN_JS, "text/javascript; charset=utf-8");
    const golden = parts[0] === "r" && parts[2] === "golden" && parts.length === 3 ? parts[1] : undefined;
    const goldenApi = parts[0] === "api" && parts[1] === "r" && parts[3] === "golden" && parts.length === 4;
    if (this.#goldenFile && (golden || goldenApi)) {
      const token = golden ?? parts[2]!;
      const rater = this.#auth(token);
      if (method === "POST") {
        const problem = checkCsrf(req, this.#secret, hashToken(token));
        if (problem) throw new HttpError(403, `forbidden: ${problem}`);
      }
      const r = await goldenReviewResponse({
        file: this.#goldenFile,
        what: golden ? "page" : "api",
        method,
        reviewer: rater.name,
        csrf: csrfToken(this.#secret, hashToken(token)),
        ...(method === "POST" ? { body: await readJson(req) } : {}),
      });
      return sendText(res, r.status, r.body, r.type);
    }
    if (method === "GET" && parts[0] === "r" && parts.length === 2) {
      const rater = this.#auth(parts[1]!);
      return sendText(
        res,
        200,
        raterPage({ csrf: csrfToken(this.#secret, hashToken(parts[1]!)), name: rater.name }),
        "text/html; charset=utf-8",
      );
    }
    if (parts[0] === "api" && parts[1] === "r" && parts.length === 4) {
      const token = parts[2]!;
      const rater = this.#auth(token);
      if (method === "GET" && parts[3] === "tasks") {
        const body =
          rater.role === "admin"
            ? { rater: { name: rater.name, role: rater.role }, tasks: [], all: allAssignments(this.#store, rater) }
            : { rater: { name: rater.name, role: rater.role }, tasks: tasksForRater(this.#store, rater) };
        return send(res, 200, body);
      }
      if (method === "POST" && parts[3] === "ratings") {
        const problem = checkCsrf(req, this.#secret, hashToken(token));
        if (problem) throw new HttpError(403, `forbidden: ${problem}`);
        if (!String(req.headers["content-type"] ?? "").startsWith("application/json"))
          throw new HttpError(415, "send JSON");
        const parsed = submissionSchema.safeParse(await readJson(req));
        if (!parsed.success)
          throw new HttpError(400, `invalid submission: ${parsed.error.issues[0]?.message ?? "bad body"}`);
        const s = parsed.data;
        const task = submitRating(
          this.#store,
          rater,
          {
            assignmentId: s.assignmentId,
            ...(s.scores ? { scores: s.scores } : {}),
            ...(s.choice ? { choice: s.choice } : {}),
          },
          this.#now,
        );
        return send(res, 200, { task });
      }
      throw new HttpError(405, "method not allowed");
    }
    if (method === "GET" && url.pathname === "/")
      return sendText(res, 200, "Wayfarer server. Raters: open your personal link.", "text/plain; charset=utf-8");
    throw new HttpError(404, "not found");
  }

  #auth(token: string): RaterIdentity {
    const rater = findRater(this.#store, token);
    if (!rater) throw new HttpError(404, "not found");
    return rater;
  }
}

function sendText(res: ServerResponse, status: number, body: string, type: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, "content-type": type, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return void res.end();
  sendText(res, status, JSON.stringify(body), "application/json; charset=utf-8");
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, "body too large");
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(400, "body is not JSON");
  }
}
