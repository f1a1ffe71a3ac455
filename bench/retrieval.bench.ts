/**
 * Retrieval (issue 10): recall of hybrid vs BM25 vs dense on labelled queries from the seed study's real data,
 * the BM25 library choice on evidence, and query latency at 100k documents.
 *
 *   npx tsx bench/retrieval.bench.ts [--minisearch /path/to/node_modules/minisearch] [--scale 100000] [--queries 50]
 *
 * Corpus (real comment text, ../shared/data/wanderchat): every distinct document of the study's two RAFT files
 * (the context documents: real Reddit comment text) plus the comments of the 16 real threads of
 * golden_reddit_threads.csv, chunked by src/retrieval/chunk.ts (200 MiniLM tokens, overlap 32). Nothing here was
 * used to pick a setting: all retrieval defaults were fixed before this ran.
 * Labelled queries, two sets:
 * - `raft-question`: each distinct RAFT question; relevant = its oracle document (one per question). The
 *   questions were written by the study's teachers from that document, so they share its words (kind to BM25).
 * - `thread-title`: each of the 16 thread titles; relevant = every chunk of that thread's comments (the issue's
 *   "query = post title"). The title is not indexed with the chunks.
 * Metrics: recall@k = share of a query's relevant documents in the top k, averaged over queries (for one
 * relevant document it is hit@k); MRR@20.
 * BM25 library: wink-bm25-text-search (the project's choice) and, when `--minisearch` points at an install
 * (`npm install minisearch@7.2.0` in a scratch folder; not a project dependency), minisearch, both fed the same
 * analyzer, against a textbook Okapi BM25 (Lucene idf, k1 1.2, b 0.75) written below: score agreement, top-10
 * agreement, recall, and build/query time as ratios to the reference in the same process.
 * Latency: the real documents replicated with shuffled words to `--scale` documents; their real MiniLM vectors
 * replicated with small Gaussian noise (re-normalised) — dense latency does not depend on content.
 * Writes a table to stdout and one JSON line; bench/results/retrieval.md holds a run and its reading.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createRng } from "../src/evaluation/meta/bootstrap.ts";
import { MiniLmSentenceEmbedder } from "../src/evaluation/metrics/sentence-embedder.ts";
import { importThreads, readThreadsJsonl } from "../src/reddit/import.ts";
import type { Thread } from "../src/reddit/thread.ts";
import { analyze } from "../src/retrieval/analyzer.ts";
import { Bm25Index } from "../src/retrieval/bm25.ts";
import { type ChunkDocument, chunkThreads } from "../src/retrieval/chunk.ts";
import { DenseMatrix } from "../src/retrieval/dense.ts";
import { RetrievalIndex, type RetrievalMode } from "../src/retrieval/index.ts";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const DATA = "../shared/data/wanderchat";
const SCALE = Number(arg("scale") ?? 100_000);
const LATENCY_QUERIES = Number(arg("queries") ?? 50);

interface Query {
  text: string;
  relevant: Set<string>;
}

/** The textbook reference: Okapi BM25 with Lucene's idf, over the same analyzer. */
class ReferenceBm25 {
  readonly #postings = new Map<string, Map<number, number>>();
  readonly #lengths: number[] = [];
  readonly #ids: string[] = [];
  #avgdl = 0;
  constructor(docs: readonly { id: string; text: string }[]) {
    docs.forEach((d, i) => {
      const toks = analyze(d.text);
      this.#ids.push(d.id);
      this.#lengths.push(toks.length);
      for (const t of toks) {
        const p = this.#postings.get(t) ?? new Map<number, number>();
        this.#postings.set(t, p);
        p.set(i, (p.get(i) ?? 0) + 1);
      }
    });
    this.#avgdl = this.#lengths.reduce((a, b) => a + b, 0) / Math.max(1, this.#lengths.length);
  }
  search(query: string, k: number): { id: string; score: number }[] {
    const n = this.#ids.length;
    const scores = new Map<number, number>();
    for (const t of analyze(query)) {
      const p = this.#postings.get(t);
      if (!p) continue;
      const idf = Math.log(1 + (n - p.size + 0.5) / (p.size + 0.5));
      for (const [i, tf] of p) {
        const s = (idf * tf * 2.2) / (tf + 1.2 * (0.25 + (0.75 * this.#lengths[i]!) / this.#avgdl));
        scores.set(i, (scores.get(i) ?? 0) + s);
      }
    }
    return [...scores]
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, k)
      .map(([i, score]) => ({ id: this.#ids[i]!, score }));
  }
}

interface Ranker {
  name: string;
  search(q: string, k: number): Promise<string[]> | string[];
}

async function evaluate(r: Ranker, queries: readonly Query[]) {
  let r5 = 0;
  let r20 = 0;
  let mrr = 0;
  for (const q of queries) {
    const ids = await r.search(q.text, 20);
    const hit = (k: number) => ids.slice(0, k).filter((id) => q.relevant.has(id)).length / q.relevant.size;
    r5 += hit(5);
    r20 += hit(20);
    const first = ids.findIndex((id) => q.relevant.has(id));
    mrr += first >= 0 ? 1 / (first + 1) : 0;
  }
  const n = queries.length;
  return { recall5: r5 / n, recall20: r20 / n, mrr20: mrr / n };
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
}

const mulberry = createRng;

async function main() {
  const work = mkdtempSync(join(tmpdir(), "wf-retrieval-bench-"));
  const embedder = await MiniLmSentenceEmbedder.create();
  try {
    // ---- corpus and labelled queries
    const docs: ChunkDocument[] = [];
    const byText = new Map<string, string>();
    const raftQueries = new Map<string, Set<string>>();
    for (const f of ["raft_reddit_mistral_cot.jsonl", "raft_reddit_openai_cot.jsonl"]) {
      for (const line of readFileSync(join(DATA, f), "utf8").split("\n")) {
        if (!line.trim()) continue;
        const r = JSON.parse(line) as { question: string; oracle_context: string; context: { sentences: string[][] } };
        for (const text of [...r.context.sentences.flat(), r.oracle_context]) {
          if (byText.has(text) || text.trim() === "") continue;
          const id = `raft-doc:${byText.size}`;
          byText.set(text, id);
          docs.push({ id, text, title: "", tokens: 0, source: { threadId: id, commentIds: [] } });
        }
        const rel = raftQueries.get(r.question) ?? new Set<string>();
        rel.add(byText.get(r.oracle_context)!);
        raftQueries.set(r.question, rel);
      }
    }
    await importThreads({
      inputs: [{ path: join(DATA, "golden_reddit_threads.csv"), format: "threads-csv" }],
      outFile: join(work, "threads.jsonl"),
    });
    const threads: Thread[] = [];
    for await (const t of readThreadsJsonl(join(work, "threads.jsonl"))) threads.push(t);
    const wordTokens = new Map<string, number>();
    const chunked = chunkThreads(threads, {
      chunkTokens: 200,
      overlapTokens: 32,
      countTokens: (w) => {
        const n = wordTokens.get(w) ?? Math.max(1, embedder.tokenize(w).length - 2);
        wordTokens.set(w, n);
        return n;
      },
    });
    docs.push(...chunked.documents);
    const titleQueries: Query[] = threads
      .map((t) => ({
        text: t.post.title,
        relevant: new Set(chunked.documents.filter((d) => d.source.threadId === t.post.id).map((d) => d.id)),
      }))
      .filter((q) => q.relevant.size > 0);
    const questionQueries: Query[] = [...raftQueries].map(([text, relevant]) => ({ text, relevant }));

    // ---- index (BM25 + dense), measured
    const t0 = performance.now();
    const index = await RetrievalIndex.fromDocuments(docs, { embedder });
    const buildSeconds = (performance.now() - t0) / 1000;
    const modes: RetrievalMode[] = ["bm25", "dense", "hybrid"];
    const recall: Record<string, Record<string, Awaited<ReturnType<typeof evaluate>>>> = {};
    for (const [setName, qs] of [
      ["raft-question", questionQueries],
      ["thread-title", titleQueries],
    ] as const) {
      recall[setName] = {};
      for (const mode of modes) {
        recall[setName]![mode] = await evaluate(
          { name: mode, search: async (q, k) => (await index.search(q, { k, mode })).map((h) => h.id) },
          qs,
        );
      }
    }

    // ---- BM25 libraries vs the reference (same analyzer, same documents)
    const t1 = performance.now();
    const reference = new ReferenceBm25(docs);
    const refBuild = performance.now() - t1;
    const t2 = performance.now();
    const wink = Bm25Index.build(docs);
    const winkBuild = performance.now() - t2;
    const libs: Record<
      string,
      { buildMs: number; queryMs: number; maxAbsScoreDiff: number | null; top10Agreement: number; recall: object }
    > = {};
    const timeQueries = (f: (q: string) => unknown) => {
      const t = performance.now();
      for (const q of questionQueries) f(q.text);
      return (performance.now() - t) / questionQueries.length;
    };
    const refQuery = timeQueries((q) => reference.search(q, 20));
    const agreement = (f: (q: string) => { id: string; score: number }[], compareScores: boolean) => {
      let same = 0;
      let maxDiff = 0;
      for (const q of questionQueries) {
        const a = reference.search(q.text, 10);
        const b = f(q.text).slice(0, 10);
        const bIds = new Set(b.map((h) => h.id));
        same += a.filter((h) => bIds.has(h.id)).length / Math.max(1, a.length);
        if (compareScores) {
          const bScore = new Map(b.map((h) => [h.id, h.score]));
          for (const h of a) if (bScore.has(h.id)) maxDiff = Math.max(maxDiff, Math.abs(h.score - bScore.get(h.id)!));
        }
      }
      return { top10Agreement: same / questionQueries.length, maxAbsScoreDiff: compareScores ? maxDiff : null };
    };
    libs.reference = {
      buildMs: refBuild,
      queryMs: refQuery,
      maxAbsScoreDiff: 0,
      top10Agreement: 1,
      recall: await evaluate(
        { name: "ref", search: (q, k) => reference.search(q, k).map((h) => h.id) },
        questionQueries,
      ),
    };
    libs["wink-bm25-text-search 3.1.2"] = {
      buildMs: winkBuild,
      queryMs: timeQueries((q) => wink.search(q, 20)),
      ...agreement((q) => wink.search(q, 10), true),
      recall: await evaluate({ name: "wink", search: (q, k) => wink.search(q, k).map((h) => h.id) }, questionQueries),
    };
    const msPath = arg("minisearch");
    if (msPath) {
      const { default: MiniSearch } = (await import(join(msPath, "dist/es/index.js"))) as {
        default: new (o: object) => { addAll(d: object[]): void; search(q: string): { id: string; score: number }[] };
      };
      for (const [label, bm25] of [
        ["minisearch 7.2.0 (defaults: BM25+ d=0.5, b=0.7)", undefined],
        ["minisearch 7.2.0 (k1 1.2, b 0.75, d 0)", { k: 1.2, b: 0.75, d: 0 }],
      ] as const) {
        const t3 = performance.now();
        const ms = new MiniSearch({
          fields: ["text"],
          tokenize: (s: string) => analyze(s),
          processTerm: (t: string) => t,
          ...(bm25 ? { searchOptions: { bm25 } } : {}),
        });
        ms.addAll(docs.map((d) => ({ id: d.id, text: d.text })));
        const buildMs = performance.now() - t3;
        const search = (q: string) => ms.search(q).slice(0, 20);
        libs[label] = {
          buildMs,
          queryMs: timeQueries(search),
          ...agreement(search, true),
          recall: await evaluate(
            {
              name: label,
              search: (q, k) =>
                search(q)
                  .slice(0, k)
                  .map((h) => h.id),
            },
            questionQueries,
          ),
        };
      }
    }

    // ---- latency at SCALE documents (synthetic scale-up of the real ones)
    const rand = mulberry(7);
    const bigDocs: ChunkDocument[] = [];
    const realVectors = (await embedder.embed(docs.map((d) => d.text))) as number[][];
    const dim = realVectors[0]!.length;
    const big = new Float32Array(SCALE * dim);
    for (let i = 0; i < SCALE; i++) {
      const src = docs[i % docs.length]!;
      const words = src.text.split(/\s+/);
      if (i >= docs.length)
        for (let j = words.length - 1; j > 0; j--) {
          const r = Math.floor(rand() * (j + 1));
          [words[j], words[r]] = [words[r]!, words[j]!];
        }
      bigDocs.push({ ...src, id: `s${i}`, text: words.join(" "), source: { threadId: `s${i}`, commentIds: [] } });
      const v = realVectors[i % docs.length]!;
      let norm = 0;
      for (let k = 0; k < dim; k++) {
        const x = v[k]! + (i >= docs.length ? 0.02 * gaussian(rand) : 0);
        big[i * dim + k] = x;
        norm += x * x;
      }
      const s = 1 / Math.sqrt(norm);
      for (let k = 0; k < dim; k++) big[i * dim + k]! *= s;
    }
    const t4 = performance.now();
    const bigIndex = await RetrievalIndex.fromDocuments(bigDocs, { embedder, vectors: new DenseMatrix(big, dim) });
    const bigBm25BuildSeconds = (performance.now() - t4) / 1000;
    const latencyQueries = questionQueries.slice(0, LATENCY_QUERIES).map((q) => q.text);
    const latency: Record<string, { p50: number; p95: number; mean: number; cpuMean: number }> = {};
    await embedder.embed(latencyQueries); // embeddings cached: dense/hybrid latency below excludes encoding
    const tq = performance.now();
    for (const q of latencyQueries) await embedder.embed([`${q} (uncached)`]);
    const encodeMs = (performance.now() - tq) / latencyQueries.length;
    const bigReference = new ReferenceBm25(bigDocs);
    const timed = async (name: string, run: (q: string) => unknown) => {
      const ms: number[] = [];
      const cpu0 = process.cpuUsage();
      for (const q of latencyQueries) {
        const t = performance.now();
        await run(q);
        ms.push(performance.now() - t);
      }
      const cpu = process.cpuUsage(cpu0);
      latency[name] = {
        p50: quantile(ms, 0.5),
        p95: quantile(ms, 0.95),
        mean: ms.reduce((a, b) => a + b, 0) / ms.length,
        cpuMean: (cpu.user + cpu.system) / 1000 / ms.length,
      };
    };
    for (const mode of modes) await timed(mode, (q) => bigIndex.search(q, { k: 10, mode }));
    await timed("reference BM25", (q) => bigReference.search(q, 10));

    const result = {
      machine: { cpu: cpus()[0]?.model, cores: availableParallelism(), loadavg: loadavg() },
      corpus: {
        documents: docs.length,
        raftDocuments: byText.size,
        threadChunks: chunked.documents.length,
        threads: threads.length,
      },
      queries: { "raft-question": questionQueries.length, "thread-title": titleQueries.length },
      buildSeconds,
      recall,
      bm25Libraries: libs,
      latency: { documents: SCALE, bm25BuildSeconds: bigBm25BuildSeconds, queryEncodeMs: encodeMs, searchMs: latency },
    };
    const f = (x: number) => x.toFixed(3);
    console.log(`corpus: ${docs.length} documents; index built in ${buildSeconds.toFixed(1)} s (BM25 + MiniLM)`);
    for (const [set, byMode] of Object.entries(recall)) {
      console.log(`\n${set} (${set === "raft-question" ? questionQueries.length : titleQueries.length} queries)`);
      console.log("mode     recall@5  recall@20  MRR@20");
      for (const [m, r] of Object.entries(byMode))
        console.log(`${m.padEnd(8)} ${f(r.recall5)}     ${f(r.recall20)}      ${f(r.mrr20)}`);
    }
    console.log(
      "\nBM25 library        build ms  query ms  vs ref (query)  top-10 agreement  max |score diff|  recall@5 (raft-question)",
    );
    for (const [name, l] of Object.entries(libs))
      console.log(
        `${name}: ${l.buildMs.toFixed(0)}  ${l.queryMs.toFixed(2)}  ${(l.queryMs / refQuery).toFixed(2)}x  ${f(l.top10Agreement)}  ${l.maxAbsScoreDiff?.toExponential(1)}  ${f((l.recall as { recall5: number }).recall5)}`,
      );
    console.log(
      `\nlatency at ${SCALE} documents (k=10, ${latencyQueries.length} queries; query encoding ${encodeMs.toFixed(1)} ms extra for dense/hybrid)`,
    );
    for (const [m, l] of Object.entries(latency))
      console.log(`${m.padEnd(8)} p50 ${l.p50.toFixed(1)} ms  p95 ${l.p95.toFixed(1)} ms`);
    console.log(JSON.stringify(result));
  } finally {
    await embedder.dispose();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
