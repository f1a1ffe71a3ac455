/**
 * The retrieval index every retrieval user shares (RAFT distractors, RAG in `generate`, the chatbot, Ragas
 * context metrics): corpus comments chunked into documents (chunk.ts), BM25 (bm25.ts, wink-bm25-text-search),
 * dense vectors from the project's MiniLM sentence encoder (dense.ts), and hybrid search by reciprocal-rank
 * fusion of the two rankings.
 *
 * Persistence: `openRetrievalIndex` hashes the corpus split files' bytes, the settings, the analyzer and the
 * encoder into `hash`; the index lives in `<indexDir>/<hash[0:16]>/` (manifest.json, documents.jsonl,
 * bm25.json, vectors.f32) and is reused as long as nothing of that changes; otherwise it is rebuilt (written
 * to a temporary folder, then renamed, so a killed build leaves no half index).
 *
 * Contract for other modules: {@link Retriever} and {@link RetrievedDocument} (keep them stable).
 */
import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ConfigError } from "../errors/config-error.ts";
import type { TextEmbedder } from "../evaluation/metrics/embedding.ts";
import { MiniLmSentenceEmbedder } from "../evaluation/metrics/sentence-embedder.ts";
import { defaultMiniLmDir } from "../evaluation/metrics/support/minilm.ts";
import { readThreadsJsonl } from "../reddit/import.ts";
import type { Thread } from "../reddit/thread.ts";
import { ANALYZER_ID } from "./analyzer.ts";
import { Bm25Index, type Bm25Params, DEFAULT_BM25 } from "./bm25.ts";
import { type ChunkCounts, type ChunkDocument, checkChunkOptions, chunkThreads } from "./chunk.ts";
import { DenseMatrix, reciprocalRankFusion } from "./dense.ts";

export type { ChunkCounts, ChunkDocument } from "./chunk.ts";

/** One search hit. */
export interface RetrievedDocument {
  /** Stable document id, `<post id>:<n>`. */
  id: string;
  /** The document text (verbatim comment text; several short comments joined by a blank line). */
  text: string;
  /** Title of the thread the document comes from. */
  title?: string;
  /** Ranking score: BM25 score, cosine similarity, or the RRF score in hybrid mode (higher is better). */
  score: number;
  source: { threadId: string; commentIds: string[] };
}

/** How to rank: BM25 alone, the dense encoder alone, or both fused by reciprocal rank. */
export type RetrievalMode = "hybrid" | "bm25" | "dense";

/** Options of {@link Retriever.search}. */
export interface SearchOptions {
  /** Documents to return, >= 1. */
  k: number;
  /** Default "hybrid" (or "bm25" when the index has no dense vectors). */
  mode?: RetrievalMode;
}

/** What RAG, the chatbot and RAFT code against. */
export interface Retriever {
  /**
   * The best `k` documents for `query`, best first. Fewer when the index is smaller or (BM25) no query token
   * occurs anywhere.
   * @throws ConfigError when `mode` needs dense vectors and the index was built without them.
   */
  search(query: string, opts: SearchOptions): Promise<RetrievedDocument[]>;
}

/** Index settings; every field is part of the index hash. */
export interface RetrievalSettings {
  /** Largest document in encoder tokens (MiniLM WordPiece; whitespace words without an encoder), >= 8. Default 200 (MiniLM reads 256). */
  chunkTokens: number;
  /** Tokens shared by consecutive windows of one long comment. Default 32. */
  overlapTokens: number;
  /** Corpus splits to index (`<corpusDir>/splits/<split>.jsonl`). Default ["train"]: held-out threads stay out. */
  splits: string[];
  /** BM25 k1 and b. Default 1.2, 0.75. */
  bm25: Bm25Params;
  /** Embed documents with the sentence encoder (needed for "dense" and "hybrid"). Default true. */
  dense: boolean;
  /** RRF constant k (Cormack et al. 2009 use 60). Default 60. */
  rrfK: number;
  /** Candidates taken from each ranking before fusion (at least the requested k). Default 100. */
  candidates: number;
}

export const DEFAULT_RETRIEVAL: Readonly<RetrievalSettings> = Object.freeze({
  chunkTokens: 200,
  overlapTokens: 32,
  splits: ["train"],
  bm25: DEFAULT_BM25,
  dense: true,
  rrfK: 60,
  candidates: 100,
});

/** Bumped when the on-disk layout or the build changes (part of the hash). */
const INDEX_VERSION = 1;

/** On-disk manifest of an index folder. */
interface Manifest {
  kind: "wayfarer-retrieval-index";
  version: number;
  hash: string;
  settings: RetrievalSettings;
  encoder: string | null;
  tokenizer: string;
  analyzer: string;
  dim: number | null;
  counts: ChunkCounts;
  /** sha256 of each split file. */
  corpus: Record<string, string>;
}

/** Options of {@link RetrievalIndex.fromDocuments}. */
export interface FromDocumentsOptions {
  settings?: Partial<RetrievalSettings>;
  /** Encoder for dense vectors (required when settings.dense). */
  embedder?: TextEmbedder;
  /** Precomputed unit vectors in document order (skips embedding; the bench's synthetic scale-up). */
  vectors?: DenseMatrix;
  /** (done, total) while embedding documents. */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** Options of {@link openRetrievalIndex}. */
export interface OpenRetrievalOptions {
  /** A corpus stage folder: holds `splits/<split>.jsonl` (clean threads). */
  corpusDir: string;
  /** Where index folders live. Default `<corpusDir>/../retrieval` (i.e. `runs/<experiment>/retrieval`). */
  indexDir?: string;
  settings?: Partial<RetrievalSettings>;
  /** Sentence encoder (shared with evaluation when the caller has one). Default all-MiniLM-L6-v2 from the model cache. */
  embedder?: TextEmbedder;
  /** For the model cache location. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** (done, total) while embedding documents of a new index. */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** Fills defaults and checks ranges. @throws ConfigError naming the bad setting. */
export function resolveRetrievalSettings(s: Partial<RetrievalSettings> = {}): RetrievalSettings {
  const r: RetrievalSettings = {
    ...DEFAULT_RETRIEVAL,
    ...s,
    bm25: { ...DEFAULT_BM25, ...s.bm25 },
    splits: [...(s.splits ?? DEFAULT_RETRIEVAL.splits)],
  };
  try {
    checkChunkOptions(r);
  } catch (e) {
    throw new ConfigError(`retrieval: ${(e as Error).message}`);
  }
  if (!(r.bm25.k1 >= 0)) throw new ConfigError(`retrieval: bm25.k1 must be >= 0 (got ${r.bm25.k1})`);
  if (!(r.bm25.b >= 0 && r.bm25.b <= 1)) throw new ConfigError(`retrieval: bm25.b must be in [0, 1] (got ${r.bm25.b})`);
  if (!(r.rrfK > 0)) throw new ConfigError(`retrieval: rrfK must be > 0 (got ${r.rrfK})`);
  if (!(Number.isInteger(r.candidates) && r.candidates >= 1))
    throw new ConfigError(`retrieval: candidates must be an integer >= 1 (got ${r.candidates})`);
  if (r.splits.length === 0) throw new ConfigError("retrieval: splits must name at least one corpus split");
  return r;
}

/** Word -> token count with the encoder's tokenizer when it has one (MiniLM: WordPiece without [CLS]/[SEP]). */
function tokenCounter(embedder: TextEmbedder | undefined): { id: string; count: (word: string) => number } {
  if (embedder instanceof MiniLmSentenceEmbedder) {
    const cache = new Map<string, number>();
    return {
      id: `wordpiece:${embedder.modelId}`,
      count: (w) => {
        let n = cache.get(w);
        if (n === undefined) {
          n = Math.max(1, embedder.tokenize(w).length - 2);
          cache.set(w, n);
        }
        return n;
      },
    };
  }
  return { id: "whitespace-words", count: () => 1 };
}

/** A built or reopened index (see the module doc). Implements {@link Retriever}. */
export class RetrievalIndex implements Retriever {
  /** Content hash of corpus + settings + encoder (hex sha256); empty for in-memory indexes without a corpus. */
  readonly hash: string;
  readonly settings: RetrievalSettings;
  readonly documents: readonly ChunkDocument[];
  readonly counts: ChunkCounts;
  /** True when this call built the index, false when it was read from disk. */
  readonly built: boolean;
  readonly #byId: Map<string, number>;
  readonly #bm25: Bm25Index;
  readonly #vectors: DenseMatrix | null;
  readonly #embedder: TextEmbedder | undefined;
  #ownsEmbedder = false;

  private constructor(o: {
    hash: string;
    settings: RetrievalSettings;
    documents: ChunkDocument[];
    counts: ChunkCounts;
    built: boolean;
    bm25: Bm25Index;
    vectors: DenseMatrix | null;
    embedder: TextEmbedder | undefined;
  }) {
    this.hash = o.hash;
    this.settings = o.settings;
    this.documents = o.documents;
    this.counts = o.counts;
    this.built = o.built;
    this.#bm25 = o.bm25;
    this.#vectors = o.vectors;
    this.#embedder = o.embedder;
    this.#byId = new Map(o.documents.map((d, i) => [d.id, i]));
  }

  /**
   * An in-memory index over ready documents (tests, the bench, callers with their own chunks).
   * @throws ConfigError when dense is on without an embedder or vectors; RangeError with < 3 documents.
   */
  static async fromDocuments(documents: ChunkDocument[], o: FromDocumentsOptions = {}): Promise<RetrievalIndex> {
    const settings = resolveRetrievalSettings(o.settings);
    const counts: ChunkCounts = {
      threads: new Set(documents.map((d) => d.source.threadId)).size,
      comments: documents.reduce((n, d) => n + d.source.commentIds.length, 0),
      emptyComments: 0,
      splitComments: 0,
      documents: documents.length,
    };
    return RetrievalIndex.#build(documents, counts, settings, "", o);
  }

  static async #build(
    documents: ChunkDocument[],
    counts: ChunkCounts,
    settings: RetrievalSettings,
    hash: string,
    o: FromDocumentsOptions,
  ): Promise<RetrievalIndex> {
    const bm25 = Bm25Index.build(documents, settings.bm25);
    let vectors: DenseMatrix | null = null;
    if (settings.dense) {
      if (o.vectors) {
        if (o.vectors.rows !== documents.length)
          throw new RangeError(`retrieval: ${o.vectors.rows} vectors for ${documents.length} documents`);
        vectors = o.vectors;
      } else {
        if (!o.embedder)
          throw new ConfigError("retrieval: dense search needs a sentence encoder (or settings.dense: false)");
        const all: number[][] = [];
        const batch = 64;
        for (let s = 0; s < documents.length; s += batch) {
          o.signal?.throwIfAborted();
          all.push(
            ...(await o.embedder.embed(
              documents.slice(s, s + batch).map((d) => d.text),
              o.signal,
            )),
          );
          o.onProgress?.(Math.min(documents.length, s + batch), documents.length);
        }
        vectors = DenseMatrix.fromVectors(all, all[0]?.length ?? 1);
      }
    }
    return new RetrievalIndex({ hash, settings, documents, counts, built: true, bm25, vectors, embedder: o.embedder });
  }

  /** The document with this id, or undefined. */
  get(id: string): ChunkDocument | undefined {
    const i = this.#byId.get(id);
    return i === undefined ? undefined : this.documents[i];
  }

  /** True when the index has dense vectors (modes "dense" and "hybrid" work). */
  get hasDense(): boolean {
    return this.#vectors !== null;
  }

  async search(query: string, opts: SearchOptions): Promise<RetrievedDocument[]> {
    const k = Math.max(1, Math.floor(opts.k));
    const mode = opts.mode ?? (this.hasDense ? "hybrid" : "bm25");
    if (mode === "bm25") return this.#bm25Ranked(query, k).map((h) => this.#hit(h.id, h.score));
    if (!this.#vectors || !this.#embedder)
      throw new ConfigError(`retrieval: mode "${mode}" needs dense vectors; this index was built with dense: false`);
    if (mode === "dense") return (await this.#denseRanked(query, k)).map((h) => this.#hit(h.id, h.score));
    const n = Math.max(k, this.settings.candidates);
    const [lexical, dense] = [this.#bm25Ranked(query, n), await this.#denseRanked(query, n)];
    return reciprocalRankFusion([lexical.map((h) => h.id), dense.map((h) => h.id)], this.settings.rrfK)
      .slice(0, k)
      .map((h) => this.#hit(h.id, h.score));
  }

  #bm25Ranked(query: string, n: number) {
    return this.#bm25.search(query, n);
  }

  async #denseRanked(query: string, n: number): Promise<Array<{ id: string; score: number }>> {
    const [q] = await this.#embedder!.embed([query]);
    return this.#vectors!.search(q!, n).map((h) => ({ id: this.documents[h.row]!.id, score: h.score }));
  }

  #hit(id: string, score: number): RetrievedDocument {
    const d = this.get(id)!;
    return {
      id: d.id,
      text: d.text,
      title: d.title,
      score,
      source: { threadId: d.source.threadId, commentIds: [...d.source.commentIds] },
    };
  }

  /** Writes the index into `dir` (manifest.json, documents.jsonl, bm25.json, vectors.f32). */
  async #save(dir: string, manifest: Manifest): Promise<void> {
    await writeFile(join(dir, "documents.jsonl"), this.documents.map((d) => `${JSON.stringify(d)}\n`).join(""));
    await writeFile(join(dir, "bm25.json"), this.#bm25.toJSON());
    if (this.#vectors) {
      const v = this.#vectors.data;
      await writeFile(join(dir, "vectors.f32"), Buffer.from(v.buffer, v.byteOffset, v.byteLength));
    }
    await writeFile(join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  }

  /**
   * Builds (or reopens) the index of a corpus folder; see {@link openRetrievalIndex}.
   * @internal
   */
  static async open(o: OpenRetrievalOptions): Promise<RetrievalIndex> {
    const settings = resolveRetrievalSettings(o.settings);
    const env = o.env ?? process.env;
    const corpus: Record<string, string> = {};
    const files: string[] = [];
    for (const split of settings.splits) {
      const file = join(o.corpusDir, "splits", `${split}.jsonl`);
      if (!existsSync(file))
        throw new ConfigError(`retrieval: ${file} not found; run the corpus stage first (or fix retrieval.splits)`);
      corpus[split] = await fileSha256(file);
      files.push(file);
    }
    const ownsEmbedder = settings.dense && !o.embedder;
    const embedder = ownsEmbedder
      ? await MiniLmSentenceEmbedder.create({ modelDir: defaultMiniLmDir(env) })
      : o.embedder;
    const tokens = tokenCounter(embedder);
    const encoder = settings.dense ? (embedder?.modelId ?? null) : null;
    const hash = createHash("sha256")
      .update(
        JSON.stringify({ v: INDEX_VERSION, settings, corpus, encoder, tokenizer: tokens.id, analyzer: ANALYZER_ID }),
      )
      .digest("hex");
    const indexDir = o.indexDir ?? join(dirname(o.corpusDir), "retrieval");
    const dir = join(indexDir, hash.slice(0, 16));
    if (existsSync(join(dir, "manifest.json"))) {
      const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as Manifest;
      if (manifest.hash === hash) {
        const documents = (await readFile(join(dir, "documents.jsonl"), "utf8"))
          .split("\n")
          .filter((l) => l !== "")
          .map((l) => JSON.parse(l) as ChunkDocument);
        const bm25 = Bm25Index.fromJSON(await readFile(join(dir, "bm25.json"), "utf8"));
        let vectors: DenseMatrix | null = null;
        if (manifest.dim !== null) {
          const buf = await readFile(join(dir, "vectors.f32"));
          const copy = new Float32Array(buf.byteLength / 4);
          new Uint8Array(copy.buffer).set(buf);
          vectors = new DenseMatrix(copy, manifest.dim);
        }
        const reopened = new RetrievalIndex({
          hash,
          settings,
          documents,
          counts: manifest.counts,
          built: false,
          bm25,
          vectors,
          embedder,
        });
        reopened.#ownsEmbedder = ownsEmbedder;
        return reopened;
      }
    }
    const threads: Thread[] = [];
    for (const f of files) for await (const t of readThreadsJsonl(f)) threads.push(t);
    const { documents, counts } = chunkThreads(threads, {
      chunkTokens: settings.chunkTokens,
      overlapTokens: settings.overlapTokens,
      countTokens: tokens.count,
    });
    const index = await RetrievalIndex.#build(documents, counts, settings, hash, {
      ...(embedder ? { embedder } : {}),
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    const tmp = `${dir}.partial-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    await index.#save(tmp, {
      kind: "wayfarer-retrieval-index",
      version: INDEX_VERSION,
      hash,
      settings,
      encoder,
      tokenizer: tokens.id,
      analyzer: ANALYZER_ID,
      dim: index.#vectors?.dim ?? null,
      counts,
      corpus,
    });
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    index.#ownsEmbedder = ownsEmbedder;
    return index;
  }

  /** Disposes the encoder if `openRetrievalIndex` created it (one passed in stays the caller's). */
  async dispose(): Promise<void> {
    if (this.#ownsEmbedder) await this.#embedder?.dispose();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}

async function fileSha256(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/**
 * Builds the index of a corpus folder, or reopens it from `indexDir` when the corpus files, the settings and
 * the encoder are unchanged (see the module doc). Returns a {@link Retriever} (a {@link RetrievalIndex}, which
 * also exposes its documents, counts and hash for cards).
 * @throws ConfigError when a split file is missing, a setting is out of range, or the encoder is not installed.
 * @throws InputError (file, line, field) when a split file has a line that is not a thread.
 * @throws RangeError when the corpus yields fewer than 3 documents.
 */
export function openRetrievalIndex(o: OpenRetrievalOptions): Promise<RetrievalIndex> {
  return RetrievalIndex.open(o);
}
