/**
 * chrF (Popović 2015) / chrF++ with exact parity to sacrebleu 2.5.1 `CHRF`
 * (`sacrebleu/metrics/chrf.py`): character n-grams of orders 1..charOrder (default 6) over the
 * text with all whitespace removed (Python whitespace, code points), optional word n-grams
 * (default 0 = chrF), beta 2, precision/recall averaged over the *effective* orders (orders where
 * both hypothesis and reference have n-grams; sacrebleu's default `eps_smoothing=False`), then
 * F-beta, scale 0-100. With several references the one with the best segment F wins.
 * Corpus chrF sums the segment statistics before computing F.
 *
 * Empty hypothesis or reference: no effective order -> 0 (as sacrebleu).
 */
import { type EvaluationInput, type EvaluationResult, type EvaluatorDescriptor, ZERO_COST } from "../types.ts";
import { SACREBLEU_VERSION } from "./bleu.ts";
import { isPyWhitespace, pySplit } from "./support/python-text.ts";

export interface ChrfOptions {
  /** Character n-gram order, integer >= 1. Default 6. */
  charOrder?: number;
  /** Word n-gram order, integer >= 0; 2 gives chrF++. Default 0. */
  wordOrder?: number;
  /** Recall weight beta > 0. Default 2. */
  beta?: number;
  /** Lowercase before extracting n-grams (signature `case:lc`). Default false. */
  lowercase?: boolean;
  /** Keep whitespace inside character n-grams (signature `space:yes`). Default false. */
  whitespace?: boolean;
  /** sacrebleu `eps_smoothing` (chrF++.py/NLTK/Moses behaviour): average F over all orders. Default false. */
  epsSmoothing?: boolean;
}

export interface ChrfScore {
  /** 0-100. */
  score: number;
  /** Flat `[hyp, ref, match]` triple per order (char orders first, then word orders). */
  stats: number[];
  signature: string;
}

interface Resolved {
  charOrder: number;
  wordOrder: number;
  beta: number;
  lowercase: boolean;
  whitespace: boolean;
  epsSmoothing: boolean;
}

function resolve(o: ChrfOptions): Resolved {
  const r: Resolved = {
    charOrder: o.charOrder ?? 6,
    wordOrder: o.wordOrder ?? 0,
    beta: o.beta ?? 2,
    lowercase: o.lowercase ?? false,
    whitespace: o.whitespace ?? false,
    epsSmoothing: o.epsSmoothing ?? false,
  };
  if (!Number.isInteger(r.charOrder) || r.charOrder < 1)
    throw new RangeError(`chrF: charOrder must be an integer >= 1, got ${r.charOrder}`);
  if (!Number.isInteger(r.wordOrder) || r.wordOrder < 0)
    throw new RangeError(`chrF: wordOrder must be an integer >= 0, got ${r.wordOrder}`);
  if (!(r.beta > 0)) throw new RangeError(`chrF: beta must be > 0, got ${r.beta}`);
  return r;
}

const PUNCTS = new Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~");

function removePunctuation(sent: string): string[] {
  const out: string[] = [];
  for (const w of pySplit(sent)) {
    const chars = Array.from(w);
    if (chars.length === 1) out.push(w);
    else if (PUNCTS.has(chars[chars.length - 1]!)) out.push(chars.slice(0, -1).join(""), chars[chars.length - 1]!);
    else if (PUNCTS.has(chars[0]!)) out.push(chars[0]!, chars.slice(1).join(""));
    else out.push(w);
  }
  return out;
}

function countNgrams(units: readonly string[] | string, n: number, joiner: string): Map<string, number> {
  const m = new Map<string, number>();
  const len = units.length;
  for (let i = 0; i + n <= len; i++) {
    const key = typeof units === "string" ? units.slice(i, i + n) : units.slice(i, i + n).join(joiner);
    m.set(key, (m.get(key) ?? 0) + 1);
  }
  return m;
}

function extractWordNgrams(sent: string, r: Resolved): Map<string, number>[] {
  const out: Map<string, number>[] = [];
  if (r.wordOrder > 0) {
    const words = removePunctuation(r.lowercase ? sent.toLowerCase() : sent);
    for (let n = 1; n <= r.wordOrder; n++) out.push(countNgrams(words, n, " "));
  }
  return out;
}

/**
 * Character n-gram statistics without building any n-gram key (exact: ids are compared in full,
 * never packed or truncated, so there is no alphabet limit and no collision).
 *
 * Each call maps the code points of its texts (after lowercasing / Python-whitespace removal, as
 * sacrebleu's `extract_all_char_ngrams`) to dense ids 1..A. For a hypothesis/reference pair, the
 * shorter text ("built") is loaded into a trie of all its substrings of length <= charOrder, with
 * per-node occurrence counts; depth-1 nodes are the character ids themselves, deeper nodes are
 * interned from (parent node, character) in an open-addressing table (depth 2 in a direct
 * (A + 1)^2 table instead when the call's alphabet has at most 255 characters). Building right to left gives
 * every new node its suffix link (the node of the n-gram minus its first character) for free, and
 * that node always has a smaller id. The longer text ("walked") then runs through the trie as an
 * Aho-Corasick automaton: after each character the state is the longest suffix (<= charOrder) of
 * the text read so far that occurs in the built text; its occurrences are counted at that state
 * and pushed down the suffix links afterwards (descending ids), which yields, for every n-gram of
 * the built text, its count in the walked text. sacrebleu's match for order n is then
 * `sum over n-grams of min(hyp count, ref count)`, which is symmetric in the two texts.
 * Work: (charOrder - 1) table inserts per built character, about two lookups per walked one.
 */

/** Code point -> dense id for the current call: BMP via a stamped table, astral planes via a Map. */
const bmpId = new Int32Array(0x10000);
const bmpStamp = new Uint32Array(0x10000);
let stampGen = 0;
const astralId = new Map<number, number>();
let alphabet = 0;

function beginAlphabet(): void {
  stampGen++;
  if (stampGen === 0xffffffff) {
    bmpStamp.fill(0);
    stampGen = 1;
  }
  astralId.clear();
  alphabet = 0;
}

/** Per BMP code unit: 0 for Python whitespace (`str.split()`), else 1; and all-ones for `space:yes`. */
const KEEP_NON_WS = new Uint8Array(0x10000).fill(1);
for (let c = 0; c < 0x10000; c++) if (isPyWhitespace(c)) KEEP_NON_WS[c] = 0;
const KEEP_ALL = new Uint8Array(0x10000).fill(1);

/** Character ids of the current texts (hypothesis first, then the current reference). */
let seq = new Int32Array(1 << 14);

/**
 * Writes the chrF characters of `sent` (as sacrebleu: optionally lowercased, Python whitespace
 * removed unless `whitespace`, one unit per code point) as ids into `seq` from `at`. Returns their
 * number. A surrogate that is not half of a well-formed pair is one character on its own (Python
 * sees it as one code point).
 */
function writeIds(sent: string, r: Resolved, at: number): number {
  const line = r.lowercase ? sent.toLowerCase() : sent;
  const len = line.length;
  if (seq.length < at + len + 1) {
    const bigger = new Int32Array(Math.max(at + len + 1, 2 * seq.length));
    bigger.set(seq);
    seq = bigger;
  }
  const out = seq;
  // Kept characters advance the write position by 1, Python whitespace by 0 (no branch on it).
  const keep = r.whitespace ? KEEP_ALL : KEEP_NON_WS;
  const gen = stampGen;
  let k = at;
  for (let i = 0; i < len; i++) {
    const c = line.charCodeAt(i);
    if ((c & 0xfc00) === 0xd800 && i + 1 < len) {
      const lo = line.charCodeAt(i + 1);
      if ((lo & 0xfc00) === 0xdc00) {
        const cp = ((c - 0xd800) << 10) + (lo - 0xdc00) + 0x10000;
        i++;
        let id = astralId.get(cp);
        if (id === undefined) {
          id = ++alphabet;
          astralId.set(cp, id);
        }
        out[k++] = id;
        continue;
      }
    }
    let id: number;
    if (bmpStamp[c] === gen) id = bmpId[c]!;
    else {
      // Whitespace gets an id too (never written when removed): harmless, and keeps this branch-free.
      id = ++alphabet;
      bmpStamp[c] = gen;
      bmpId[c] = id;
    }
    out[k] = id;
    k += keep[c]!;
  }
  return k - at;
}

// Trie of the built text. Node ids: 1..A are the depth-1 nodes (= character ids); deeper nodes
// are numbered from A + 1 in creation order. Per node: suffix link, depth, built count, walked count.
let nodeFail = new Int32Array(1 << 14);
let nodeDepth = new Int32Array(1 << 14);
let builtCnt = new Int32Array(1 << 14);
let walkCnt = new Int32Array(1 << 14);
let nodeCount = 0;
let firstDeep = 1;
// Open-addressing table (parent, char) -> node, 4 ints per slot: stamp, parent, char, node.
let slots = new Int32Array(4 << 14);
let slotMask = (1 << 14) - 1;
let slotShift = 32 - 14;
let slotGen = 0;
/**
 * Depth-2 nodes by (first char, second char) in a direct table when the alphabet is small
 * ((A + 1)^2 <= BIGRAM_LIMIT); `bigramStamp` marks the entries of the current build.
 */
const BIGRAM_LIMIT = 1 << 16;
const bigramNode = new Int32Array(BIGRAM_LIMIT);
const bigramStamp = new Uint32Array(BIGRAM_LIMIT);
let bigramGen = 0;
/** Row stride of the bigram table for the current build, or 0 when depth 2 is in the hash table. */
let bigramStride = 0;
let pathA = new Int32Array(8);
let pathB = new Int32Array(8);

function ensureNodes(n: number): void {
  if (nodeFail.length >= n) return;
  let cap = nodeFail.length;
  while (cap < n) cap *= 2;
  nodeFail = new Int32Array(cap);
  nodeDepth = new Int32Array(cap);
  builtCnt = new Int32Array(cap);
  walkCnt = new Int32Array(cap);
}

/** Loads `seq[start..start+len)` into the trie (orders 1..K). */
function buildTrie(start: number, len: number, K: number): void {
  const A = alphabet;
  const maxNodes = A + 1 + (K - 1) * len;
  ensureNodes(maxNodes);
  // Table at most half full.
  let bits = 14;
  while (2 ** bits < 2 * (K - 1) * len) bits++;
  if (slots.length < 4 * 2 ** bits) {
    slots = new Int32Array(4 * 2 ** bits);
    slotGen = 0;
  }
  slotMask = (1 << bits) - 1;
  slotShift = 32 - bits;
  slotGen++;
  if (slotGen === 0x7fffffff) {
    slots.fill(0);
    slotGen = 1;
  }
  const gen = slotGen;
  const mask = slotMask;
  const shift = slotShift;
  const tab = slots;
  const stride = (A + 1) * (A + 1) <= BIGRAM_LIMIT ? A + 1 : 0;
  bigramStride = stride;
  bigramGen++;
  if (bigramGen === 0xffffffff) {
    bigramStamp.fill(0);
    bigramGen = 1;
  }
  const bgen = bigramGen;
  const fail = nodeFail;
  const depth = nodeDepth;
  const cnt = builtCnt;
  cnt.fill(0, 0, A + 1);
  for (let c = 1; c <= A; c++) {
    fail[c] = 0;
    depth[c] = 1;
  }
  if (pathA.length < K + 1) {
    pathA = new Int32Array(K + 1);
    pathB = new Int32Array(K + 1);
  }
  let prev = pathA; // prev[k]: node of s[i+1..i+1+k)
  let cur = pathB;
  let next = A + 1;
  const s = seq;
  for (let i = len - 1; i >= 0; i--) {
    const c = s[start + i]!;
    cnt[c]!++;
    cur[1] = c;
    let u = c;
    const top = Math.min(K, len - i);
    let k0 = 2;
    if (stride !== 0 && top >= 2) {
      const b = s[start + i + 1]!;
      const e = c * stride + b;
      let v: number;
      if (bigramStamp[e] === bgen) v = bigramNode[e]!;
      else {
        v = next++;
        bigramStamp[e] = bgen;
        bigramNode[e] = v;
        fail[v] = prev[1]!;
        depth[v] = 2;
        cnt[v] = 0;
      }
      cnt[v]!++;
      cur[2] = v;
      u = v;
      k0 = 3;
    }
    for (let k = k0; k <= top; k++) {
      const b = s[start + i + k - 1]!;
      let slot = (Math.imul(u, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77)) >>> shift;
      let v = 0;
      for (;;) {
        const o = slot << 2;
        if (tab[o] !== gen) {
          v = next++;
          tab[o] = gen;
          tab[o + 1] = u;
          tab[o + 2] = b;
          tab[o + 3] = v;
          fail[v] = prev[k - 1]!;
          depth[v] = k;
          cnt[v] = 0;
          break;
        }
        if (tab[o + 1] === u && tab[o + 2] === b) {
          v = tab[o + 3]!;
          break;
        }
        slot = (slot + 1) & mask;
      }
      cnt[v]!++;
      cur[k] = v;
      u = v;
    }
    const t = prev;
    prev = cur;
    cur = t;
  }
  nodeCount = next;
  firstDeep = A + 1;
}

/** Counts, for every node of the trie, the occurrences of its n-gram in `seq[start..start+len)`. */
function walkText(start: number, len: number, K: number): void {
  const n = nodeCount;
  const cnt = walkCnt;
  cnt.fill(0, 0, n);
  const built = builtCnt;
  const fail = nodeFail;
  const tab = slots;
  const gen = slotGen;
  const mask = slotMask;
  const shift = slotShift;
  const A1 = firstDeep;
  const stride = bigramStride;
  const bgen = bigramGen;
  const s = seq;
  let u = 0;
  let d = 0;
  for (let i = 0; i < len; i++) {
    const c = s[start + i]!;
    for (;;) {
      if (u === 0) {
        // Characters of the walked text the built text lacks have ids >= A1 or a zero count.
        if (c < A1 && built[c]! > 0) {
          u = c;
          d = 1;
        }
        break;
      }
      if (d === 1 && stride !== 0) {
        if (d < K && c < A1) {
          const e = u * stride + c;
          if (bigramStamp[e] === bgen) {
            u = bigramNode[e]!;
            d = 2;
            break;
          }
        }
      } else if (d < K) {
        let slot = (Math.imul(u, 0x9e3779b1) ^ Math.imul(c, 0x85ebca77)) >>> shift;
        let v = 0;
        for (;;) {
          const o = slot << 2;
          if (tab[o] !== gen) break;
          if (tab[o + 1] === u && tab[o + 2] === c) {
            v = tab[o + 3]!;
            break;
          }
          slot = (slot + 1) & mask;
        }
        if (v !== 0) {
          u = v;
          d++;
          break;
        }
      }
      u = fail[u]!;
      d--;
    }
    cnt[u]!++;
  }
  // Push counts down the suffix links (a node's link has a smaller id; depth-1 links are the root).
  for (let v = n - 1; v >= A1; v--) cnt[fail[v]!]! += cnt[v]!;
}

/**
 * `[hyp, ref, match]` per character order for one reference, as sacrebleu's `_get_match_statistics`.
 * `trieHoldsHyp`: the trie already holds the hypothesis (built for a previous reference).
 */
function charMatchStats(hn: number, rs: number, rn: number, K: number, trieHoldsHyp: boolean, out: number[]): boolean {
  const buildHyp = hn <= rn;
  if (buildHyp) {
    if (!trieHoldsHyp) buildTrie(0, hn, K);
    walkText(rs, rn, K);
  } else {
    buildTrie(rs, rn, K);
    walkText(0, hn, K);
  }
  const match = new Array<number>(K).fill(0);
  const n = nodeCount;
  const a = builtCnt;
  const b = walkCnt;
  const depth = nodeDepth;
  for (let v = 1; v < n; v++) {
    const x = a[v]!;
    const y = b[v]!;
    match[depth[v]! - 1]! += Math.min(x, y);
  }
  for (let k = 0; k < K; k++) {
    const hypCount = Math.max(0, hn - k);
    const refCount = Math.max(0, rn - k);
    // sacrebleu: the hypothesis count is reported as 0 when the reference has no n-gram of this order.
    out.push(refCount > 0 ? hypCount : 0, refCount, match[k]!);
  }
  return buildHyp;
}

function matchStats(hyp: Map<string, number>, ref: Map<string, number>): [number, number, number] {
  let match = 0;
  let hypCount = 0;
  for (const [ng, c] of hyp) {
    hypCount += c;
    const rc = ref.get(ng);
    if (rc !== undefined) match += Math.min(c, rc);
  }
  let refCount = 0;
  for (const c of ref.values()) refCount += c;
  return [ref.size > 0 ? hypCount : 0, refCount, match];
}

/** sacrebleu `CHRF._compute_f_score` (straight port). */
function fScore(stats: readonly number[], r: Resolved): number {
  const eps = 1e-16;
  const order = r.charOrder + r.wordOrder;
  const factor = r.beta ** 2;
  let score = 0.0;
  let effectiveOrder = 0;
  let avgPrec = 0.0;
  let avgRec = 0.0;
  for (let i = 0; i < order; i++) {
    const nHyp = stats[3 * i]!;
    const nRef = stats[3 * i + 1]!;
    const nMatch = stats[3 * i + 2]!;
    const prec = nHyp > 0 ? nMatch / nHyp : eps;
    const rec = nRef > 0 ? nMatch / nRef : eps;
    const denom = factor * prec + rec;
    score += denom > 0 ? ((1 + factor) * prec * rec) / denom : eps;
    if (nHyp > 0 && nRef > 0) {
      avgPrec += prec;
      avgRec += rec;
      effectiveOrder += 1;
    }
  }
  if (r.epsSmoothing) return (100 * score) / order;
  if (effectiveOrder === 0) {
    avgPrec = 0.0;
    avgRec = 0.0;
  } else {
    avgPrec /= effectiveOrder;
    avgRec /= effectiveOrder;
  }
  if (avgPrec + avgRec) {
    let s = (1 + factor) * avgPrec * avgRec;
    s /= factor * avgPrec + avgRec;
    return 100 * s;
  }
  return 0.0;
}

function segmentStats(hypothesis: string, references: readonly string[], r: Resolved): number[] {
  beginAlphabet();
  const hn = writeIds(hypothesis, r, 0);
  const rs = hn;
  const hypWords = extractWordNgrams(hypothesis, r);
  let best: number[] = [];
  let bestF = -1.0;
  let trieHoldsHyp = false;
  for (const ref of references) {
    const stats: number[] = [];
    const rn = writeIds(ref, r, rs);
    trieHoldsHyp = charMatchStats(hn, rs, rn, r.charOrder, trieHoldsHyp, stats);
    const refWords = extractWordNgrams(ref, r);
    for (let i = 0; i < hypWords.length; i++) stats.push(...matchStats(hypWords[i]!, refWords[i]!));
    const f = fScore(stats, r);
    if (f > bestF) {
      bestF = f;
      best = stats;
    }
  }
  return best;
}

function signature(nrefs: number | "var", r: Resolved): string {
  return `nrefs:${nrefs}|case:${r.lowercase ? "lc" : "mixed"}|eff:${r.epsSmoothing ? "no" : "yes"}|nc:${r.charOrder}|nw:${r.wordOrder}|space:${r.whitespace ? "yes" : "no"}|version:${SACREBLEU_VERSION}`;
}

/**
 * Sentence chrF, `sacrebleu.sentence_chrf(hypothesis, references)`.
 * @throws RangeError on an empty reference list or invalid options.
 */
export function sentenceChrf(hypothesis: string, references: readonly string[], options: ChrfOptions = {}): ChrfScore {
  const r = resolve(options);
  if (references.length === 0) throw new RangeError("sentenceChrf: at least one reference is required");
  const stats = segmentStats(hypothesis, references, r);
  return { score: fScore(stats, r), stats, signature: signature(references.length, r) };
}

/**
 * Corpus chrF, `sacrebleu.corpus_chrf`: statistics summed over segments, then F.
 * @param references per hypothesis, its references (segment-major).
 * @throws RangeError when lengths differ, the corpus is empty or a segment has no reference.
 */
export function corpusChrf(
  hypotheses: readonly string[],
  references: readonly (readonly string[])[],
  options: ChrfOptions = {},
): ChrfScore {
  const r = resolve(options);
  if (hypotheses.length !== references.length || hypotheses.length === 0) {
    throw new RangeError(
      `corpusChrf: need one reference list per hypothesis (got ${hypotheses.length} and ${references.length})`,
    );
  }
  const order = r.charOrder + r.wordOrder;
  const sum = new Array<number>(3 * order).fill(0);
  const nrefs = new Set<number>();
  hypotheses.forEach((h, i) => {
    const refs = references[i]!;
    if (refs.length === 0) throw new RangeError(`corpusChrf: segment ${i} has no reference`);
    nrefs.add(refs.length);
    const s = segmentStats(h, refs, r);
    for (let k = 0; k < sum.length; k++) sum[k]! += s[k]!;
  });
  return { score: fScore(sum, r), stats: sum, signature: signature(nrefs.size === 1 ? [...nrefs][0]! : "var", r) };
}

export const descriptor = {
  id: "chrf",
  label: "chrF (sacrebleu)",
  needs: ["references"],
  range: [0, 100],
  higherIsBetter: true,
} as const satisfies EvaluatorDescriptor;

/** Scores one answer against its references with sentence chrF (0-100); `not-applicable` without references. */
export function score(input: EvaluationInput, options: ChrfOptions = {}): EvaluationResult {
  const refs = input.references ?? [];
  if (refs.length === 0) {
    return {
      status: "not-applicable",
      value: null,
      reason: "chrF needs at least one reference answer",
      signature: "chrf|sacrebleu",
      cost: ZERO_COST,
    };
  }
  const r = sentenceChrf(input.answer, refs, options);
  return { status: "scored", value: r.score, signature: `chrf|${r.signature}`, cost: ZERO_COST };
}
