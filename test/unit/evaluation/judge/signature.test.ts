/** Options that change a verdict must change the signature (the engine caches by it). */
import { describe, expect, it } from "vitest";
import { EVALUATORS } from "../../../../src/evaluation/registry.ts";

describe("judge signatures", () => {
  const ctx = {};
  it("judge-single: reply budget and explanation length are part of the signature", () => {
    const e = EVALUATORS["judge-single"];
    const a = e.configSignature(ctx, {});
    expect(e.configSignature(ctx, { maxTokens: 200 })).not.toBe(a);
    expect(e.configSignature(ctx, { maxExplanationChars: 240 })).not.toBe(a);
    expect(e.configSignature(ctx, { maxTokens: 512 })).toBe(a);
  });
  it("criteria judges: reply budget is part of the signature", () => {
    const e = EVALUATORS["judge-helpfulness"];
    expect(e.configSignature(ctx, { maxTokens: 100 })).not.toBe(e.configSignature(ctx, {}));
  });
});
