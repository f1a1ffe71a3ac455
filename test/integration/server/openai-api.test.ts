/**
 * `wayfarer serve` as an OpenAI-compatible server, driven by the official `openai` npm client on 127.0.0.1, with
 * SmolLM2-135M behind it: models list, the same text streamed and not at temperature 0, usage, OpenAI-shaped
 * 400/401/404/429 errors; RAG sources; a missing model file, an unreachable endpoint and a client that
 * disconnects mid-stream each give one clear error and the server keeps serving. The openai-compatible provider
 * passes the generator contract against this server.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GeneratorV1 } from "../../../src/models/generator.ts";
import { type LlamaGenerator, LlamaRuntime } from "../../../src/models/llama-generator.ts";
import { OpenAICompatibleGenerator } from "../../../src/models/openai-generator.ts";
import { ChatService } from "../../../src/server/chat-service.ts";
import { WayfarerServer } from "../../../src/server/server.ts";
import { Store } from "../../../src/store/store.ts";
import { HAS_SMOLLM2, SMOLLM2_GGUF } from "../../helpers/paths.ts";
import { TermOverlapRetriever, TRAVEL_DOCS } from "../../helpers/term-overlap-retriever.ts";
import { generatorContract } from "../models/generator-contract.ts";

const KEY = "test-key-0123456789";

describe.skipIf(!HAS_SMOLLM2)("OpenAI-compatible server (SmolLM2-135M)", () => {
  let dir: string;
  let store: Store;
  let runtime: LlamaRuntime;
  let smol: LlamaGenerator;
  let chat: ChatService;
  let server: WayfarerServer;
  let keyed: WayfarerServer;
  let client: OpenAI;
  let viaServer: GeneratorV1;
  const retriever = new TermOverlapRetriever(TRAVEL_DOCS);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "wayfarer-serve-"));
    store = Store.open(join(dir, "store.sqlite"));
    runtime = await LlamaRuntime.create();
    smol = await runtime.createGenerator({ modelPath: SMOLLM2_GGUF, threads: 1, contextSize: 1024, sequences: 2 });
    chat = new ChatService({
      variants: [
        { name: "smol", base: "smollm2 (SmolLM2-135M-Instruct.Q4_1.gguf)", createGenerator: async () => smol },
        {
          name: "smol-rag",
          base: "smollm2",
          retrieval: { k: 2, mode: "hybrid", format: "context" },
          createGenerator: async () => smol,
        },
        {
          name: "missing",
          base: "nowhere",
          createGenerator: () => runtime.createGenerator({ modelPath: join(dir, "missing.gguf") }),
        },
        {
          name: "unreachable",
          base: "remote",
          createGenerator: async () =>
            new OpenAICompatibleGenerator({ baseURL: "http://127.0.0.1:9/v1", model: "x", maxRetries: 0 }),
        },
      ],
      retriever: async () => retriever,
      maxPending: 3,
      defaults: { maxTokens: 16, temperature: 0 },
    });
    server = await WayfarerServer.create({ store, port: 0, chat });
    keyed = await WayfarerServer.create({ store, port: 0, chat, apiKey: KEY });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 });
    viaServer = new OpenAICompatibleGenerator({ baseURL: `${server.url}/v1`, model: "smol", maxRetries: 0 });
  });
  afterAll(async () => {
    await server?.dispose();
    await keyed?.dispose();
    await smol?.dispose();
    await runtime?.dispose();
    store?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("lists every variant with its base and adapter", async () => {
    const page = await client.models.list();
    const ids = page.data.map((m) => m.id);
    expect(ids).toEqual(["smol", "smol-rag", "missing", "unreachable"]);
    expect(page.data[0]).toMatchObject({ object: "model", owned_by: "wayfarer", adapter: null });
    expect((page.data[1] as unknown as { retrieval: unknown }).retrieval).toEqual({
      k: 2,
      mode: "hybrid",
      format: "context",
    });
  });

  it("streams the same text it returns unstreamed at temperature 0, with usage", async () => {
    const request = {
      model: "smol",
      messages: [{ role: "user" as const, content: "What is the capital of France? Answer in one sentence." }],
      temperature: 0,
      max_tokens: 16,
    };
    const plain = await client.chat.completions.create(request);
    expect(plain.object).toBe("chat.completion");
    expect(plain.model).toBe("smol");
    const text = plain.choices[0]!.message.content!;
    expect(text).toContain("Paris");
    expect(plain.usage!.total_tokens).toBe(plain.usage!.prompt_tokens + plain.usage!.completion_tokens);
    expect(plain.usage!.completion_tokens).toBeGreaterThan(0);

    const stream = await client.chat.completions.create({
      ...request,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks[0]!.choices[0]!.delta.role).toBe("assistant");
    const streamed = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(streamed).toBe(text);
    const finish = chunks.find((c) => c.choices[0]?.finish_reason);
    expect(finish!.choices[0]!.finish_reason).toBe(plain.choices[0]!.finish_reason);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual(plain.usage);
  });

  it("answers OpenAI-shaped 404 and 400 errors", async () => {
    const notFound = await client.chat.completions
      .create({ model: "nope", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(OpenAI.NotFoundError);
    const nf = notFound as InstanceType<typeof OpenAI.NotFoundError>;
    expect(nf.status).toBe(404);
    expect(nf.code).toBe("model_not_found");
    expect(nf.param).toBe("model");
    expect(nf.message).toContain("The model 'nope' does not exist");

    const bad = await client.chat.completions
      .create({ model: "smol", messages: [{ role: "user", content: "hi" }], temperature: 5 })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("temperature");
    expect((bad as InstanceType<typeof OpenAI.BadRequestError>).type).toBe("invalid_request_error");

    const lastNotUser = await client.chat.completions
      .create({ model: "smol", messages: [{ role: "assistant", content: "hi" }] })
      .catch((e: unknown) => e);
    expect((lastNotUser as InstanceType<typeof OpenAI.BadRequestError>).status).toBe(400);
    expect((lastNotUser as Error).message).toContain("The last message must have role 'user'.");

    const unknownUrl = await fetch(`${server.url}/v1/nope`);
    expect(unknownUrl.status).toBe(404);
    expect(((await unknownUrl.json()) as { error: { code: string } }).error.code).toBe("unknown_url");
    const huge = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "smol", messages: [{ role: "user", content: "a".repeat(5_000_000) }] }),
    });
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as { error: { code: string } }).error.code).toBe("request_too_large");
    const raw = await fetch(`${server.url}/v1/chat/completions`, { method: "POST", body: "{not json" });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toEqual({
      error: {
        message: "We could not parse the JSON body of your request.",
        type: "invalid_request_error",
        param: null,
        code: "invalid_json",
      },
    });
  });

  it("requires the key where one is set: 401 without or with a wrong one", async () => {
    const wrong = new OpenAI({ baseURL: `${keyed.url}/v1`, apiKey: "wrong", maxRetries: 0 });
    const e = await wrong.models.list().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((e as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe("invalid_api_key");
    const none = await fetch(`${keyed.url}/v1/models`);
    expect(none.status).toBe(401);
    // the openai-compatible provider with a bad key: one clear error, before and while streaming
    const provider = new OpenAICompatibleGenerator({
      baseURL: `${keyed.url}/v1`,
      model: "smol",
      apiKey: "wrong-key",
      maxRetries: 0,
    });
    const messages = [{ role: "user" as const, content: "hi" }];
    for (const call of [
      () => provider.doGenerate({ messages, maxTokens: 2, temperature: 0 }),
      () => provider.doStream({ messages, maxTokens: 2, temperature: 0 }),
    ]) {
      const err = await call().catch((x: unknown) => x);
      expect(String((err as Error).message)).toBe(
        `${keyed.url}/v1/chat/completions: HTTP 401 (error body): Incorrect API key provided.`,
      );
    }
    const right = new OpenAI({ baseURL: `${keyed.url}/v1`, apiKey: KEY, maxRetries: 0 });
    expect((await right.models.list()).data.length).toBe(4);
  });

  it("refuses to serve the API beyond loopback without a key", async () => {
    const e = await WayfarerServer.create({ store, host: "0.0.0.0", port: 0, chat }).catch((x: unknown) => x);
    expect(String((e as Error).message)).toContain("WAYFARER_API_KEY");
  });

  it("RAG variant: retrieves for the last question and returns the sources", async () => {
    const r = await client.chat.completions.create({
      model: "smol-rag",
      messages: [{ role: "user", content: "How crowded is tram 28 in Lisbon?" }],
      max_tokens: 8,
    });
    expect(retriever.queries.at(-1)).toBe("How crowded is tram 28 in Lisbon?");
    const sources = (r as unknown as { sources: Array<{ id: string; thread_id: string }> }).sources;
    expect(sources.map((s) => s.id)).toEqual(["d1", "d3"]);
    expect(sources[0]!.thread_id).toBe("t3_lis");
    // the documents went into the prompt: many more prompt tokens than the question alone
    const alone = await client.chat.completions.create({
      model: "smol",
      messages: [{ role: "user", content: "How crowded is tram 28 in Lisbon?" }],
      max_tokens: 1,
    });
    expect(r.usage!.prompt_tokens).toBeGreaterThan(alone.usage!.prompt_tokens + 30);
  });

  it("missing model file and unreachable endpoint: one clear error each, the server keeps serving", async () => {
    const missing = await client.chat.completions
      .create({ model: "missing", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect((missing as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect((missing as Error).message).toContain("missing.gguf: model file not found");
    const unreachable = await client.chat.completions
      .create({ model: "unreachable", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect((unreachable as InstanceType<typeof OpenAI.APIError>).status).toBe(500);
    expect((unreachable as Error).message).toContain("http://127.0.0.1:9/v1/chat/completions");
    const ok = await client.chat.completions.create({
      model: "smol",
      messages: [{ role: "user", content: "Say hi." }],
      max_tokens: 2,
    });
    expect(ok.choices[0]!.message.content!.length).toBeGreaterThan(0);
  });

  it("a client that disconnects mid-stream frees its slot; the queue bound answers 429", async () => {
    const controller = new AbortController();
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "smol",
        stream: true,
        max_tokens: 400,
        messages: [{ role: "user", content: "Tell me a long story about Lisbon." }],
      }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('"role":"assistant"');
    expect(chat.pending).toBe(1);
    controller.abort();
    const t0 = Date.now();
    while (chat.pending > 0 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
    expect(chat.pending).toBe(0);

    const many = await Promise.all(
      Array.from({ length: 5 }, () =>
        client.chat.completions
          .create({ model: "smol", messages: [{ role: "user", content: "Name a city." }], max_tokens: 8 })
          .then(
            () => 200,
            (e: unknown) => (e as InstanceType<typeof OpenAI.APIError>).status,
          ),
      ),
    );
    expect(many.filter((s) => s === 200).length).toBe(3);
    expect(many.filter((s) => s === 429).length).toBe(2);
    expect(chat.pending).toBe(0);
  });

  describe("openai-compatible provider against this server", () => {
    generatorContract(() => viaServer);
  });
});
