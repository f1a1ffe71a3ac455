/**
 * A real HTTP server on 127.0.0.1 that speaks the OpenAI chat.completions shape (incl. logprobs and
 * 429 + Retry-After), for tests of the OpenAI-compatible judge path. The test supplies `respond`.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { OpenAICompatibleGenerator } from "../../../../src/models/openai-generator.ts";

export interface FakeChatRequest {
  model: string;
  messages: Array<{ role: string; content: string }>;
  temperature?: number;
  max_tokens?: number;
  response_format?: { type: string; json_schema?: { schema: unknown } };
  logprobs?: boolean;
  top_logprobs?: number;
}

/** What the fake returns for one request. */
export type FakeReply =
  | {
      content: string;
      /** Per generated token, its top alternatives (OpenAI `logprobs.content[i].top_logprobs`). */
      topLogprobs?: Array<Array<{ token: string; logprob: number }>>;
      promptTokens?: number;
      completionTokens?: number;
    }
  | { status: number; retryAfterSeconds?: number; message?: string };

/** An `/embeddings` request as the fake saw it (with its authorization header). */
export interface FakeEmbeddingsRequest {
  model: string;
  input: string[];
  authorization: string | undefined;
}

/** What the fake's `/embeddings` returns: `data` is sent as given (so a test can shuffle or break it). */
export type FakeEmbeddingsReply =
  | { data: Array<{ index: number; embedding: unknown }> }
  | { status: number; retryAfterSeconds?: number; message?: string };

export interface FakeOpenAI {
  baseURL: string;
  requests: FakeChatRequest[];
  embeddingRequests: FakeEmbeddingsRequest[];
  /** Generator pointing at this server (no real sleeps between retries). */
  generator(options?: { model?: string; maxRetries?: number }): OpenAICompatibleGenerator;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Starts the fake; `respond` sees each parsed request body (and its 0-based index). */
export async function startFakeOpenAI(
  respond: (req: FakeChatRequest, index: number) => FakeReply | Promise<FakeReply>,
  embed?: (req: FakeEmbeddingsRequest, index: number) => FakeEmbeddingsReply,
): Promise<FakeOpenAI> {
  const requests: FakeChatRequest[] = [];
  const embeddingRequests: FakeEmbeddingsRequest[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (embed && req.method === "POST" && req.url?.endsWith("/embeddings")) {
        const body = JSON.parse(await readBody(req)) as { model: string; input: string[] };
        const seen = { model: body.model, input: body.input, authorization: req.headers.authorization };
        const reply = embed(seen, embeddingRequests.push(seen) - 1);
        const status = "status" in reply ? reply.status : 200;
        res.writeHead(status, {
          "content-type": "application/json",
          ...("retryAfterSeconds" in reply && reply.retryAfterSeconds !== undefined
            ? { "retry-after": String(reply.retryAfterSeconds) }
            : {}),
        });
        res.end(
          JSON.stringify(
            "status" in reply
              ? { error: { message: reply.message ?? "rate limited" } }
              : { object: "list", data: reply.data.map((d) => ({ object: "embedding", ...d })), model: body.model },
          ),
        );
        return;
      }
      if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
        res
          .writeHead(404, { "content-type": "application/json" })
          .end(JSON.stringify({ error: { message: "not found" } }));
        return;
      }
      const body = JSON.parse(await readBody(req)) as FakeChatRequest;
      const index = requests.push(body) - 1;
      let reply: FakeReply;
      try {
        reply = await respond(body, index);
      } catch (e) {
        reply = { status: 500, message: (e as Error).message };
      }
      if ("status" in reply) {
        res.writeHead(reply.status, {
          "content-type": "application/json",
          ...(reply.retryAfterSeconds !== undefined ? { "retry-after": String(reply.retryAfterSeconds) } : {}),
        });
        res.end(JSON.stringify({ error: { message: reply.message ?? "rate limited", type: "requests" } }));
        return;
      }
      const completionTokens = reply.completionTokens ?? Math.max(1, Math.ceil(reply.content.length / 4));
      const promptTokens = reply.promptTokens ?? Math.ceil(body.messages.reduce((n, m) => n + m.content.length, 0) / 4);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          id: `chatcmpl-${index}`,
          object: "chat.completion",
          created: 1_700_000_000,
          model: body.model,
          choices: [
            {
              index: 0,
              message: { role: "assistant", content: reply.content, refusal: null },
              logprobs: reply.topLogprobs
                ? {
                    content: reply.topLogprobs.map((alts) => ({
                      token: alts[0]?.token ?? "",
                      logprob: alts[0]?.logprob ?? 0,
                      bytes: null,
                      top_logprobs: alts.map((a) => ({ token: a.token, logprob: a.logprob, bytes: null })),
                    })),
                    refusal: null,
                  }
                : null,
              finish_reason: "stop",
            },
          ],
          usage: {
            prompt_tokens: promptTokens,
            completion_tokens: completionTokens,
            total_tokens: promptTokens + completionTokens,
          },
          system_fingerprint: "fp_fake",
        }),
      );
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const baseURL = `http://127.0.0.1:${port}/v1`;
  return {
    baseURL,
    requests,
    embeddingRequests,
    generator: (o = {}) =>
      new OpenAICompatibleGenerator({
        baseURL,
        model: o.model ?? "fake-judge",
        maxRetries: o.maxRetries ?? 2,
        sleep: async () => {},
      }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The user message of a request (the last one). */
export function userPrompt(req: FakeChatRequest): string {
  return req.messages.at(-1)?.content ?? "";
}
