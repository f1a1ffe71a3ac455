/** postOpenAICompatible never puts the bearer key into an error message, even when the server echoes it. */
import { describe, expect, it } from "vitest";
import { postOpenAICompatible } from "../../../src/models/openai-generator.ts";

const KEY = "sk-proj-SECRET1234567890";

const replying = (status: number, body: string) =>
  (async () => new Response(body, { status, headers: { "content-type": "application/json" } })) as typeof fetch;

const call = (doFetch: typeof fetch, baseURL = "http://127.0.0.1:1/v1") =>
  postOpenAICompatible(
    { baseURL, model: "m", apiKey: KEY, maxRetries: 0, fetch: doFetch },
    "chat/completions",
    {},
  ).catch((e: Error) => e);

describe("postOpenAICompatible error messages", () => {
  it("redacts the key when the provider echoes it in an error body (JSON or text)", async () => {
    const json = await call(
      replying(401, JSON.stringify({ error: { message: `Incorrect API key provided: Bearer ${KEY}` } })),
    );
    expect(String(json)).toMatch(/HTTP 401 \(error body\): Incorrect API key provided: Bearer \[redacted\]/);
    expect(String(json)).not.toContain("SECRET");
    const text = await call(replying(403, `<html>forbidden for key ${KEY}</html>`));
    expect(String(text)).toMatch(/HTTP 403: <html>forbidden for key \[redacted\]/);
    expect(String(text)).not.toContain("SECRET");
  });

  it("redacts it in network errors too", async () => {
    const failing = (async () => {
      throw new TypeError(`fetch failed (Authorization: Bearer ${KEY})`);
    }) as typeof fetch;
    const err = await call(failing);
    expect(String(err)).not.toContain("SECRET");
    expect(String(err)).toContain("[redacted]");
  });
});
