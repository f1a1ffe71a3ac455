/**
 * BERTScore (Zhang et al. 2020) with the reference `bert_score` 0.3.13's exact arithmetic, on a local
 * token encoder: all-MiniLM-L6-v2, layer 6 (its last), run by transformers.js (onnxruntime-node, CPU) from
 * the ONNX export that scripts/export_minilm_onnx.py writes into $WAYFARER_HOME/models/all-minilm-l6-v2.
 *
 * What is computed (bert_score.utils.greedy_cos_idf and bert_score.score):
 * - Each text is `str.strip()`-ed and tokenized with special tokens ([CLS] … [SEP]), truncated at the
 *   encoder's limit (512 tokens for MiniLM); the hidden states of the chosen layer are unit-normalised.
 * - Greedy matching by cosine: each candidate token takes its best cosine over ALL reference tokens
 *   ([CLS]/[SEP] included as match targets, as bert_score does), and vice versa.
 * - P = weighted mean over candidate tokens, R = weighted mean over reference tokens, F1 = 2PR/(P+R)
 *   (0 when NaN). Weights: 1 per token and 0 for [CLS]/[SEP] (`idf: false`), or idf weights.
 * - idf (`idf: true`): from a reference set M documents, each counted once per distinct token id:
 *   idf(t) = ln((M + 1) / (df(t) + 1)), unseen tokens ln(M + 1) — bert_score's get_idf_dict, where
 *   [CLS]/[SEP] get ln((M+1)/(M+1)) = 0. Build it once per run with `IdfWeights.fromReferences`.
 * - An empty candidate or reference (only [CLS][SEP] after tokenization) gives P = R = F1 = 0.
 * - Several references: P, R and F1 are each the maximum over the references, separately
 *   (bert_score's `all_preds[beg:end].max(dim=0)`), so F1 need not be the harmonic mean of P and R.
 * - Baseline rescaling (optional): x' = (x − b) / (1 − b) per component, after the max over
 *   references, with b = { precision, recall, f1 } given by the user. bert_score ships no baseline for
 *   MiniLM (its rescale_baseline/ covers the hub models only), so there is no default: compute one
 *   (bert_score's get_rescale_baseline recipe on random pairs) or leave rescaling off.
 *
 * One known difference: bert_score pads a batch and multiplies the cosine matrix by the mask, so
 * padded positions score 0; a token whose best real cosine is negative gets 0 there when its row was
 * padded (depends on batch composition). We use the best real cosine: bert_score scoring the pair on its
 * own (batch_size 1), which is what the parity fixtures record. On their 621 real pairs 67 tokens have a
 * negative best cosine and all P/R/F1 agree within 5e-7; the same pairs scored by bert_score in batches of
 * 64 differ by up to 9e-4 (P of a long answer against a 7-token reference).
 *
 * Tokenization: transformers.js' own truncation drops the final [SEP]; `tokenize` truncates as HF
 * tokenizers do ([CLS] + first 510 pieces + [SEP]); ids equal HF's (the slow BertTokenizer bert_score uses)
 * on all 617 distinct texts of the parity fixtures.
 *
 * Values are not comparable with bert_score's English default (roberta-large, layer 17); the model and
 * layer are in every signature.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { type EvaluationInput, type EvaluationResult, type EvaluatorDescriptor, ZERO_COST } from "../types.ts";
import { defaultMiniLmDir, type LoadedMiniLm, loadMiniLm, type TjsTokenizer } from "./support/minilm.ts";

export { defaultMiniLmDir };

/** Version of this implementation's arithmetic, in every signature. */
export const BERTSCORE_IMPL_VERSION = "1";
/** The reference implementation the parity fixtures come from. */
export const BERT_SCORE_REFERENCE = "bert_score-0.3.13";

/** Token ids and unit-normalised hidden states of one text. */
export interface TokenEmbeddings {
  /** Token ids, special tokens included, truncated at the encoder's limit. */
  readonly ids: readonly number[];
  /** Row-major [ids.length × dim] unit vectors (a zero vector stays zero). */
  readonly vectors: Float32Array;
  readonly dim: number;
}

/** A contextual token encoder (BERT-like: [CLS] … [SEP]). */
export interface TokenEncoder {
  /** Model name, for signatures (e.g. `all-minilm-l6-v2`). */
  readonly modelId: string;
  /** Layer whose hidden states are used. */
  readonly layer: number;
  /** Longest input in tokens, special tokens included; longer texts are truncated. */
  readonly maxTokens: number;
  /** Ids that weigh 0 without idf (bert_score: the [CLS] and [SEP] ids). */
  readonly specialIds: ReadonlySet<number>;
  /** Token ids of each text (after Python-style strip), special tokens included, truncated. */
  tokenize(texts: readonly string[]): number[][];
  /** Token embeddings of each text, in order. */
  encode(texts: readonly string[], signal?: AbortSignal): Promise<TokenEmbeddings[]>;
  dispose(): Promise<void>;
}

// Python's str.isspace() set (str.strip() with no argument); differs from JS trim on \x1c-\x1f, \x85, \ufeff.
const PY_WS = "\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const PY_STRIP = new RegExp(`^[${PY_WS}]+|[${PY_WS}]+$`, "gu");

/** Python `str.strip()` (bert_score strips every sentence before encoding). */
export function pyStrip(text: string): string {
  return text.replace(PY_STRIP, "");
}

// ---- idf -------------------------------------------------------------------------------------------

/** idf weights from a reference set, as bert_score.utils.get_idf_dict computes them. */
export class IdfWeights {
  readonly numDocs: number;
  readonly #idf: Map<number, number>;
  readonly #unseen: number;
  /** Short hash of the table (numDocs + sorted document frequencies), for signatures. */
  readonly fingerprint: string;

  private constructor(numDocs: number, df: Map<number, number>) {
    this.numDocs = numDocs;
    this.#unseen = Math.log(numDocs + 1);
    this.#idf = new Map([...df].map(([id, c]) => [id, Math.log((numDocs + 1) / (c + 1))]));
    const h = createHash("sha256").update(`docs:${numDocs}`);
    for (const [id, c] of [...df].sort((a, b) => a[0] - b[0])) h.update(`|${id}:${c}`);
    this.fingerprint = h.digest("hex").slice(0, 12);
  }

  /** From token-id lists (one per reference document, special tokens included). */
  static fromTokenIds(docs: readonly (readonly number[])[]): IdfWeights {
    const df = new Map<number, number>();
    for (const doc of docs) for (const id of new Set(doc)) df.set(id, (df.get(id) ?? 0) + 1);
    return new IdfWeights(docs.length, df);
  }

  /**
   * From the run's references, every reference of every item in order (duplicates count, as bert_score
   * counts its flattened `refs` list).
   */
  static fromReferences(encoder: TokenEncoder, references: readonly string[]): IdfWeights {
    return IdfWeights.fromTokenIds(encoder.tokenize(references));
  }

  weight(id: number): number {
    return this.#idf.get(id) ?? this.#unseen;
  }
}

// ---- the arithmetic --------------------------------------------------------------------------------

export interface Prf {
  precision: number;
  recall: number;
  f1: number;
}

/** Baseline values for rescaling, one per component (bert_score's P, R, F columns). */
export type Baseline = Prf;

export function tokenWeights(
  ids: readonly number[],
  encoder: Pick<TokenEncoder, "specialIds">,
  idf?: IdfWeights,
): number[] {
  // bert_score: idf=False -> defaultdict(1.0) with [SEP] and [CLS] set to 0; idf=True -> the idf dict as is.
  return ids.map((id) => (idf ? idf.weight(id) : encoder.specialIds.has(id) ? 0 : 1));
}

/** Best cosine of each candidate token over the reference tokens, and of each reference token over the candidate's. */
export interface BestCosines {
  forCand: Float64Array;
  forRef: Float64Array;
}

/** The greedy-matching step (cosine matrix, row and column maxima); independent of the weights. */
export function bestCosines(cand: TokenEmbeddings, ref: TokenEmbeddings): BestCosines {
  if (cand.dim !== ref.dim) throw new RangeError(`bertscore: dimensions differ (${cand.dim} vs ${ref.dim})`);
  const n = cand.ids.length;
  const m = ref.ids.length;
  const d = cand.dim;
  const cv = cand.vectors;
  const rv = ref.vectors;
  const forCand = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
  const forRef = new Float64Array(m).fill(Number.NEGATIVE_INFINITY);
  // Four reference tokens at a time (each candidate value loaded once): about twice as fast in V8. Every dot
  // product still sums k = 0..d-1 in order, so the values are bit-identical to the one-at-a-time loop.
  for (let i = 0; i < n; i++) {
    const io = i * d;
    let bi = Number.NEGATIVE_INFINITY;
    let j = 0;
    for (; j + 4 <= m; j += 4) {
      const j0 = j * d;
      const j1 = j0 + d;
      const j2 = j1 + d;
      const j3 = j2 + d;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      for (let k = 0; k < d; k++) {
        const c = cv[io + k]!;
        a0 += c * rv[j0 + k]!;
        a1 += c * rv[j1 + k]!;
        a2 += c * rv[j2 + k]!;
        a3 += c * rv[j3 + k]!;
      }
      if (a0 > bi) bi = a0;
      if (a0 > forRef[j]!) forRef[j] = a0;
      if (a1 > bi) bi = a1;
      if (a1 > forRef[j + 1]!) forRef[j + 1] = a1;
      if (a2 > bi) bi = a2;
      if (a2 > forRef[j + 2]!) forRef[j + 2] = a2;
      if (a3 > bi) bi = a3;
      if (a3 > forRef[j + 3]!) forRef[j + 3] = a3;
    }
    for (; j < m; j++) {
      const jo = j * d;
      let dot = 0;
      for (let k = 0; k < d; k++) dot += cv[io + k]! * rv[jo + k]!;
      if (dot > bi) bi = dot;
      if (dot > forRef[j]!) forRef[j] = dot;
    }
    forCand[i] = bi;
  }
  return { forCand, forRef };
}

function weightedMean(best: Float64Array, w: readonly number[]): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < best.length; i++) {
    num += best[i]! * w[i]!;
    den += w[i]!;
  }
  return num / den;
}

/**
 * P, R, F1 from the best cosines and the token weights (see `tokenWeights`). P or R is NaN when all its
 * weights are 0 (bert_score's NaN); F1 is then 0. A text of only [CLS][SEP] gives P = R = F1 = 0.
 */
export function prfFromBest(best: BestCosines, candWeights: readonly number[], refWeights: readonly number[]): Prf {
  // bert_score: a text of only [CLS][SEP] (mask sum 2) gets P = R = 0 (and F1 = 0).
  if (best.forCand.length <= 2 || best.forRef.length <= 2) return { precision: 0, recall: 0, f1: 0 };
  const precision = weightedMean(best.forCand, candWeights);
  const recall = weightedMean(best.forRef, refWeights);
  const f = (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1: Number.isNaN(f) ? 0 : f };
}

/** Greedy-matching BERTScore of one candidate against one reference (bert_score.utils.greedy_cos_idf). */
export function greedyMatch(
  cand: TokenEmbeddings,
  ref: TokenEmbeddings,
  candWeights: readonly number[],
  refWeights: readonly number[],
): Prf {
  if (cand.ids.length <= 2 || ref.ids.length <= 2) return { precision: 0, recall: 0, f1: 0 };
  return prfFromBest(bestCosines(cand, ref), candWeights, refWeights);
}

/** (x − b) / (1 − b) per component (bert_score's rescale_with_baseline). */
export function rescale(x: Prf, b: Baseline): Prf {
  return {
    precision: (x.precision - b.precision) / (1 - b.precision),
    recall: (x.recall - b.recall) / (1 - b.recall),
    f1: (x.f1 - b.f1) / (1 - b.f1),
  };
}

/** BERTScore of a candidate against each reference; component-wise max over references; then rescaled. */
export function bertScoreFromEmbeddings(
  cand: TokenEmbeddings,
  refs: readonly TokenEmbeddings[],
  encoder: Pick<TokenEncoder, "specialIds">,
  options: { idf?: IdfWeights; baseline?: Baseline } = {},
): Prf {
  if (refs.length === 0) throw new RangeError("bertscore: needs at least one reference");
  const cw = tokenWeights(cand.ids, encoder, options.idf);
  const best: Prf = {
    precision: Number.NEGATIVE_INFINITY,
    recall: Number.NEGATIVE_INFINITY,
    f1: Number.NEGATIVE_INFINITY,
  };
  for (const ref of refs) {
    const s = greedyMatch(cand, ref, cw, tokenWeights(ref.ids, encoder, options.idf));
    // torch.max propagates NaN; Math.max does too.
    best.precision = Math.max(best.precision, s.precision);
    best.recall = Math.max(best.recall, s.recall);
    best.f1 = Math.max(best.f1, s.f1);
  }
  return options.baseline ? rescale(best, options.baseline) : best;
}

// ---- the encoder (transformers.js + onnxruntime-node) ----------------------------------------------

export interface TransformersTokenEncoderOptions {
  /** Folder with config.json, tokenizer.json, tokenizer_config.json and onnx/model.onnx. Default `defaultMiniLmDir()`. */
  modelDir?: string;
  /** Layer the ONNX export returns (scripts/export_minilm_onnx.py: 6). Recorded in signatures. Default 6. */
  layer?: number;
  /** onnxruntime intra-op threads. Default 1. */
  threads?: number;
  /** Texts per forward pass. Default 8. */
  batchSize?: number;
  /** Texts whose embeddings are kept (references recur across items). Default 1024. */
  cacheSize?: number;
}

/**
 * `TokenEncoder` over transformers.js (the tokenizer and model of its feature-extraction pipeline, fp32,
 * CPU). Loads offline only (`env.allowRemoteModels = false`, a process-wide transformers.js setting).
 * Calls are serialised.
 */
export class TransformersTokenEncoder implements TokenEncoder {
  readonly modelId: string;
  readonly layer: number;
  readonly maxTokens: number;
  readonly specialIds: ReadonlySet<number>;
  readonly #tokenizer: TjsTokenizer;
  readonly #model: LoadedMiniLm;
  readonly #batchSize: number;
  readonly #cacheSize: number;
  readonly #cache = new Map<string, TokenEmbeddings>();
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(model: LoadedMiniLm, o: TransformersTokenEncoderOptions) {
    const tokenizer = model.tokenizer;
    this.#tokenizer = tokenizer;
    this.#model = model;
    this.modelId = model.name;
    this.layer = o.layer ?? 6;
    const maxLen = Number(tokenizer.model_max_length);
    this.maxTokens = Number.isFinite(maxLen) && maxLen > 0 && maxLen < 1e6 ? maxLen : 512;
    // bert_score zeroes the [CLS] and [SEP] ids: what an empty text encodes to.
    const empty = this.tokenize([""])[0]!;
    if (empty.length !== 2)
      throw new Error(`bertscore encoder: expected [CLS] [SEP] for an empty text, got ids ${JSON.stringify(empty)}`);
    this.specialIds = new Set(empty);
    this.#batchSize = o.batchSize ?? 8;
    this.#cacheSize = o.cacheSize ?? 1024;
  }

  /**
   * Loads the tokenizer and ONNX model from `modelDir`.
   * @throws Error naming the folder and the setup step when files are missing.
   */
  static async create(options: TransformersTokenEncoderOptions = {}): Promise<TransformersTokenEncoder> {
    return new TransformersTokenEncoder(await loadMiniLm(options.modelDir, options.threads ?? 1), options);
  }

  /**
   * Python-style strip, tokenize with special tokens, truncate keeping the final [SEP]: what HF tokenizers'
   * `encode(..., max_length, truncation=True)` gives (transformers.js' own truncation cuts the [SEP] off).
   */
  tokenize(texts: readonly string[]): number[][] {
    return texts.map((t) => {
      const ids = this.#tokenizer.encode(pyStrip(t), { add_special_tokens: true });
      return ids.length <= this.maxTokens ? ids : [...ids.slice(0, this.maxTokens - 1), ids[ids.length - 1]!];
    });
  }

  encode(texts: readonly string[], signal?: AbortSignal): Promise<TokenEmbeddings[]> {
    const run = this.#queue.then(() => this.#encodeNow(texts, signal));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #encodeNow(texts: readonly string[], signal?: AbortSignal): Promise<TokenEmbeddings[]> {
    const todo = [...new Set(texts.filter((t) => !this.#cache.has(t)))];
    // Sort by length so a batch pads little (padding does not change real tokens' states).
    todo.sort((a, b) => b.length - a.length);
    const fresh = new Map<string, TokenEmbeddings>();
    for (let s = 0; s < todo.length; s += this.#batchSize) {
      signal?.throwIfAborted();
      const batch = todo.slice(s, s + this.#batchSize);
      const ids = this.tokenize(batch);
      const { data, seq, dim } = await this.#model.forward(ids);
      batch.forEach((text, b) => {
        const len = ids[b]!.length;
        const vectors = new Float32Array(len * dim);
        for (let t = 0; t < len; t++) {
          const src = (b * seq + t) * dim;
          let norm = 0;
          for (let k = 0; k < dim; k++) norm += data[src + k]! * data[src + k]!;
          const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
          for (let k = 0; k < dim; k++) vectors[t * dim + k] = data[src + k]! * inv;
        }
        fresh.set(text, { ids: ids[b]!, vectors, dim });
      });
    }
    const result = texts.map((t) => fresh.get(t) ?? this.#cache.get(t)!);
    for (const [t, e] of fresh) {
      if (this.#cache.size >= this.#cacheSize) this.#cache.delete(this.#cache.keys().next().value!);
      this.#cache.set(t, e);
    }
    return result;
  }

  async dispose(): Promise<void> {
    await this.#queue.catch(() => undefined);
    this.#cache.clear();
    await this.#model.dispose();
  }
}

// ---- the evaluator ---------------------------------------------------------------------------------

/** What `bertscore` needs in the EvaluatorContext: the encoder, and idf weights when `idf: true`. */
export interface BertScoreResources {
  encoder: TokenEncoder;
  /** `IdfWeights.fromReferences(encoder, allReferencesOfTheRun)`; required by `idf: true`. */
  idf?: IdfWeights;
}

export const descriptor = {
  id: "bertscore",
  label: "BERTScore F1 (bert_score parity, local encoder)",
  needs: ["references", "encoder"],
  // Cosines; rescaled values can fall outside.
  range: [-1, 1],
  higherIsBetter: true,
} as const satisfies EvaluatorDescriptor;

const baselineValue = z.number().finite().lt(1);

export const optionsSchema = z.strictObject({
  /** idf weighting from the run's reference set (EvaluatorContext.bertscore.idf). Default false. */
  idf: z.boolean().default(false),
  /** Rescale with these baseline values ((x − b)/(1 − b)). No baseline ships for MiniLM. Default: off. */
  baseline: z.strictObject({ precision: baselineValue, recall: baselineValue, f1: baselineValue }).optional(),
});
export type BertScoreOptions = z.output<typeof optionsSchema>;

/** A problem with the context, or undefined. */
export function contextProblem(res: BertScoreResources | undefined, o: BertScoreOptions): string | undefined {
  if (!res)
    return "needs a token encoder: set EvaluatorContext.bertscore = { encoder: await TransformersTokenEncoder.create() }";
  if (o.idf && !res.idf)
    return "idf: true needs idf weights: set EvaluatorContext.bertscore.idf = IdfWeights.fromReferences(encoder, allReferences)";
  return undefined;
}

export function bertScoreSignature(res: BertScoreResources | undefined, o: BertScoreOptions): string {
  const enc = res?.encoder;
  const idf = o.idf ? (res?.idf ? `yes(docs:${res.idf.numDocs},sha:${res.idf.fingerprint})` : "yes(missing)") : "no";
  const b = o.baseline;
  const rescaleTag = b ? `P=${b.precision},R=${b.recall},F=${b.f1}` : "no";
  return [
    "bertscore",
    `model:${enc?.modelId ?? "none"}`,
    `layer:${enc?.layer ?? "none"}`,
    `idf:${idf}`,
    `rescale:${rescaleTag}`,
    `maxlen:${enc?.maxTokens ?? "none"}`,
    "multi-ref:max",
    `version:${BERTSCORE_IMPL_VERSION}(${BERT_SCORE_REFERENCE})`,
  ].join("|");
}

/**
 * BERTScore F1 of the answer against its references; details carry precision, recall and f1.
 * @returns `not-applicable` without a non-blank reference; `error` when idf weights are all 0 on a side.
 */
export async function score(
  input: EvaluationInput,
  res: BertScoreResources,
  o: BertScoreOptions,
  signal?: AbortSignal,
): Promise<EvaluationResult> {
  const signature = bertScoreSignature(res, o);
  const refs = (input.references ?? []).filter((r) => pyStrip(r) !== "");
  if (refs.length === 0)
    return {
      status: "not-applicable",
      value: null,
      reason: "needs at least one non-blank reference answer",
      signature,
      cost: ZERO_COST,
    };
  const [cand, ...refEmb] = await res.encoder.encode([input.answer, ...refs], signal);
  const s = bertScoreFromEmbeddings(cand!, refEmb, res.encoder, {
    idf: o.idf ? res.idf : undefined,
    baseline: o.baseline,
  });
  if (Number.isNaN(s.precision) || Number.isNaN(s.recall))
    return {
      status: "error",
      value: null,
      reason: "every token weighs 0 under these idf weights (precision or recall undefined)",
      signature,
      cost: ZERO_COST,
    };
  const empty = cand!.ids.length <= 2;
  return {
    status: "scored",
    value: s.f1,
    ...(empty ? { reason: "empty answer: P = R = F1 = 0 before rescaling (as bert_score)" } : {}),
    details: { precision: s.precision, recall: s.recall, f1: s.f1 },
    signature,
    cost: ZERO_COST,
  };
}
