import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readGoldenCsv } from "../../../src/datasets/golden.ts";
import { InputError } from "../../../src/errors/input-error.ts";
import { HAS_SHARED_DATA, ROOT, SHARED_DATA } from "../../helpers/paths.ts";

const dir = mkdtempSync(join(tmpdir(), "wf-golden-"));

describe("readGoldenCsv", () => {
  it.skipIf(!HAS_SHARED_DATA)(
    "reads all 37 questions of the seed study's golden set (skips without ../shared/data)",
    async () => {
      const r = await readGoldenCsv(join(SHARED_DATA, "wanderchat", "golden_answers.csv"));
      expect(r.items).toHaveLength(37);
      expect(r.items[0]!.id).toBe("1");
      expect(r.items[0]!.question).toMatch(/^What are your favorite luxury camp meals/);
      expect(r.items[0]!.notes).toBe("Reddit, ChatGPT, human reviewed");
      expect(r.skipped).toEqual([]);
      // the file holds one byte that is not UTF-8 (0x8e); it is reported, not hidden
      expect(r.repaired.length).toBeGreaterThanOrEqual(1);
      expect(r.repaired[0]).toMatchObject({ field: expect.any(String), reason: "invalid UTF-8 replaced by U+FFFD" });
    },
  );

  it("reads the quick start's golden set and honours limit", async () => {
    const r = await readGoldenCsv(join(ROOT, "examples/quickstart/golden.csv"));
    expect(r.items).toHaveLength(16);
    expect(
      (await readGoldenCsv(join(ROOT, "examples/quickstart/golden.csv"), { limit: 3 })).items.map((i) => i.id),
    ).toEqual(["1", "2", "3"]);
  });

  it("skips rows with an empty question, naming line and field", async () => {
    const f = join(dir, "g.csv");
    writeFileSync(
      f,
      'Index,Notes,Golden Question,Golden Answer\n1,n,"Q1?","A1."\n2,n,,"A2."\n3,n,"Q3\nsecond line?","A3."\n',
    );
    const r = await readGoldenCsv(f);
    expect(r.items.map((i) => i.id)).toEqual(["1", "3"]);
    expect(r.items[1]!.question).toBe("Q3\nsecond line?");
    expect(r.skipped).toEqual([{ file: f, line: 3, field: "Golden Question", reason: "empty" }]);
  });

  it("names the file and the missing column", async () => {
    const f = join(dir, "bad.csv");
    writeFileSync(f, "Index,Question,Answer\n1,q,a\n");
    const err = await readGoldenCsv(f).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain(
      `${f}:1 field "Golden Question": missing column(s) "Golden Question", "Golden Answer"`,
    );
  });

  it("names a missing file", async () => {
    const err = await readGoldenCsv(join(dir, "none.csv")).catch((e: unknown) => e);
    expect((err as Error).message).toBe(`${join(dir, "none.csv")}: golden set file not found`);
  });
});
