/** OpenAI-compatible /embeddings client against a real loopback server with the OpenAI response shape. */
import { afterEach, describe, expect, it } from "vitest";
import { OpenAICompatibleEmbedder } from "../../../src/models/openai-embedder.ts";
import { type FakeOpenAI, startFakeOpenAI } from "../evaluation/judge/fake-openai-server.ts";

/** A deterministic 3-d vector per text: [length, vowels, spaces]. */
const vec = (t: string) => [t.length, (t.match(/[aeiou]/g) ?? []).length, (t.match(/ /g) ?? []).length];

let fake: FakeOpenAI | undefined;
afterEach(async () => fake?.close());

const client = (f: FakeOpenAI, batchSize = 2) =>
  new OpenAICompatibleEmbedder({
    baseURL: f.baseURL,
    model: "text-embedding-3-small",
    apiKey: "sk-secret-123",
    batchSize,
    maxRetries: 2,
    sleep: async () => {},
  });

describe("OpenAICompatibleEmbedder", () => {
  it("batches, orders by index, retries a 429, sends the key only in the header", async () => {
    fake = await startFakeOpenAI(
      () => ({ content: "" }),
      (req, i) =>
        i === 0
          ? { status: 429, retryAfterSeconds: 0 }
          : { data: req.input.map((t, index) => ({ index, embedding: vec(t) })).reverse() },
    );
    const texts = ["a b", "hello there", "x", "long text here ok", "e"];
    const out = await client(fake).embed(texts);
    expect(out).toEqual(texts.map(vec));
    expect(fake.embeddingRequests.map((r) => r.input)).toEqual([
      ["a b", "hello there"],
      ["a b", "hello there"],
      ["x", "long text here ok"],
      ["e"],
    ]);
    expect(fake.embeddingRequests.every((r) => r.authorization === "Bearer sk-secret-123")).toBe(true);
    expect(fake.embeddingRequests[0]!.model).toBe("text-embedding-3-small");
    expect(client(fake).modelId).toBe("openai-compatible:text-embedding-3-small");
  });

  it("refuses a wrong count, non-numbers, mixed dimensions and a 400 with clear messages (no key)", async () => {
    const replies = [
      { data: [{ index: 0, embedding: [1, 2] }] },
      { data: [{ index: 0, embedding: ["1", 2] }] },
      {
        data: [
          { index: 0, embedding: [1, 2] },
          { index: 1, embedding: [1, 2, 3] },
        ],
      },
      { status: 400, message: "model not found" },
    ];
    fake = await startFakeOpenAI(
      () => ({ content: "" }),
      (_req, i) => replies[i]!,
    );
    const e = client(fake);
    await expect(e.embed(["a", "b"])).rejects.toThrow(/\/embeddings: 1 embeddings for 2 texts/);
    await expect(e.embed(["a"])).rejects.toThrow(/data\[0\]\.embedding is not a list of numbers/);
    await expect(e.embed(["a", "b"])).rejects.toThrow(/embeddings of 3 and 2 dimensions/);
    const err = await e.embed(["a"]).catch((x: Error) => x);
    expect(String(err)).toMatch(/HTTP 400 \(error body\): model not found/);
    expect(String(err)).not.toContain("sk-secret");
  });
});
