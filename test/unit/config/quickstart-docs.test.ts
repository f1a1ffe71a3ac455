/**
 * The quick start as a new user meets it: one stated time (README, the example's comment and its
 * description, which the report prints), and enough answers for the human section to reach a verdict
 * with two raters.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadExperiment } from "../../../src/config/load.ts";
import { readGoldenCsv } from "../../../src/datasets/golden.ts";
import { DEFAULT_SUFFICIENCY } from "../../../src/evaluation/meta/meta-evaluate.ts";
import { ROOT } from "../../helpers/paths.ts";

describe("quick start", () => {
  it("states one time in the README, the example's comment and its description (shown in the report)", async () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const yaml = readFileSync(join(ROOT, "examples/quickstart.yaml"), "utf8");
    const exp = await loadExperiment("examples/quickstart.yaml", ROOT);
    const inReadme = /\*\*The quick start takes about (\d+) minutes on 2 CPU cores\*\*/.exec(readme)?.[1];
    const inComment = /^#.*About (\d+) minutes on 2 CPU cores/m.exec(yaml)?.[1];
    const inDescription = /about (\d+) minutes on 2 CPU cores/.exec(exp.config.description ?? "")?.[1];
    expect(inReadme).toBeDefined();
    expect([inComment, inDescription]).toEqual([inReadme, inReadme]);
    // no other duration claims for the quick start that could disagree
    expect(yaml.match(/\d+(-\d+)? minutes/g)).toEqual([`${inReadme} minutes`, `${inReadme} minutes`]);
  });

  it("has enough answers for an item-level verdict when two raters rate all of them", async () => {
    const exp = await loadExperiment("examples/quickstart.yaml", ROOT);
    const golden = await readGoldenCsv(exp.config.datasets.golden.file);
    const answers = golden.items.length * exp.config.generate.variants.length;
    expect(golden.items).toHaveLength(16);
    expect(answers).toBeGreaterThanOrEqual(DEFAULT_SUFFICIENCY.items);
    expect(readFileSync(join(ROOT, "README.md"), "utf8")).toMatch(new RegExp(`rates all\\s+${answers} answers`));
  });
});
