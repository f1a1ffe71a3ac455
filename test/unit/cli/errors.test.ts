/** Bad input through the real CLI: one clear line naming the file, exit code 1, no stack trace. */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../helpers/paths.ts";

const run = async (args: string[]) => {
  try {
    const r = await promisify(execFile)("node", [join(ROOT, "bin/wayfarer.js"), ...args], { cwd: ROOT });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
};
const dir = mkdtempSync(join(tmpdir(), "wf-cli-"));

describe("wayfarer CLI errors", () => {
  it("a missing experiment file", async () => {
    const r = await run(["run", join(dir, "missing.yaml")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`wayfarer: ${join(dir, "missing.yaml")}: no such experiment file\n`);
  });

  it("a malformed experiment file", async () => {
    const f = join(dir, "broken.yaml");
    writeFileSync(f, "name: x\nimport: [unclosed\n");
    const r = await run(["run", f]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^wayfarer: ${f}:\\d+: not valid YAML`));
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("a missing golden CSV named in a valid experiment (caught before any stage runs)", async () => {
    const f = join(dir, "nogolden.yaml");
    writeFileSync(
      f,
      `name: nogolden\nworkspace: ${join(dir, "ws")}\nimport: { inputs: [{ path: ${join(ROOT, "examples/quickstart/threads")} }] }\ndatasets: { golden: { file: ${join(dir, "golden-missing.csv")} } }\nmodels: { m: { provider: llama, path: smollm2-135m-instruct-q4_1 } }\ngenerate: { variants: [{ name: base, model: m }] }\n`,
    );
    const r = await run(["run", f, "--only", "import,corpus,datasets"]);
    expect(r.code).toBe(1);
    const last = r.stderr.trim().split("\n").at(-1)!;
    expect(last).toBe(`  ${f}:4 datasets.golden.file: ${join(dir, "golden-missing.csv")}: golden set file not found`);
    expect(r.stderr).toMatch(/^wayfarer: a problem with the experiment's inputs, found before running any stage:$/m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("an unknown stage name", async () => {
    const r = await run(["run", join(ROOT, "examples/quickstart.yaml"), "--only", "trian"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'wayfarer: --only trian: "trian" names no artifact, kind or stage of this experiment; artifacts: collect, import, corpus, dataset:golden, dataset:sft, datasets, adapter:sft, answers:base, answers:sft, generate, scores:base, scores:sft, evaluate, meta, report; stages: collect, import, corpus, datasets, train, generate, evaluate, report\n',
    );
  });

  it("a --subreddits list with something that is not a subreddit name", async () => {
    const r = await run([
      "import",
      join(ROOT, "examples/quickstart/threads"),
      "-o",
      join(dir, "t.jsonl"),
      "--subreddits",
      "travel, r/japan ,no spaces",
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'wayfarer: --subreddits travel, r/japan ,no spaces: "no spaces" is not a subreddit name; give names separated by commas, e.g. travel,solotravel,JapanTravel\n',
    );
  });

  it("an output path inside a file: one line naming the path, exit 1", async () => {
    const file = join(dir, "plain.txt");
    writeFileSync(file, "x");
    const r = await run(["corpus", join(ROOT, "examples/quickstart/threads/18ajp4v.json"), "-o", join(file, "out")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^wayfarer: .*plain\.txt\/out.*: a path component is a file, not a folder \(ENOTDIR/);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  });

  it("terminal escape sequences in a bad input line are printed escaped", async () => {
    const f = join(dir, "escape.ndjson");
    writeFileSync(f, "x\u001b[31mRED\u001b[0m\n");
    const r = await run(["import", f, "-o", join(dir, "escape.jsonl")]);
    expect(r.code).toBe(1); // nothing imported
    expect(r.stderr).toMatch(/nothing was imported/);
    expect(r.stderr).toContain("\\u001b[31mRED");
    expect(r.stderr).not.toContain("\u001b");
  });

  it("a misspelt corpus setting", async () => {
    const f = join(dir, "corpus.yaml");
    writeFileSync(f, "qualty:\n  minUpvoteRatio: 0.1\n");
    const r = await run(["corpus", join(dir, "escape.jsonl"), "-o", join(dir, "c"), "--config", f]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('wayfarer: corpus options: (root): Unrecognized key: "qualty"\n');
  });
});
