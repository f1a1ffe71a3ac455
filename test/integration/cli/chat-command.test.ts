/** `wayfarer chat`: a conversation in the terminal with SmolLM2-135M, a RAG variant's sources, /reset, errors. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runChat } from "../../../src/cli/commands/chat.ts";
import { HAS_SMOLLM2, SMOLLM2_GGUF } from "../../helpers/paths.ts";
import { TermOverlapRetriever, TRAVEL_DOCS } from "../../helpers/term-overlap-retriever.ts";

async function* lines(...xs: string[]): AsyncIterable<string> {
  yield* xs;
}

describe.skipIf(!HAS_SMOLLM2)("wayfarer chat (SmolLM2-135M)", () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "wf-chat-cli-"));
    file = join(dir, "chat.yaml");
    writeFileSync(
      file,
      [
        "name: chat-test",
        "import: { inputs: [{ path: threads.jsonl, format: threads-jsonl }] }",
        "datasets: { golden: { file: golden.csv } }",
        `models: { smollm2: { provider: llama, path: ${JSON.stringify(SMOLLM2_GGUF)}, threads: 1, contextSize: 1024 } }`,
        "generate:",
        "  maxTokens: 12",
        "  variants:",
        "    - { name: base, model: smollm2 }",
        "    - { name: rag, model: smollm2, retrieval: { k: 1, mode: bm25 } }",
      ].join("\n"),
    );
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const ctx = () => {
    const o = { out: "", err: "" };
    return {
      o,
      ctx: {
        cwd: dir,
        env: {},
        out: (s: string) => (o.out += s),
        err: (s: string) => (o.err += s),
        interactive: false,
      },
    };
  };

  it("streams answers to stdout and prints a RAG variant's sources as one escaped line each", async () => {
    const { o, ctx: c } = ctx();
    const n = await runChat({ experiment: file, variant: "rag" }, c, {
      input: lines("Which card covers the metro in Porto?", "/reset", "", "/exit", "never asked"),
      retriever: async () => new TermOverlapRetriever(TRAVEL_DOCS),
    });
    expect(n).toBe(1);
    expect(o.err).toContain("chatting with rag (base smollm2");
    expect(o.err).toContain("(new conversation)");
    const out = o.out.split("\n");
    expect(out[0]!.length).toBeGreaterThan(0);
    expect(out.filter((l) => l.startsWith("  ["))).toEqual([
      '  [1] <b>Porto</b> <script>window.__pwned=1</script> — In Porto the Andante card covers metro and buses. <img src=x onerror="window.__pwned=2"> (thread t3_opo)',
    ]);
  });

  it("an unknown variant is one clear error naming the file and the variants", async () => {
    const { ctx: c } = ctx();
    const e = await runChat({ experiment: file, variant: "nope" }, c, { input: lines() }).catch((x: unknown) => x);
    expect(String((e as Error).message)).toBe(`${file}: no variant "nope" (have: base, rag)`);
  });
});
