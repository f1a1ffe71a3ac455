/**
 * MiniLM sentence embeddings: parity with the sentence-transformers recipe (transformers + mean pooling +
 * normalisation, max 256 tokens) from scripts/fixtures/sentence_embeddings.py — per text the first 16
 * components and the component sum, per (model output, golden answer) pair the cosine, within 1e-5. Needs the
 * model cache (scripts/setup.sh) and ../shared/data; skipped with a message when either is missing.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cosine } from "../../../../src/evaluation/metrics/embedding.ts";
import { MiniLmSentenceEmbedder } from "../../../../src/evaluation/metrics/sentence-embedder.ts";
import { defaultMiniLmDir } from "../../../../src/evaluation/metrics/support/minilm.ts";
import { EVALUATORS } from "../../../../src/evaluation/registry.ts";
import { FixtureTexts, HAVE_DATA, readFixture, SKIP_MESSAGE, sha1Prefix, type TextKey } from "./fixture-texts.ts";

const TOL = 1e-5;
const HAVE_MODEL = existsSync(join(defaultMiniLmDir(), "onnx", "model.onnx"));
if (!HAVE_MODEL) console.warn(`MiniLM ONNX export not found in ${defaultMiniLmDir()}: run scripts/setup.sh; skipped`);
if (!HAVE_DATA) console.warn(SKIP_MESSAGE);

interface Fixture {
  maxTokens: number;
  edgeCases: string[];
  texts: Array<{ key: TextKey | { edge: number }; tokens: number; head: number[]; sum: number }>;
  pairs: Array<{ answer: TextKey; reference: TextKey; cosine: number }>;
}

describe.skipIf(!HAVE_MODEL || !HAVE_DATA)("MiniLM sentence embeddings vs sentence-transformers' recipe", () => {
  const fx = readFixture<Fixture>("sentence-embeddings.json");
  const texts = new FixtureTexts();
  const textOf = (k: TextKey | { edge: number }) => {
    if ("edge" in k) return fx.edgeCases[k.edge]!;
    const t = texts.text(k);
    expect(sha1Prefix(t), `${k.file}:${k.row}:${k.col} changed since the fixture was written`).toBe(k.sha1);
    return t;
  };
  let embedder: MiniLmSentenceEmbedder;
  beforeAll(async () => {
    embedder = await MiniLmSentenceEmbedder.create({ maxTokens: fx.maxTokens });
  }, 60_000);
  afterAll(async () => embedder?.dispose());

  it("every text: token count, first 16 components and the sum of all 384 within 1e-5", async () => {
    const all = fx.texts.map((t) => textOf(t.key));
    const vectors = await embedder.embed(all);
    let maxDiff = 0;
    fx.texts.forEach((t, i) => {
      const v = vectors[i]!;
      expect(v).toHaveLength(384);
      expect(embedder.tokenize(all[i]!)).toHaveLength(t.tokens);
      t.head.forEach((x, k) => {
        maxDiff = Math.max(maxDiff, Math.abs(v[k]! - x));
      });
      maxDiff = Math.max(maxDiff, Math.abs(v.reduce((a, b) => a + b, 0) - t.sum));
    });
    console.log(`sentence embeddings: ${fx.texts.length} texts, max |diff| ${maxDiff.toExponential(2)}`);
    expect(maxDiff).toBeLessThan(TOL);
    expect(fx.texts.at(-1)!.tokens).toBe(256); // the long edge case is truncated at max_seq_length
  }, 120_000);

  it("cosine of each model output to its golden answer within 1e-5; the evaluator returns the same value", async () => {
    let maxDiff = 0;
    for (const p of fx.pairs) {
      const [a, r] = await embedder.embed([textOf(p.answer), textOf(p.reference)]);
      maxDiff = Math.max(maxDiff, Math.abs(cosine(a!, r!) - p.cosine));
    }
    expect(maxDiff).toBeLessThan(TOL);
    const p = fx.pairs[0]!;
    const result = await EVALUATORS["embedding-cosine"].evaluate(
      { question: "q", answer: textOf(p.answer), references: [textOf(p.reference)] },
      { embedder },
    );
    expect(result.value).toBeCloseTo(p.cosine, 5);
    expect(result.signature).toContain("model:all-minilm-l6-v2:mean:256");
  }, 120_000);
});
