/**
 * Separability report of a preference set, before any training: how easily a trivial rule tells the chosen
 * answer from the rejected one. The seed study's DPO pairs (first vs last quarter of the comment text) reached
 * reward accuracy 1.0 and eval loss 0.0005 — the model learnt where the text was cut, not what travellers
 * prefer. A set that a trivial classifier separates is flagged in its card.
 *
 * Measures (all on answer texts):
 * - length: mean and median of chosen minus rejected length in words; share of pairs where chosen is longer;
 * - lexical overlap: mean Jaccard similarity of the two answers' lowercased word sets;
 * - held-out accuracy (k-fold cross-validation, seeded folds) of four trivial classifiers:
 *   `longer-wins` and `shorter-wins` (no fitting: the longer, or shorter, answer is chosen; equal length counts 1/2),
 *   `bow-logreg` (logistic regression on the difference of binary bag-of-words vectors of chosen and rejected),
 *   `surface-logreg` (logistic regression on the difference of 8 surface features: log word count, log char
 *   count, mean word length, starts with an upper-case letter or digit, starts mid-word (lower-case letter),
 *   ends with . ! ? or a closing quote/bracket after one, ends with a letter or digit, punctuation share).
 *
 * The logistic regressions are our own small implementation (below): a pairwise model has no intercept
 * (swapping chosen and rejected must flip the prediction), so every training pair is x = f(chosen) - f(rejected)
 * with label 1, and we minimise sum_i log(1 + exp(-w.x_i)) + (l2 / 2)|w|^2 (scikit-learn's objective with
 * C = 1/l2) by gradient descent with backtracking line search. ml-logistic-regression 2.0.0, the maintained JS
 * option, fits an intercept, has no L2 penalty and needs dense matrices (a BoW vocabulary of thousands of words).
 */
import type { SeparabilityConfig } from "../config/datasets-recipes.ts";
import { createRng } from "../evaluation/meta/bootstrap.ts";

/** The report written into a preference card. */
export interface SeparabilityReport {
  pairs: number;
  length: { meanWordDiff: number | null; medianWordDiff: number | null; chosenLongerShare: number | null };
  /** Mean Jaccard similarity of the two answers' word sets (0 = no shared word, 1 = same words). */
  lexicalOverlap: number | null;
  classifiers: {
    id: "longer-wins" | "shorter-wins" | "bow-logreg" | "surface-logreg";
    /** Held-out accuracy (k-fold; longer-wins needs no fitting); null with no pairs. */
    accuracy: number | null;
    /** Wilson 95% interval of the accuracy over `pairs` trials. */
    ci95: [number, number] | null;
  }[];
  folds: number;
  flagAccuracy: number;
  /** true when a classifier reaches `flagAccuracy`; null when there are fewer than 10 pairs (too few to tell). */
  triviallySeparable: boolean | null;
  /** The classifiers that reached `flagAccuracy`. */
  flaggedBy: string[];
  method: string;
}

/** One pair's two answer texts. */
export interface TextPair {
  chosen: string;
  rejected: string;
}

const WORD = /[\p{L}\p{N}']+/gu;
const words = (s: string): string[] => s.toLowerCase().match(WORD) ?? [];

/** Seeded PRNG (mulberry32), the one the datasets stage samples with: the project's one implementation. */
export const mulberry32 = createRng;

/** Wilson score interval (95%) of k successes in n trials. */
export function wilson95(k: number, n: number): [number, number] | null {
  if (n === 0) return null;
  const z = 1.959963984540054;
  const p = k / n;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [Math.max(0, c - h), Math.min(1, c + h)];
}

/** Sparse vector: feature index -> value. */
type Sparse = Map<number, number>;

const dot = (w: Float64Array, x: Sparse): number => {
  let s = 0;
  for (const [i, v] of x) s += w[i]! * v;
  return s;
};

/**
 * Fits a no-intercept L2 logistic regression on pairs already turned into difference vectors (all labelled
 * "first is chosen"): minimises sum log(1 + exp(-w.x)) + l2/2 |w|^2. Returns w.
 */
export function fitPairwiseLogreg(xs: readonly Sparse[], dim: number, l2: number, maxIter = 200): Float64Array {
  let w = new Float64Array(dim);
  const loss = (v: Float64Array) => {
    let s = 0;
    for (const x of xs) {
      const m = dot(v, x);
      s += m > 0 ? Math.log1p(Math.exp(-m)) : -m + Math.log1p(Math.exp(m));
    }
    let n2 = 0;
    for (let i = 0; i < dim; i++) n2 += v[i]! * v[i]!;
    return s + (l2 / 2) * n2;
  };
  let f = loss(w);
  let step = 1;
  for (let it = 0; it < maxIter; it++) {
    const g = new Float64Array(dim);
    for (let i = 0; i < dim; i++) g[i] = l2 * w[i]!;
    for (const x of xs) {
      const s = 1 / (1 + Math.exp(dot(w, x))); // sigma(-w.x)
      for (const [i, v] of x) g[i]! -= s * v;
    }
    let gn = 0;
    for (let i = 0; i < dim; i++) gn += g[i]! * g[i]!;
    if (gn < 1e-12) break;
    step = Math.min(1, step * 2);
    for (;;) {
      const next = new Float64Array(dim);
      for (let i = 0; i < dim; i++) next[i] = w[i]! - step * g[i]!;
      const fn = loss(next);
      if (fn <= f - 0.5 * step * gn || step < 1e-10) {
        w = next;
        if (f - fn < 1e-9 * Math.max(1, Math.abs(f))) it = maxIter;
        f = fn;
        break;
      }
      step /= 2;
    }
  }
  return w;
}

/** The 8 surface features of one text (see the module doc), in a fixed order. */
export function surfaceFeatures(text: string): number[] {
  const t = text.trim();
  const ws = t.match(WORD) ?? [];
  const chars = [...t];
  const punct = chars.filter((c) => /[\p{P}\p{S}]/u.test(c)).length;
  return [
    Math.log1p(ws.length),
    Math.log1p(chars.length),
    ws.length ? ws.reduce((s, w) => s + w.length, 0) / ws.length : 0,
    /^[\p{Lu}\p{N}"'“(]/u.test(t) ? 1 : 0,
    /^\p{Ll}/u.test(t) ? 1 : 0,
    /[.!?…]["'”’)\]]*$/u.test(t) ? 1 : 0,
    /[\p{L}\p{N}]$/u.test(t) ? 1 : 0,
    chars.length ? punct / chars.length : 0,
  ];
}

/** Held-out accuracy of a fitted pairwise classifier family by k-fold cross-validation (seeded folds). */
function crossValidate(
  n: number,
  folds: number,
  seed: number,
  fitAndScore: (train: number[], test: number[]) => number[],
): number {
  const order = Array.from({ length: n }, (_, i) => i);
  const rand = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const k = Math.min(folds, n);
  let correct = 0;
  for (let f = 0; f < k; f++) {
    const test = order.filter((_, i) => i % k === f);
    const train = order.filter((_, i) => i % k !== f);
    for (const m of fitAndScore(train, test)) correct += m > 0 ? 1 : m === 0 ? 0.5 : 0;
  }
  return correct / n;
}

/**
 * Computes the separability report of `pairs` (see the module doc). Deterministic for a given `seed`.
 * Cost: O(iterations x pairs x features); about a second for a few thousand pairs.
 */
export function separabilityReport(
  pairs: readonly TextPair[],
  o: SeparabilityConfig & { seed: number },
): SeparabilityReport {
  const n = pairs.length;
  const method =
    "k-fold held-out accuracy of trivial pairwise classifiers (src/datasets/separability.ts); flagged when any reaches flagAccuracy";
  const base = { pairs: n, folds: o.folds, flagAccuracy: o.flagAccuracy, method };
  if (n === 0) {
    return {
      ...base,
      length: { meanWordDiff: null, medianWordDiff: null, chosenLongerShare: null },
      lexicalOverlap: null,
      classifiers: (["longer-wins", "shorter-wins", "bow-logreg", "surface-logreg"] as const).map((id) => ({
        id,
        accuracy: null,
        ci95: null,
      })),
      triviallySeparable: null,
      flaggedBy: [],
    };
  }
  const cw = pairs.map((p) => words(p.chosen));
  const rw = pairs.map((p) => words(p.rejected));
  const diffs = cw.map((c, i) => c.length - rw[i]!.length).sort((a, b) => a - b);
  const median = n % 2 ? diffs[(n - 1) / 2]! : (diffs[n / 2 - 1]! + diffs[n / 2]!) / 2;
  const longer = diffs.reduce((s, d) => s + (d > 0 ? 1 : d === 0 ? 0.5 : 0), 0);
  const jaccard = cw.map((c, i) => {
    const a = new Set(c);
    const b = new Set(rw[i]);
    let inter = 0;
    for (const w of a) if (b.has(w)) inter++;
    const union = a.size + b.size - inter;
    return union === 0 ? 1 : inter / union;
  });

  // bag of words: binary presence, difference chosen - rejected
  const vocab = new Map<string, number>();
  const bow = (ws: string[]): Set<number> => {
    const s = new Set<number>();
    for (const w of ws) {
      let id = vocab.get(w);
      if (id === undefined) {
        id = vocab.size;
        vocab.set(w, id);
      }
      s.add(id);
    }
    return s;
  };
  const bowX: Sparse[] = cw.map((c, i) => {
    const a = bow(c);
    const b = bow(rw[i]!);
    const x: Sparse = new Map();
    for (const id of a) if (!b.has(id)) x.set(id, 1);
    for (const id of b) if (!a.has(id)) x.set(id, -1);
    return x;
  });
  const bowAcc = crossValidate(n, o.folds, o.seed, (train, test) => {
    const w = fitPairwiseLogreg(
      train.map((i) => bowX[i]!),
      vocab.size,
      o.l2,
    );
    return test.map((i) => dot(w, bowX[i]!));
  });

  const sf = pairs.map((p) => {
    const a = surfaceFeatures(p.chosen);
    const b = surfaceFeatures(p.rejected);
    return a.map((v, j) => v - b[j]!);
  });
  const dim = sf[0]!.length;
  const surfAcc = crossValidate(n, o.folds, o.seed, (train, test) => {
    // scale each feature by its spread on the training fold (no centring: the model must stay antisymmetric)
    const scale = Array.from({ length: dim }, (_, j) => {
      const rms = Math.sqrt(train.reduce((s, i) => s + sf[i]![j]! ** 2, 0) / Math.max(1, train.length));
      return rms > 0 ? 1 / rms : 0;
    });
    const toSparse = (i: number): Sparse => new Map(sf[i]!.map((v, j) => [j, v * scale[j]!] as [number, number]));
    const w = fitPairwiseLogreg(train.map(toSparse), dim, o.l2);
    return test.map((i) => dot(w, toSparse(i)));
  });

  const classifiers = (
    [
      ["longer-wins", longer / n],
      ["shorter-wins", 1 - longer / n],
      ["bow-logreg", bowAcc],
      ["surface-logreg", surfAcc],
    ] as const
  ).map(([id, accuracy]) => ({ id, accuracy, ci95: wilson95(accuracy * n, n) }));
  const flaggedBy = classifiers.filter((c) => c.accuracy >= o.flagAccuracy).map((c) => c.id);
  return {
    ...base,
    length: {
      meanWordDiff: diffs.reduce((s, d) => s + d, 0) / n,
      medianWordDiff: median,
      chosenLongerShare: longer / n,
    },
    lexicalOverlap: jaccard.reduce((s, j) => s + j, 0) / n,
    classifiers,
    triviallySeparable: n < 10 ? null : flaggedBy.length > 0,
    flaggedBy,
  };
}
