/**
 * `wayfarer serve`: one HTTP server (hono on node:http) for the rater UI and, with an experiment, the chat page
 * and the OpenAI-compatible API (`openai-api.ts`, under `/v1`).
 *
 * Rater routes (the token in the path is the rater's personal link):
 * - `GET  /r/<token>`                 the rater (or admin) page
 * - `GET  /api/r/<token>/tasks`       the rater's own tasks (admin: every assignment)
 * - `POST /api/r/<token>/ratings`     one submission, stored in one transaction before the reply
 * - `GET  /static/rater.js|rater.css`
 * An unknown token and another rater's assignment both answer 404 (nothing leaks about either).
 * POSTs need a same-origin `Origin` and the session's CSRF token (see csrf.ts).
 *
 * Chat routes (with `chat`): `GET /chat` the chat page, `GET /static/chat.js|chat.css`, and `/v1/*`.
 */
import type { IncomingMessage, Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer, type HttpBindings } from "@hono/node-server";
import { type Context, Hono } from "hono";
import { z } from "zod";
import { ConfigError } from "../errors/config-error.ts";
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
import type { ChatService } from "./chat-service.ts";
import { CHAT_CSS, CHAT_JS, chatPage } from "./chat-ui.ts";
import { checkCsrf, csrfToken, loadServerSecret } from "./csrf.ts";
import { GOLDEN_JS, goldenReviewResponse } from "./golden-review.ts";
import { openaiApi } from "./openai-api.ts";
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
  /** The chat models (an experiment's variants): adds the chat page and the OpenAI-compatible `/v1` API. */
  chat?: ChatService;
  /**
   * Bearer key the `/v1` API requires (read by the caller from the environment). Required when `chat` is set
   * and `host` is not a loopback address.
   */
  apiKey?: string;
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

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

type Env = { Bindings: HttpBindings };

/** The HTTP server. Create with `await WayfarerServer.create(...)`; stop with `dispose()`. */
export class WayfarerServer {
  readonly #server: Server;
  #disposed = false;

  private constructor(server: Server) {
    this.#server = server;
  }

  /**
   * Starts listening; resolves once the port is bound.
   * @throws ConfigError when the chat API would be reachable beyond loopback without an API key;
   *   WayfarerError when the port cannot be bound.
   */
  static async create(options: WayfarerServerOptions): Promise<WayfarerServer> {
    const host = options.host ?? "127.0.0.1";
    if (options.chat && !options.apiKey && !isLoopback(host))
      throw new ConfigError(
        `serve --host ${host}: the chat API would be reachable from the network without a key; set WAYFARER_API_KEY (clients send it as a Bearer token) or bind 127.0.0.1`,
      );
    const secret = loadServerSecret(options.store);
    const app = buildApp({ ...options, secret, now: options.now ?? (() => new Date()) });
    const server = createAdaptorServer({ fetch: app.fetch, overrideGlobalObjects: false }) as Server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", (e: NodeJS.ErrnoException) =>
        reject(
          new WayfarerError(`cannot listen on ${host}:${options.port ?? 8080} (${e.code ?? e.message})`, { cause: e }),
        ),
      );
      server.listen(options.port ?? 8080, host, () => resolve());
    });
    const instance = new WayfarerServer(server);
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
}

/** The routes: rater UI always; chat page and `/v1` with `chat`. */
function buildApp(o: WayfarerServerOptions & { secret: string; now: () => Date }): Hono<Env> {
  const app = new Hono<Env>();
  const { store, secret } = o;
  const auth = (token: string): RaterIdentity => {
    const rater = findRater(store, token);
    if (!rater) throw new HttpError(404, "not found");
    return rater;
  };
  if (o.chat) app.route("/v1", openaiApi({ chat: o.chat, ...(o.apiKey ? { apiKey: o.apiKey } : {}), now: o.now }));
  app.onError((error, c) => {
    if (error instanceof HttpError) return json(c, error.status, { error: error.message });
    if (error instanceof AssignmentNotFoundError) return json(c, 404, { error: "not found" });
    if (WayfarerError.isInstance(error)) return json(c, 400, { error: error.message });
    return json(c, 500, { error: "internal error" });
  });
  app.notFound((c) => json(c, 404, { error: "not found" }));
  app.get("/static/rater.js", (c) => text(c, 200, RATER_JS, "text/javascript; charset=utf-8"));
  app.get("/static/rater.css", (c) => text(c, 200, RATER_CSS, "text/css; charset=utf-8"));
  app.get("/r/:token", (c) => {
    const token = c.req.param("token");
    const rater = auth(token);
    return text(
      c,
      200,
      raterPage({ csrf: csrfToken(secret, hashToken(token)), name: rater.name }),
      "text/html; charset=utf-8",
    );
  });
  app.get("/api/r/:token/tasks", (c) => {
    const rater = auth(c.req.param("token"));
    const body =
      rater.role === "admin"
        ? { rater: { name: rater.name, role: rater.role }, tasks: [], all: allAssignments(store, rater) }
        : { rater: { name: rater.name, role: rater.role }, tasks: tasksForRater(store, rater) };
    return json(c, 200, body);
  });
  app.post("/api/r/:token/ratings", async (c) => {
    const token = c.req.param("token");
    const rater = auth(token);
    const problem = checkCsrf(c.env.incoming as IncomingMessage, secret, hashToken(token));
    if (problem) throw new HttpError(403, `forbidden: ${problem}`);
    if (!String(c.req.header("content-type") ?? "").startsWith("application/json"))
      throw new HttpError(415, "send JSON");
    const parsed = submissionSchema.safeParse(await readJson(c));
    if (!parsed.success)
      throw new HttpError(400, `invalid submission: ${parsed.error.issues[0]?.message ?? "bad body"}`);
    const s = parsed.data;
    const task = submitRating(
      store,
      rater,
      {
        assignmentId: s.assignmentId,
        ...(s.scores ? { scores: s.scores } : {}),
        ...(s.choice ? { choice: s.choice } : {}),
      },
      o.now,
    );
    return json(c, 200, { task });
  });
  if (o.goldenFile) {
    const goldenFile = o.goldenFile;
    app.get("/static/golden.js", (c) => text(c, 200, GOLDEN_JS, "text/javascript; charset=utf-8"));
    const golden = (what: "page" | "api") => async (c: Context<Env>) => {
      const token = c.req.param("token")!;
      const rater = auth(token);
      const method = c.req.method;
      if (method === "POST") {
        const problem = checkCsrf(c.env.incoming as IncomingMessage, secret, hashToken(token));
        if (problem) throw new HttpError(403, `forbidden: ${problem}`);
      }
      const r = await goldenReviewResponse({
        file: goldenFile,
        what,
        method,
        reviewer: rater.name,
        csrf: csrfToken(secret, hashToken(token)),
        ...(method === "POST" ? { body: await readJson(c) } : {}),
      });
      return text(c, r.status, r.body, r.type);
    };
    app.all("/r/:token/golden", golden("page"));
    app.all("/api/r/:token/golden", golden("api"));
  }
  app.all("/api/r/:token/:what", (c) => {
    auth(c.req.param("token"));
    throw new HttpError(405, "method not allowed");
  });
  if (o.chat) {
    app.get("/chat", (c) => text(c, 200, chatPage(), "text/html; charset=utf-8"));
    app.get("/static/chat.js", (c) => text(c, 200, CHAT_JS, "text/javascript; charset=utf-8"));
    app.get("/static/chat.css", (c) => text(c, 200, CHAT_CSS, "text/css; charset=utf-8"));
  }
  app.get("/", (c) =>
    text(
      c,
      200,
      o.chat
        ? "Wayfarer server. Chat: /chat · OpenAI-compatible API: /v1 · Raters: open your personal link."
        : "Wayfarer server. Raters: open your personal link.",
      "text/plain; charset=utf-8",
    ),
  );
  return app;
}

function text(c: Context, status: number, body: string, type: string): Response {
  return c.body(body, status as 200, { ...SECURITY_HEADERS, "content-type": type });
}

function json(c: Context, status: number, body: unknown): Response {
  return text(c, status, JSON.stringify(body), "application/json; charset=utf-8");
}

async function readJson(c: Context): Promise<unknown> {
  const declared = Number(c.req.header("content-length") ?? 0);
  if (declared > MAX_BODY) throw new HttpError(413, "body too large");
  const buffer = await c.req.arrayBuffer();
  if (buffer.byteLength > MAX_BODY) throw new HttpError(413, "body too large");
  try {
    return JSON.parse(Buffer.from(buffer).toString("utf8"));
  } catch {
    throw new HttpError(400, "body is not JSON");
  }
}
