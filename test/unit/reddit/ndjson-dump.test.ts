import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { importThreads } from "../../../src/reddit/import.ts";
import type { Thread } from "../../../src/reddit/thread.ts";
import { zstdWindowSize } from "../../../src/reddit/zstd.ts";

const HAS_ZSTD = spawnSync("zstd", ["--version"], { stdio: "ignore" }).status === 0;
if (!HAS_ZSTD) console.warn("[skip] zstd program not on PATH; CLI-decoder and long-window tests skipped");

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "wf-dump-"));
}

function readOut(file: string): Thread[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Thread);
}

// Pushshift-style records: created_utc as string, no depth, edited true/false, ids without prefix in `id`.
const posts = [
  {
    id: "p1",
    subreddit: "travel",
    title: "Where to go in May?",
    selftext: "Two weeks",
    score: 12,
    created_utc: "1700000000",
    num_comments: 3,
    over_18: false,
    is_self: true,
    author: "op",
    permalink: "/r/travel/comments/p1/x/",
  },
  {
    id: "p2",
    subreddit: "japan",
    title: "JR pass?",
    selftext: "",
    score: 3,
    created_utc: 1700000100,
    num_comments: 1,
    edited: 1700000200,
  },
];
const comments = [
  {
    id: "c3",
    link_id: "t3_p1",
    parent_id: "t1_c1",
    body: "reply to c1",
    score: 1,
    created_utc: "1700000300",
    author: "b",
  },
  {
    id: "c1",
    link_id: "t3_p1",
    parent_id: "t3_p1",
    body: "Go to Portugal",
    score: 5,
    created_utc: "1700000100",
    author: "a",
    edited: true,
  },
  { id: "c2", link_id: "t3_p1", parent_id: "t3_p1", body: "Greece", score: 8, created_utc: 1700000200, author: "c" },
  { id: "c4", link_id: "t3_p2", parent_id: "t3_p2", body: "Yes, worth it", score: 2, created_utc: 1700000400 },
  { id: "c9", link_id: "t3_gone", parent_id: "t3_gone", body: "post not in dump", score: 1, created_utc: 1700000400 },
];
const ndjson = (rows: object[]) => `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`;

function zstd(file: string, args: string[] = []): string {
  execFileSync("zstd", ["-q", "-f", ...args, file, "-o", `${file}.zst`]);
  return `${file}.zst`;
}

describe("ndjson-zst dumps", () => {
  it("joins RS_ posts and RC_ comments by link_id, computes depth and orders comments (plain NDJSON)", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "RS_2023-11.ndjson"), ndjson(posts));
    writeFileSync(join(dir, "RC_2023-11.ndjson"), ndjson(comments));
    const out = join(dir, "o.jsonl");
    const report = await importThreads({ inputs: [{ path: dir, format: "ndjson-zst" }], outFile: out });
    expect(report).toMatchObject({ files: 2, threads: 2, comments: 4, skippedCount: 1 });
    expect(report.skipped[0]).toMatchObject({ file: join(dir, "RC_2023-11.ndjson"), line: 5, field: "link_id" });
    const threads = readOut(out).sort((a, b) => a.post.id.localeCompare(b.post.id));
    expect(threads[0]!.comments.map((c) => `${c.id}:${c.depth}`)).toEqual(["c2:0", "c1:0", "c3:1"]);
    expect(threads[0]!.comments.find((c) => c.id === "c1")!.edited).toBe(1700000100);
    expect(threads[0]!.post).toMatchObject({ created_utc: 1700000000, subreddit: "travel", author: "op" });
    expect(threads[0]!.source).toEqual({ kind: "pushshift-zst", file: join(dir, "RS_2023-11.ndjson"), line: 1 });
    expect(threads[1]!.post.edited).toBe(1700000200);
  });

  it.skipIf(!HAS_ZSTD)(
    "reads zstd dumps with both decoders, and long-window (--long=31) frames with the CLI",
    async () => {
      const dir = tmp();
      writeFileSync(join(dir, "RS.ndjson"), ndjson(posts));
      const rsZ = zstd(join(dir, "RS.ndjson"));
      writeFileSync(join(dir, "RC.ndjson"), ndjson(comments));
      // Through stdin the content size is unknown, so the frame declares the full 2 GiB window.
      const rcZ = join(dir, "RC_long.zst");
      execFileSync("sh", ["-c", `zstd -q --long=31 -c < '${join(dir, "RC.ndjson")}' > '${rcZ}'`]);
      expect(await zstdWindowSize(rcZ)).toBe(2 ** 31);
      const viaCli = await importThreads({
        inputs: [{ path: rsZ }, { path: rcZ }],
        outFile: join(dir, "cli.jsonl"),
        zstdDecoder: "cli",
      });
      expect(viaCli.skipped.map((s) => s.field)).toEqual(["link_id"]); // only the comment of a post not in the dump
      expect(viaCli).toMatchObject({ threads: 2, comments: 4, skippedCount: 1 });
      // fzstd cannot allocate a 2 GiB window: the file is skipped with a clear reason, the import goes on.
      const viaJs = await importThreads({
        inputs: [{ path: rsZ }, { path: rcZ }],
        outFile: join(dir, "js.jsonl"),
        zstdDecoder: "js",
      });
      expect(viaJs.threads).toBe(2);
      expect(viaJs.comments).toBe(0);
      expect(viaJs.skipped[0]).toMatchObject({ file: rcZ, line: 1 });
      expect(viaJs.skipped[0]!.reason).toMatch(/2048 MiB .*install the zstd program/);
      // A short-window zstd file decodes the same with both decoders.
      const rcShort = zstd(join(dir, "RC.ndjson"));
      const a = await importThreads({
        inputs: [{ path: rsZ }, { path: rcShort }],
        outFile: join(dir, "a.jsonl"),
        zstdDecoder: "js",
      });
      const b = await importThreads({
        inputs: [{ path: rsZ }, { path: rcShort }],
        outFile: join(dir, "b.jsonl"),
        zstdDecoder: "cli",
      });
      expect(a).toEqual(b);
      expect(readFileSync(join(dir, "a.jsonl"), "utf8")).toBe(readFileSync(join(dir, "cli.jsonl"), "utf8"));
    },
  );

  it.skipIf(!HAS_ZSTD)(
    "keeps going past a bad JSON line, invalid UTF-8, a bad field and a truncated zstd stream",
    async () => {
      for (const decoder of ["js", "cli"] as const) {
        const dir = tmp();
        writeFileSync(join(dir, "RS.ndjson"), ndjson(posts));
        const rs = zstd(join(dir, "RS.ndjson"));
        const rcRows = Buffer.concat([
          Buffer.from(ndjson(comments.slice(0, 2))),
          Buffer.from("{not json\n"),
          Buffer.from('{"id":"u1","link_id":"t3_p2","parent_id":"t3_p2","created_utc":1,"body":"caf'),
          Buffer.from([0xe9, 0x22, 0x7d, 0x0a]),
          Buffer.from('{"id":"bad","link_id":"t3_p2","parent_id":"t3_p2","created_utc":"soon","body":"x"}\n'),
          Buffer.from(
            ndjson(
              Array.from({ length: 3000 }, (_, i) => ({
                id: `z${i}`,
                link_id: "t3_p2",
                parent_id: "t3_p2",
                created_utc: 5,
                body: `comment ${i} `.repeat(20),
              })),
            ),
          ),
        ]);
        writeFileSync(join(dir, "RC.ndjson"), rcRows);
        const rcFull = zstd(join(dir, "RC.ndjson"));
        const full = readFileSync(rcFull);
        const truncated = join(dir, "RC_truncated.zst");
        writeFileSync(truncated, full.subarray(0, Math.floor(full.length * 0.6)));
        const report = await importThreads({
          inputs: [{ path: rs }, { path: truncated }],
          outFile: join(dir, "o.jsonl"),
          zstdDecoder: decoder,
        });
        const reasons = report.skipped.map((s) => `${s.line}:${s.field ?? ""}:${s.reason.slice(0, 14)}`);
        expect(reasons).toContain("3::not valid JSON");
        expect(reasons).toContain("5:created_utc:not a number (");
        expect(report.skipped.find((s) => /zstd|truncated/i.test(s.reason))).toBeDefined();
        expect(report.skippedCount).toBe(3);
        expect(report.warnings).toEqual([{ file: truncated, line: 4, reason: "invalid UTF-8 replaced by U+FFFD" }]);
        const kept = report.comments;
        expect(kept).toBeGreaterThan(100); // the prefix before the damage is kept
        expect(kept).toBeLessThan(3003);
        const t = readOut(join(dir, "o.jsonl")).find((x) => x.post.id === "p2")!;
        expect(t.comments.find((c) => c.id === "u1")!.body).toBe("caf\uFFFD");
      }
    },
  );
});
