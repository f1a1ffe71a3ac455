/**
 * OpenAI-compatible API of `wayfarer serve <experiment>` (the shape of OpenAI's Chat Completions API, as
 * llama.cpp's server and vLLM offer it; adapters are picked by model name):
 * - `GET  /v1/models`, `GET /v1/models/:id` — every chat variant: id = variant name, `owned_by` "wayfarer",
 *   plus `base` and `adapter`;
 * - `POST /v1/chat/completions` — `model`, `messages`, `stream`, `stream_options.include_usage`, `temperature`,
 *   `top_p`, `max_tokens` (or `max_completion_tokens`), `stop`, `seed`; `n` must be 1. Streaming answers are
 *   server-sent events: the first delta carries `role: "assistant"`, the last chunk the finish reason, then (with
 *   include_usage) a chunk with empty `choices` and `usage`, then `data: [DONE]`. RAG variants add `sources`
 *   (the retrieved documents) to the response and to the first chunk.
 * Errors have OpenAI's shape `{error: {message, type, param, code}}`: 400 invalid request, 401 bad or missing
 * key, 404 unknown model or route, 413 body over 4 MiB, 429 queue full, 503 model unavailable, 500 anything else. An error after a
 * stream started is sent as one `data: {"error": …}` event, then the stream ends.
 */
import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import type { Context } from "hono";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import { WayfarerError } from "../errors/wayfarer-error.ts";
import type { ChatMessage } from "../models/generator.ts";
import type { RetrievedDocument } from "../retrieval/index.ts";
import { type ChatService, ModelNotFoundError, ModelUnavailableError, QueueFullError } from "./chat-service.ts";

/** An error in OpenAI's shape with its HTTP status. */
export class OpenAIHttpError extends WayfarerError {
  override name = "OpenAIHttpError";
  readonly status: 400 | 401 | 404 | 413 | 429 | 500 | 503;
  readonly type: string;
  readonly param: string | null;
  readonly code: string | null;
  constructor(
    status: OpenAIHttpError["status"],
    message: string,
    o: { type?: string; param?: string | null; code?: string | null } = {},
  ) {
    super(message);
    this.status = status;
    this.type = o.type ?? (status >= 500 ? "server_error" : "invalid_request_error");
    this.param = o.param ?? null;
    this.code = o.code ?? null;
  }

  get body(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

const ContentPart = z.object({ type: z.literal("text"), text: z.string() }).loose();
const Message = z
  .object({
    role: z.enum(["system", "developer", "user", "assistant"]),
    content: z.union([z.string(), z.array(ContentPart)]).nullable(),
  })
  .loose();

const ChatCompletionRequest = z
  .object({
    model: z.string().min(1),
    messages: z.array(Message).min(1),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).loose().nullish(),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().gt(0).max(1).nullish(),
    max_tokens: z.number().int().min(1).nullish(),
    max_completion_tokens: z.number().int().min(1).nullish(),
    stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
    seed: z.number().int().nullish(),
    n: z.literal(1, { error: "only n = 1 is supported" }).nullish(),
  })
  .loose();

/** Largest accepted request body (a long conversation with documents fits; memory stays bounded). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Options of {@link openaiApi}. */
export interface OpenAIApiOptions {
  chat: ChatService;
  /** Required bearer key; undefined = none (only allowed on loopback, see WayfarerServer). */
  apiKey?: string;
  /** Clock (seconds since epoch in `created`), for tests. */
  now?: () => Date;
}

/** The `/v1` routes (mount with `app.route("/v1", openaiApi(...))`). */
export function openaiApi(o: OpenAIApiOptions): Hono {
  const app = new Hono();
  const now = o.now ?? (() => new Date());
  const keyHash = o.apiKey ? createHash("sha256").update(o.apiKey).digest() : undefined;

  app.onError((error, c) => {
    const e = toOpenAIError(error);
    return c.json(e.body, e.status);
  });
  app.notFound((c) => {
    const e = new OpenAIHttpError(404, `Unknown request URL: ${c.req.method} ${new URL(c.req.url).pathname}`, {
      code: "unknown_url",
    });
    return c.json(e.body, 404);
  });
  app.use("*", async (c, next) => {
    if (keyHash) {
      const header = c.req.header("authorization") ?? "";
      const given = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim() ?? "";
      const ok = given.length > 0 && timingSafeEqual(createHash("sha256").update(given).digest(), keyHash);
      if (!ok)
        throw new OpenAIHttpError(
          401,
          given ? "Incorrect API key provided." : "You didn't provide an API key (Authorization: Bearer <key>).",
          { code: "invalid_api_key" },
        );
    }
    await next();
  });

  const modelObject = (v: ChatService["variants"][number]) => ({
    id: v.name,
    object: "model" as const,
    created: 0,
    owned_by: "wayfarer",
    base: v.base,
    adapter: v.adapter ?? null,
    retrieval: v.retrieval ?? null,
  });
  app.get("/models", (c) => c.json({ object: "list", data: o.chat.variants.map(modelObject) }));
  app.get("/models/:id", (c) => {
    const v = o.chat.variants.find((x) => x.name === c.req.param("id"));
    if (!v)
      throw new OpenAIHttpError(404, `The model '${c.req.param("id")}' does not exist`, {
        param: "model",
        code: "model_not_found",
      });
    return c.json(modelObject(v));
  });
  app.post(
    "/chat/completions",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new OpenAIHttpError(413, `The request body is larger than ${MAX_BODY_BYTES} bytes.`, {
          code: "request_too_large",
        });
      },
    }),
    (c) => chatCompletions(c, o.chat, now),
  );
  // mounted apps use the parent's notFound: answer unknown /v1 URLs here, in OpenAI's shape
  app.all("*", (c) => {
    throw new OpenAIHttpError(404, `Unknown request URL: ${c.req.method} ${new URL(c.req.url).pathname}`, {
      code: "unknown_url",
    });
  });
  return app;
}

type Parsed = z.output<typeof ChatCompletionRequest>;

async function chatCompletions(c: Context, chat: ChatService, now: () => Date): Promise<Response> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new OpenAIHttpError(400, "We could not parse the JSON body of your request.", { code: "invalid_json" });
  }
  const parsed = ChatCompletionRequest.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const param = issue.path.join(".") || null;
    throw new OpenAIHttpError(400, `Invalid value for '${param ?? "body"}': ${issue.message}`, {
      param,
      code: "invalid_value",
    });
  }
  const body = parsed.data;
  const messages = toMessages(body);
  const signal = c.req.raw.signal;
  const prepared = await chat.prepare(
    {
      model: body.model,
      messages,
      ...(body.max_completion_tokens != null || body.max_tokens != null
        ? { maxTokens: (body.max_completion_tokens ?? body.max_tokens)! }
        : {}),
      ...(body.temperature != null ? { temperature: body.temperature } : {}),
      ...(body.top_p != null ? { topP: body.top_p } : {}),
      ...(body.stop != null ? { stop: typeof body.stop === "string" ? [body.stop] : body.stop } : {}),
      ...(body.seed != null ? { seed: body.seed } : {}),
    },
    signal,
  );
  const id = `chatcmpl-${randomUUID().replaceAll("-", "")}`;
  const created = Math.floor(now().getTime() / 1000);
  const sources = prepared.sources.length > 0 ? { sources: prepared.sources.map(sourceObject) } : {};
  if (!body.stream) {
    try {
      const r = await prepared.generator.doGenerate({ ...prepared.options, messages: prepared.messages, signal });
      return c.json({
        id,
        object: "chat.completion",
        created,
        model: body.model,
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: r.text, refusal: null },
            logprobs: null,
            finish_reason: r.finishReason,
          },
        ],
        usage: {
          prompt_tokens: r.promptTokens,
          completion_tokens: r.completionTokens,
          total_tokens: r.promptTokens + r.completionTokens,
        },
        ...sources,
      });
    } finally {
      prepared.release();
    }
  }
  const includeUsage = body.stream_options?.include_usage === true;
  let result: Awaited<ReturnType<typeof prepared.generator.doStream>>;
  try {
    result = await prepared.generator.doStream({ ...prepared.options, messages: prepared.messages, signal });
  } catch (error) {
    prepared.release();
    throw error;
  }
  const reader = result.stream.getReader();
  const encoder = new TextEncoder();
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({
    id,
    object: "chat.completion.chunk",
    created,
    model: body.model,
    choices,
    ...(includeUsage ? { usage: null } : {}),
    ...extra,
  });
  let cancelled = false;
  const sse = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (data: unknown) => {
        if (!cancelled) controller.enqueue(encoder.encode(`data: ${JSON.stringify(data)}\n\n`));
      };
      void (async () => {
        try {
          send(
            chunk(
              [{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }],
              sources,
            ),
          );
          for (;;) {
            const { done, value } = await reader.read();
            if (done || cancelled) break;
            if (value.type === "text-delta")
              send(chunk([{ index: 0, delta: { content: value.delta }, logprobs: null, finish_reason: null }]));
            else if (value.type === "finish") {
              send(chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: value.finishReason }]));
              if (includeUsage)
                send({
                  ...chunk([]),
                  usage: {
                    prompt_tokens: value.usage.promptTokens,
                    completion_tokens: value.usage.completionTokens,
                    total_tokens: value.usage.promptTokens + value.usage.completionTokens,
                  },
                });
            }
          }
          if (!cancelled) controller.enqueue(encoder.encode("data: [DONE]\n\n"));
        } catch (error) {
          send(toOpenAIError(error).body);
        } finally {
          prepared.release();
          if (!cancelled) controller.close();
        }
      })();
    },
    cancel(reason) {
      cancelled = true;
      void reader.cancel(reason).catch(() => undefined);
    },
  });
  return new Response(sse, {
    status: 200,
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      "x-content-type-options": "nosniff",
    },
  });
}

/** OpenAI messages -> ours (`developer` is a system message; text parts are joined). @throws 400 */
function toMessages(body: Parsed): ChatMessage[] {
  const out: ChatMessage[] = body.messages.map((m, i) => {
    const content =
      m.content === null ? "" : typeof m.content === "string" ? m.content : m.content.map((p) => p.text).join("");
    if (m.role !== "assistant" && content.length === 0)
      throw new OpenAIHttpError(400, `Invalid value for 'messages.${i}.content': empty`, {
        param: `messages.${i}.content`,
        code: "invalid_value",
      });
    return { role: m.role === "developer" ? "system" : m.role, content };
  });
  if (out.at(-1)!.role !== "user")
    throw new OpenAIHttpError(400, "The last message must have role 'user'.", {
      param: "messages",
      code: "invalid_value",
    });
  return out;
}

/** A retrieved document as the API shows it. */
function sourceObject(d: RetrievedDocument) {
  return {
    id: d.id,
    ...(d.title !== undefined ? { title: d.title } : {}),
    text: d.text,
    score: d.score,
    thread_id: d.source.threadId,
    comment_ids: d.source.commentIds,
  };
}

/** Any error -> an OpenAI-shaped one (unknown errors: 500 without internals). */
export function toOpenAIError(error: unknown): OpenAIHttpError {
  if (error instanceof OpenAIHttpError) return error;
  if (error instanceof ModelNotFoundError)
    return new OpenAIHttpError(404, error.message, { param: "model", code: "model_not_found" });
  if (error instanceof QueueFullError)
    return new OpenAIHttpError(429, error.message, { type: "rate_limit_error", code: "rate_limit_exceeded" });
  if (error instanceof ModelUnavailableError)
    return new OpenAIHttpError(503, error.message, { code: "model_unavailable" });
  if (WayfarerError.isInstance(error)) return new OpenAIHttpError(500, error.message, { code: "generation_failed" });
  return new OpenAIHttpError(500, "The server had an error while processing your request.", { code: null });
}
