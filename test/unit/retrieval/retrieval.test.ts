import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MiniLmSentenceEmbedder } from "../../../src/evaluation/metrics/sentence-embedder.ts";
import { importThreads, readThreadsJsonl } from "../../../src/reddit/import.ts";
import type { Thread } from "../../../src/reddit/thread.ts";
import { analyze } from "../../../src/retrieval/analyzer.ts";
import { Bm25Index } from "../../../src/retrieval/bm25.ts";
import { chunkThreads } from "../../../src/retrieval/chunk.ts";
import { reciprocalRankFusion } from "../../../src/retrieval/dense.ts";
import { openRetrievalIndex, RetrievalIndex } from "../../../src/retrieval/index.ts";
import { makeComment, makePost, makeThread } from "../../helpers/threads.ts";

let dir: string;
let corpusDir: string;
let threads: Thread[];
let embedder: MiniLmSentenceEmbedder;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "wayfarer-retrieval-"));
  corpusDir = join(dir, "corpus");
  mkdirSync(join(corpusDir, "splits"), { recursive: true });
  await importThreads({ inputs: [{ path: "examples/quickstart/threads" }], outFile: join(dir, "threads.jsonl") });
  threads = [];
  for await (const t of readThreadsJsonl(join(dir, "threads.jsonl"))) threads.push(t);
  // 16 real-shaped threads keep embedding short
  writeFileSync(
    join(corpusDir, "splits", "train.jsonl"),
    threads
      .slice(0, 16)
      .map((t) => `${JSON.stringify(t)}\n`)
      .join(""),
  );
  embedder = await MiniLmSentenceEmbedder.create();
}, 60_000);
afterAll(async () => {
  await embedder?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const words = { countTokens: () => 1 };

describe("chunking", () => {
  it("packs short comments, windows long ones with overlap, skips empty ones, keeps verbatim text", () => {
    const long = Array.from({ length: 25 }, (_, i) => `w${i}`).join(" ");
    const t = makeThread(makePost("p1"), [
      makeComment("a", "t3_p1", "one two three"),
      makeComment("b", "t3_p1", "   "),
      makeComment("c", "t3_p1", "four five"),
      makeComment("d", "t3_p1", long),
      makeComment("e", "t3_p1", "six"),
    ]);
    const { documents, counts } = chunkThreads([t], { chunkTokens: 10, overlapTokens: 2, ...words });
    expect(counts).toEqual({ threads: 1, comments: 5, emptyComments: 1, splitComments: 1, documents: 5 });
    expect(documents.map((d) => d.id)).toEqual(["p1:0", "p1:1", "p1:2", "p1:3", "p1:4"]);
    expect(documents[0]).toMatchObject({
      text: "one two three\n\nfour five",
      tokens: 5,
      source: { threadId: "p1", commentIds: ["a", "c"] },
    });
    expect(documents[1]!.text).toBe("w0 w1 w2 w3 w4 w5 w6 w7 w8 w9");
    expect(documents[2]!.text).toBe("w8 w9 w10 w11 w12 w13 w14 w15 w16 w17");
    expect(documents[3]!.text).toBe("w16 w17 w18 w19 w20 w21 w22 w23 w24");
    expect(documents[4]).toMatchObject({ text: "six", source: { commentIds: ["e"] } });
    for (const d of documents.slice(1, 4)) expect(long.includes(d.text)).toBe(true);
  });

  it("rejects an overlap as large as half a chunk", () => {
    expect(() => chunkThreads([], { chunkTokens: 10, overlapTokens: 5, ...words })).toThrow(/overlapTokens/);
  });
});

describe("BM25 (wink-bm25-text-search)", () => {
  it("scores equal a textbook Okapi BM25 with Lucene idf on real comments", () => {
    const { documents } = chunkThreads(threads.slice(0, 10), { chunkTokens: 120, overlapTokens: 16, ...words });
    const index = Bm25Index.build(documents);
    const toks = documents.map((d) => analyze(d.text));
    const avgdl = toks.reduce((n, t) => n + t.length, 0) / toks.length;
    const reference = (query: string, i: number) => {
      let s = 0;
      for (const q of analyze(query)) {
        const df = toks.filter((t) => t.includes(q)).length;
        if (df === 0) continue;
        const tf = toks[i]!.filter((t) => t === q).length;
        const idf = Math.log(1 + (toks.length - df + 0.5) / (df + 0.5));
        s += (idf * tf * 2.2) / (tf + 1.2 * (0.25 + (0.75 * toks[i]!.length) / avgdl));
      }
      return s;
    };
    for (const q of ["cheap train ticket from the airport", "vegetarian food", "is it safe at night"]) {
      const hits = index.search(q, 5);
      expect(hits.length).toBeGreaterThan(0);
      for (const h of hits) {
        const i = documents.findIndex((d) => d.id === h.id);
        expect(h.score).toBeCloseTo(reference(q, i), 4);
      }
    }
    expect(index.search("the of and", 5)).toEqual([]);
    const reloaded = Bm25Index.fromJSON(index.toJSON());
    expect(reloaded.search("vegetarian food", 5)).toEqual(index.search("vegetarian food", 5));
  });

  it("needs 3 documents", () => {
    expect(() => Bm25Index.build([{ id: "a", text: "x" }])).toThrow(/at least 3 documents/);
  });
});

describe("fusion", () => {
  it("reciprocal-rank fusion adds 1/(k + rank)", () => {
    const fused = reciprocalRankFusion(
      [
        ["a", "b", "c"],
        ["b", "d"],
      ],
      60,
    );
    expect(fused.map((f) => f.id)).toEqual(["b", "a", "d", "c"]);
    expect(fused[0]!.score).toBeCloseTo(1 / 62 + 1 / 61, 12);
  });
});

describe("index on disk", () => {
  it("builds once, reopens by hash, rebuilds when a setting or the corpus changes", async () => {
    const indexDir = join(dir, "index");
    const a = await openRetrievalIndex({ corpusDir, indexDir, embedder, settings: { chunkTokens: 128 } });
    expect(a.built).toBe(true);
    expect(a.documents.length).toBeGreaterThan(16);
    expect(a.counts.threads).toBe(16);
    expect(a.documents.every((d) => d.tokens <= 128 || d.source.commentIds.length === 1)).toBe(true);
    const q = "how do I get from the airport to the city centre";
    const hybrid = await a.search(q, { k: 5 });
    expect(hybrid).toHaveLength(5);
    expect(hybrid[0]).toHaveProperty("source.threadId");
    const bm25 = await a.search(q, { k: 5, mode: "bm25" });
    const dense = await a.search(q, { k: 5, mode: "dense" });
    expect(dense[0]!.score).toBeLessThanOrEqual(1);
    expect(dense[0]!.score).toBeGreaterThan(dense[4]!.score);
    // hybrid's first hit is ranked first or second by one of the two
    expect([bm25[0]!.id, bm25[1]!.id, dense[0]!.id, dense[1]!.id]).toContain(hybrid[0]!.id);

    const b = await openRetrievalIndex({ corpusDir, indexDir, embedder, settings: { chunkTokens: 128 } });
    expect(b.built).toBe(false);
    expect(b.hash).toBe(a.hash);
    expect(await b.search(q, { k: 5 })).toEqual(hybrid);
    expect(b.documents).toEqual(a.documents);

    const c = await openRetrievalIndex({ corpusDir, indexDir, embedder, settings: { chunkTokens: 128, dense: false } });
    expect(c.built).toBe(true);
    expect(c.hash).not.toBe(a.hash);
    await expect(c.search(q, { k: 3, mode: "dense" })).rejects.toThrow(/dense: false/);
    expect((await c.search(q, { k: 5 })).map((h) => h.id)).toEqual(bm25.map((h) => h.id));

    writeFileSync(
      join(corpusDir, "splits", "train.jsonl"),
      `${threads
        .slice(0, 5)
        .map((t) => JSON.stringify(t))
        .join("\n")}\n`,
    );
    const d = await openRetrievalIndex({ corpusDir, indexDir, embedder, settings: { chunkTokens: 128, dense: false } });
    expect(d.built).toBe(true);
    expect(d.counts.threads).toBe(5);
    expect(readdirSync(indexDir).filter((f) => f.includes("partial"))).toEqual([]);
  }, 60_000);

  it("a corrupted split file is an InputError naming file and line", async () => {
    const bad = join(dir, "bad-corpus");
    mkdirSync(join(bad, "splits"), { recursive: true });
    writeFileSync(join(bad, "splits", "train.jsonl"), `${JSON.stringify(threads[0])}\n{"post": 3}\n`);
    await expect(openRetrievalIndex({ corpusDir: bad, settings: { dense: false } })).rejects.toThrow(
      /bad-corpus\/splits\/train\.jsonl:2/,
    );
  });

  it("names a missing split file", async () => {
    await expect(openRetrievalIndex({ corpusDir, settings: { splits: ["test"], dense: false } })).rejects.toThrow(
      /splits\/test\.jsonl not found/,
    );
  });

  it("fromDocuments serves in-memory documents", async () => {
    const { documents } = chunkThreads(threads.slice(0, 3), { chunkTokens: 64, overlapTokens: 8, ...words });
    const index = await RetrievalIndex.fromDocuments(documents, { settings: { dense: false } });
    const hits = await index.search(documents[2]!.text, { k: 1 });
    expect(hits[0]!.id).toBe(documents[2]!.id);
  });
});
