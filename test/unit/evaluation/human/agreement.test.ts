import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cohenKappa, fleissKappa, krippendorffAlpha } from "../../../../src/evaluation/human/agreement.ts";

// Fixtures: scripts/fixtures/agreement.py (krippendorff 0.8.1, scikit-learn, statsmodels).
const fixture = JSON.parse(
  readFileSync(new URL("../../../fixtures/agreement/agreement.json", import.meta.url), "utf8"),
) as {
  krippendorff: Array<{
    name: string;
    data: (number | null)[][];
    nominal: number;
    ordinal: number;
    interval: number;
    ratio: number;
    ordinal_domain_1_5: number;
  }>;
  cohen: Array<Record<string, number> & { name: string; a: (number | null)[]; b: (number | null)[] }>;
  fleiss: Array<{ name: string; ratings: number[][]; kappa: number }>;
};
const TOL = 1e-9;

describe("krippendorffAlpha", () => {
  for (const c of fixture.krippendorff) {
    for (const level of ["nominal", "ordinal", "interval", "ratio"] as const) {
      it(`${c.name} ${level} equals the krippendorff package`, () => {
        expect(Math.abs(krippendorffAlpha(c.data, { level })! - c[level])).toBeLessThan(TOL);
      });
    }
    it(`${c.name} ordinal with value domain 1..5`, () => {
      expect(
        Math.abs(krippendorffAlpha(c.data, { level: "ordinal", valueDomain: [1, 2, 3, 4, 5] })! - c.ordinal_domain_1_5),
      ).toBeLessThan(TOL);
    });
  }
  it("matches the published worked example (Krippendorff 2011): nominal 0.743, ordinal 0.815", () => {
    const data = fixture.krippendorff[0]!.data;
    expect(krippendorffAlpha(data, { level: "nominal" })).toBeCloseTo(0.743, 3);
    expect(krippendorffAlpha(data, { level: "ordinal" })).toBeCloseTo(0.815, 3);
  });
  // issue 14, case 6: Krippendorff's 4 raters x 12 units example, every level
  it("the 4x12 example: nominal 0.7434, ordinal 0.8154, interval 0.8491, ratio 0.7974", () => {
    const data = [
      [1, 2, 3, 3, 2, 1, 4, 1, 2, null, null, null],
      [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, null, 3],
      [null, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, null],
      [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, null],
    ];
    expect(data).toEqual(fixture.krippendorff[0]!.data);
    expect(krippendorffAlpha(data, { level: "nominal" })).toBeCloseTo(0.7434, 4);
    expect(krippendorffAlpha(data, { level: "ordinal" })).toBeCloseTo(0.8154, 4);
    expect(krippendorffAlpha(data, { level: "interval" })).toBeCloseTo(0.8491, 4);
    expect(krippendorffAlpha(data, { level: "ratio" })).toBeCloseTo(0.7974, 4);
    // and to 1e-9 of the krippendorff package (fixture)
    expect(Math.abs(krippendorffAlpha(data, { level: "ratio" })! - fixture.krippendorff[0]!.ratio)).toBeLessThan(TOL);
  });
  it("refuses a level it does not know instead of computing another one", () => {
    const data = fixture.krippendorff[0]!.data;
    for (const level of ["Ratio", "ordinal ", "likert", ""])
      expect(() => krippendorffAlpha(data, { level: level as "ratio" })).toThrow(
        `unknown level of measurement "${level}"; use one of nominal, ordinal, interval, ratio`,
      );
  });
  it("is 1 for perfect agreement and null when undefined", () => {
    expect(
      krippendorffAlpha(
        [
          [1, 2, 3],
          [1, 2, 3],
        ],
        { level: "interval" },
      ),
    ).toBe(1);
    expect(
      krippendorffAlpha(
        [
          [1, null],
          [null, 2],
        ],
        { level: "interval" },
      ),
    ).toBeNull();
    expect(
      krippendorffAlpha(
        [
          [3, 3],
          [3, 3],
        ],
        { level: "nominal" },
      ),
    ).toBeNull();
  });
  it("rejects values outside the given domain", () => {
    expect(() =>
      krippendorffAlpha(
        [
          [1, 7],
          [1, 2],
        ],
        { level: "ordinal", valueDomain: [1, 2, 3] },
      ),
    ).toThrow(/outside the value domain/);
  });
});

describe("cohenKappa", () => {
  for (const c of fixture.cohen) {
    for (const w of ["none", "linear", "quadratic"] as const) {
      it(`${c.name} weights=${w} equals scikit-learn`, () => {
        expect(Math.abs(cohenKappa(c.a, c.b, { weights: w })! - c[w]!)).toBeLessThan(TOL);
        expect(
          Math.abs(cohenKappa(c.a, c.b, { weights: w, categories: [1, 2, 3, 4, 5] })! - c[`${w}_labels_1_5`]!),
        ).toBeLessThan(TOL);
      });
    }
  }
  it("textbook value: 2x2 table with po=0.7, pe=0.5 gives 0.4", () => {
    // 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no (Wikipedia example): po = 0.7, pe = 0.5.
    const a = [...Array(25).fill(1), ...Array(25).fill(0)];
    const b = [...Array(20).fill(1), ...Array(5).fill(0), ...Array(10).fill(1), ...Array(15).fill(0)];
    expect(cohenKappa(a, b)).toBeCloseTo(0.4, 12);
  });
  it("rejects misaligned raters", () => {
    expect(() => cohenKappa([1, 2], [1])).toThrow(/differ|have 2 and 1/);
  });
});

describe("fleissKappa", () => {
  for (const c of fixture.fleiss) {
    it(`${c.name} equals statsmodels`, () => {
      expect(Math.abs(fleissKappa(c.ratings)! - c.kappa)).toBeLessThan(TOL);
    });
  }
  it("needs the same number of ratings per item", () => {
    expect(() =>
      fleissKappa([
        [1, 2],
        [1, 2, 3],
      ]),
    ).toThrow(/same number/);
  });
});
