/** `import` and `corpus` with nothing to show for it: a clear message and exit code 1, not "0 threads" and 0. */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../../src/cli/main.ts";
import { ROOT } from "../../helpers/paths.ts";
import { makeComment, makePost, makeThread } from "../../helpers/threads.ts";

async function cli(cwd: string, ...argv: string[]) {
  const o = { out: "", err: "" };
  const code = await main(argv, {
    cwd,
    env: {},
    out: (s) => (o.out += s),
    err: (s) => (o.err += s),
    interactive: false,
  });
  return { code, ...o };
}

describe("empty results exit non-zero", () => {
  const dir = mkdtempSync(join(tmpdir(), "wf-empty-"));
  writeFileSync(join(dir, "empty.jsonl"), "");
  mkdirSync(join(dir, "nothing-here"));

  it("import: an empty file, a folder without files, a subreddit filter that keeps nothing", async () => {
    const empty = await cli(dir, "import", "empty.jsonl", "-o", "t.jsonl", "--format", "threads-jsonl");
    expect(empty.code).toBe(1);
    expect(empty.err).toMatch(
      new RegExp(
        `^wayfarer: ${join(dir, "t.jsonl")}: nothing was imported: the input \\(1 file read\\) hold no records`,
        "m",
      ),
    );
    const folder = await cli(dir, "import", "nothing-here", "-o", "t.jsonl");
    expect(folder.code).toBe(1);
    expect(folder.err).toMatch(/nothing-here: directory holds no importable files/);
    const filtered = await cli(
      dir,
      "import",
      join(ROOT, "examples/quickstart/threads"),
      "-o",
      "t.jsonl",
      "--subreddits",
      "nosuchsub",
    );
    expect(filtered.code).toBe(1);
    expect(filtered.err).toMatch(
      /nothing was imported: every thread was of another subreddit than --subreddits \(40 post\(s\), 189 comment\(s\) left out\)/,
    );
    // a file with threads still imports and exits 0
    const ok = await cli(dir, "import", join(ROOT, "examples/quickstart/threads"), "-o", "t.jsonl");
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/40 files -> 40 threads, 189 comments/);
  });

  it("corpus: an empty input, and an input no thread of which survives the filters", async () => {
    const empty = await cli(dir, "corpus", "empty.jsonl", "-o", "c1");
    expect(empty.code).toBe(1);
    expect(empty.err).toMatch(/^wayfarer: empty\.jsonl: no threads in the input \(empty file\)$/m);
    // threads without comments: every one is dropped (no answer to learn from)
    const bare = [1, 2, 3].map((i) => makeThread(makePost(`p${i}`), []));
    writeFileSync(join(dir, "bare.jsonl"), bare.map((t) => JSON.stringify(t)).join("\n"));
    const none = await cli(dir, "corpus", "bare.jsonl", "-o", "c2");
    expect(none.code).toBe(1);
    expect(none.err).toMatch(
      new RegExp(
        `^wayfarer: bare\\.jsonl: no thread survived the filters \\(3 in, 0 out; threads dropped by [a-z-]+ 3\\); see ${join(dir, "c2", "corpus-card.md")}$`,
        "m",
      ),
    );
    // one good thread is enough for exit 0
    const good = makeThread(makePost("g1"), [
      makeComment("c1", "t3_g1", "Take the RER B train from the airport, it is quick and cheap.", { link_id: "t3_g1" }),
    ]);
    writeFileSync(join(dir, "good.jsonl"), JSON.stringify(good));
    const ok = await cli(dir, "corpus", "good.jsonl", "-o", "c3");
    expect(ok.err).not.toMatch(/^wayfarer:/m);
    expect(ok.code).toBe(0);
  });
});
