/**
 * Browser test of the chat page: headless Debian Chromium (playwright-core) against an in-process
 * `WayfarerServer` with SmolLM2-135M behind a RAG variant (a term-overlap retriever over fixed documents, one
 * of them carrying markup). Pick the variant, ask, watch the answer arrive in several updates, see its sources
 * beside it, with the Reddit-derived markup shown as text. Skips without Chromium or the model.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LlamaGenerator, LlamaRuntime } from "../../src/models/llama-generator.ts";
import { ChatService } from "../../src/server/chat-service.ts";
import { WayfarerServer } from "../../src/server/server.ts";
import { Store } from "../../src/store/store.ts";
import { HAS_SMOLLM2, SMOLLM2_GGUF } from "../helpers/paths.ts";
import { TermOverlapRetriever, TRAVEL_DOCS } from "../helpers/term-overlap-retriever.ts";

const CHROMIUM = process.env.WAYFARER_CHROMIUM ?? "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
const QUESTION = "Which card covers the metro in Porto?";

describe.skipIf(!hasChromium || !HAS_SMOLLM2)("chat page in Chromium (SmolLM2-135M)", () => {
  let dir: string;
  let store: Store;
  let runtime: LlamaRuntime;
  let smol: LlamaGenerator;
  let server: WayfarerServer;
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "wf-chat-"));
    store = Store.open(join(dir, "store.sqlite"));
    runtime = await LlamaRuntime.create();
    smol = await runtime.createGenerator({ modelPath: SMOLLM2_GGUF, threads: 1, contextSize: 1024 });
    const chat = new ChatService({
      variants: [
        { name: "smol", base: "smollm2", createGenerator: async () => smol },
        {
          name: "smol-rag",
          base: "smollm2",
          retrieval: { k: 2, mode: "bm25", format: "context" },
          createGenerator: async () => smol,
        },
      ],
      retriever: async () => new TermOverlapRetriever(TRAVEL_DOCS),
      defaults: { maxTokens: 24, temperature: 0 },
    });
    server = await WayfarerServer.create({ store, port: 0, chat });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
    await smol?.dispose();
    await runtime?.dispose();
    store?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("pick a variant, ask, see the answer stream in and its sources beside it, markup as text", async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/chat`);
    await expect.poll(() => page.locator("#variant option").allTextContents()).toEqual(["smol", "smol-rag"]);
    await page.selectOption("#variant", "smol-rag");
    await expect.poll(() => page.locator("#model-info").textContent()).toContain("retrieval top-2 bm25");
    // count how often the answer text changes while it streams
    await page.evaluate(`(() => {
      window.__updates = 0;
      new MutationObserver((records) => {
        for (const r of records) {
          const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
          if (el && el.closest(".answer")) window.__updates++;
        }
      }).observe(document.getElementById("log"), { subtree: true, childList: true, characterData: true });
    })()`);
    await page.fill("#question", QUESTION);
    await page.keyboard.press("Enter");
    await page.locator(".answer[data-done='1']").waitFor({ timeout: 60_000 });
    const answer = (await page.locator(".answer").textContent())!;
    expect(answer.length).toBeGreaterThan(0);
    expect(await page.evaluate("window.__updates")).toBeGreaterThan(3);

    // the same text the API returns unstreamed (temperature 0 by default)
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "smol-rag", messages: [{ role: "user", content: QUESTION }] }),
    });
    const plain = (await res.json()) as { choices: Array<{ message: { content: string } }> };
    expect(answer).toBe(plain.choices[0]!.message.content);

    const sources = page.locator(".sources li");
    await expect.poll(() => sources.count()).toBe(2);
    expect(await sources.nth(0).locator(".src-title").textContent()).toBe(
      "<b>Porto</b> <script>window.__pwned=1</script>",
    );
    expect(await sources.nth(0).locator(".src-text").textContent()).toContain('<img src=x onerror="window.__pwned=2">');
    expect(await sources.nth(0).locator(".src-meta").textContent()).toContain("thread t3_opo");
    expect(await sources.nth(1).locator(".src-meta").textContent()).toContain("thread t3_lis");
    expect(await page.evaluate("window.__pwned")).toBeUndefined();
    expect(await page.locator(".question").textContent()).toBe(QUESTION);
    await page.close();
  });
});
