import { describe, expect, it } from "vitest";
import {
  BucketBuffers,
  bucketOf,
  defaultWorkers,
  type SpillSink,
  spillLine,
  spillLineBytes,
} from "../../../src/reddit/formats/ndjson-dump.ts";
import { type FastScan, scanComment } from "../../../src/reddit/formats/ndjson-fast.ts";
import type { SkippedRecord } from "../../../src/reddit/import.ts";
import { LineSplitter } from "../../../src/reddit/lines.ts";
import { SubredditFilter } from "../../../src/reddit/subreddit-filter.ts";

const BUCKETS = 5;

/** Runs pass 1 on one line both ways: the byte path (fast path when it applies) and the general string path. */
function both(line: string, filter: SubredditFilter | null = null) {
  const run = (bytes: boolean) => {
    const bb = new BucketBuffers(BUCKETS, 256);
    const events: [string, SkippedRecord | string][] = [];
    const sink: SpillSink = {
      skip: (r) => events.push(["s", r]),
      warn: (r) => events.push(["w", r]),
      put: (name, s) => bb.putString(bucketOf(name, BUCKETS), s),
      filtered: (kind) => events.push(["f", kind]),
    };
    const buf = Buffer.from(`xx${line}yy`); // the line sits inside a bigger buffer
    const isRecord = bytes
      ? spillLineBytes(buf, 2, buf.length - 2, 7, 1, "RC", sink, bb, filter)
      : spillLine(line, 7, false, false, 1, "RC", sink, filter);
    const buckets = bb.bufs.map((b, i) => b.toString("utf8", 0, bb.lens[i]));
    return { isRecord, events, buckets };
  };
  return { fast: run(true), general: run(false) };
}

function fastApplies(line: string): boolean {
  const buf = Buffer.from(line);
  const scan: FastScan = { hash: 0, bound: 0 };
  return scanComment(buf, 0, buf.length, scan);
}

const base = {
  id: "c1",
  link_id: "t3_p1",
  parent_id: "t1_c0",
  body: "hello",
  author: "a",
  score: 3,
  created_utc: 1700000000,
};

describe("dump fast path (ndjson-fast.ts)", () => {
  it("writes exactly the general path's bucket line for usual comments, and takes the fast path", () => {
    const lines = [
      JSON.stringify(base),
      JSON.stringify({ ...base, created_utc: "1700000001", edited: 1700000500, depth: 2 }),
      JSON.stringify({ ...base, id: "t1_c1", parent_id: "c0", link_id: "p1", edited: true, stickied: true }),
      JSON.stringify({ ...base, author: "[deleted]", distinguished: "moderator", is_submitter: 1, score: -2.5 }),
      JSON.stringify({ ...base, body: null, author: null, score: null, depth: null, edited: false }),
      JSON.stringify({
        ...base,
        body: 'quote " backslash \\ newline \n tab \t caf\u00e9 \u4e16 \ud83d\ude00',
        author: "",
      }),
      JSON.stringify({ ...base, created_utc: 1700000000.25, score: "12", depth: "3", edited: 0 }),
      JSON.stringify({ ...base, all_awardings: [{ id: "x", n: [1, 2, { a: null }] }], gildings: {}, x: -0.5e-3 }),
      // Whitespace between tokens, a duplicated key (the last one wins), escapes in a key and a value.
      ` { "id" : "c1" , "link_id":"t3_p1","parent_id":"t3_p1","body":"a\\u00e9\\/b","created_utc":5,"score":1,"score":9 , "\\u0061uthor":"z"}\t`,
      JSON.stringify({ ...base, body: "x".repeat(5000) }),
    ];
    for (const line of lines) {
      expect(fastApplies(line), line).toBe(true);
      const { fast, general } = both(line);
      expect(fast, line).toEqual(general);
      expect(general.buckets.join("").length).toBeGreaterThan(0);
    }
  });

  it("leaves every unusual line to the general path, with the same result", () => {
    const lines = [
      "{not json",
      "[1,2]",
      "",
      "   ",
      '{"id":"c1"}',
      JSON.stringify({ title: "a post", id: "p9", subreddit: "x", created_utc: 1 }),
      JSON.stringify({ ...base, id: 17 }), // number id: stringified by the general path
      JSON.stringify({ ...base, id: "" }),
      JSON.stringify({ ...base, created_utc: "soon" }),
      JSON.stringify({ ...base, created_utc: "" }),
      JSON.stringify({ ...base, created_utc: undefined }),
      JSON.stringify({ ...base, author: 5 }),
      JSON.stringify({ ...base, body: 5 }),
      JSON.stringify({ ...base, stickied: "yes" }),
      JSON.stringify({ ...base, edited: "1700000000" }),
      JSON.stringify({ ...base, link_id: "t3_p\u00e9" }), // non-ASCII id: hashed as a string
      `${JSON.stringify(base).slice(0, -1)},"score":1e400}`, // not finite
      `${JSON.stringify(base).slice(0, -1)},"depth":01}`, // not JSON
      `${JSON.stringify(base).slice(0, -1)},"x":"a\u0001b"}`, // raw control character
      `${JSON.stringify(base).slice(0, -1)},"x":"\\q"}`, // bad escape
      `${JSON.stringify(base)} x`, // trailing garbage
      `${JSON.stringify(base).slice(0, -1)},"x":${"[".repeat(100)}${"]".repeat(100)}}`, // deep: JSON.parse decides
    ];
    const fastTaken = lines.map(fastApplies);
    expect(fastTaken.slice(0, -1).every((x) => !x)).toBe(true);
    for (const line of lines) {
      const { fast, general } = both(line);
      expect(fast, line).toEqual(general);
    }
    // The deep line is valid JSON and a comment: the general path keeps it.
    expect(both(lines.at(-1)!).general.buckets.join("")).toContain('"id":"c1"');
  });

  it("writes integers of any sign and size, and tells near-miss keys and words apart, as the general path", () => {
    const numbers = [
      0,
      -0,
      7,
      -1,
      -9,
      10,
      -10,
      99,
      -100,
      2147483647,
      2147483648,
      -2147483648,
      -2147483649,
      4102444800,
      1e15,
      -999999999999999,
      2 ** 53 - 1,
      -(2 ** 53 - 1),
      2 ** 53,
      2 ** 53 + 2,
      1e21,
      -1e21,
      0.5,
      -2.25,
      1.5e-7,
    ];
    const lines: string[] = [];
    for (const n of numbers) {
      lines.push(JSON.stringify({ ...base, score: n, depth: n, edited: n }));
      lines.push(JSON.stringify({ ...base, created_utc: n, edited: true }));
    }
    for (const key of ["Body", "bodx", "scorf", "deptx", "authos", "editex", "link_ie", "stickiex", "parent_ix"])
      lines.push(`${JSON.stringify(base).slice(0, -1)},"${key}":"v"}`);
    for (const key of ["created_ut\u0063", "is_submittes", "distinguishex", "distinguishedx", "idx", "i\u0064"])
      lines.push(`${JSON.stringify(base).slice(0, -1)},"${key}":true}`);
    lines.push(`{"b\u00f6dy":"x",${JSON.stringify(base).slice(1)}`);
    for (const author of ["[deleted]", "[deleted", "[deletex]", "[deleted]]", " [deleted]", "deleted"])
      lines.push(JSON.stringify({ ...base, author }));
    for (const word of ["true", "false", "null", "tru", "fals", "nul", "trUe", "falsE", "nulL", "truex"])
      lines.push(`${JSON.stringify(base).slice(0, -1)},"stickied":${word}}`);
    let fastCount = 0;
    for (const line of lines) {
      if (fastApplies(line)) fastCount++;
      const { fast, general } = both(line);
      expect(fast, line).toEqual(general);
    }
    expect(fastCount).toBeGreaterThan(lines.length / 2);
  });

  it("reads the top-level subreddit for the filter exactly as the general path does", () => {
    const filter = new SubredditFilter(["travel", "r/JapanTravel"]);
    const head = JSON.stringify(base).slice(0, -1);
    const cases: [string, "kept" | "filtered"][] = [
      [`${head},"subreddit":"travel"}`, "kept"],
      [`${head},"subreddit":"Travel"}`, "kept"],
      [`${head},"subreddit":"japantravel"}`, "kept"],
      [`${head},"subreddit":"pics"}`, "filtered"],
      [`${head},"subreddit":"trav\\u0065l"}`, "kept"], // escaped: decoded "travel"
      [`${head},"subreddit":"pi\\u0063s"}`, "filtered"],
      [`${head},"sub\\u0072eddit":"pics"}`, "filtered"], // escaped key
      [`${head},"subreddit":""}`, "kept"], // empty: no subreddit, the join decides
      [`${head},"subreddit":null}`, "kept"],
      [`${head},"subreddit":7}`, "kept"],
      [head + "}", "kept"],
      [`${head},"_meta":{"subreddit":"pics"},"subreddit":"travel"}`, "kept"], // nested key ignored
      [`${head},"_meta":{"subreddit":"travel"},"subreddit":"pics"}`, "filtered"],
      [`${head},"subreddit":"travel","subreddit":"pics"}`, "filtered"], // duplicate key: the last wins
      [`${head},"subreddit":"pics","subreddit":"travel"}`, "kept"],
      [`${head},"subreddit_id":"t5_x","subreddit":"pics","subreddit_type":"public"}`, "filtered"],
    ];
    // The fast path itself reads the field (not only the general path it falls back to).
    expect(cases.filter(([line]) => fastApplies(line)).length).toBe(cases.length);
    for (const [line, want] of cases) {
      const { fast, general } = both(line, filter);
      expect(fast, line).toEqual(general);
      expect(general.events.some(([k]) => k === "f") ? "filtered" : "kept", line).toBe(want);
      if (want === "filtered") expect(general.buckets.join(""), line).toBe("");
    }
    // Posts are filtered by their subreddit (or their permalink's) after they are read.
    const post = { id: "p1", title: "t", created_utc: 1, selftext: "" };
    expect(both(JSON.stringify({ ...post, subreddit: "pics" }), filter).general.events).toEqual([["f", "post"]]);
    expect(both(JSON.stringify({ ...post, subreddit: "TRAVEL" }), filter).general.events).toEqual([]);
    expect(both(JSON.stringify({ ...post, permalink: "/r/pics/comments/p1/x/" }), filter).general.events).toEqual([
      ["f", "post"],
    ]);
  });

  it("matches the general path on random records (types, escapes, whitespace, duplicates)", () => {
    let seed = 11;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const values: unknown[] = [
      null,
      true,
      false,
      0,
      -0,
      1,
      -3,
      2.5,
      1e21,
      1234567890123456,
      "",
      "0",
      "12",
      " 7 ",
      "x",
      "t1_a",
      "t3_b",
      "[deleted]",
      'q"\\\n',
      "\u00e9",
      [],
      {},
    ];
    const keys = ["id", "link_id", "parent_id", "body", "author", "score", "created_utc", "depth"];
    const more = ["distinguished", "stickied", "is_submitter", "edited", "other"];
    let fastCount = 0;
    for (let n = 0; n < 3000; n++) {
      const rec: Record<string, unknown> = { ...base };
      for (const k of [...keys, ...more]) if (rnd() < 0.25) rec[k] = pick(values);
      if (rnd() < 0.1) delete rec[pick(keys)];
      let line = JSON.stringify(rec);
      if (rnd() < 0.2) line = line.replace(/,/g, " ,\t");
      if (rnd() < 0.1) line = `${line.slice(0, -1)},"score":${pick(["1", "2.0", "-1e2", '"4"'])}}`;
      if (fastApplies(line)) fastCount++;
      const { fast, general } = both(line);
      expect(fast, line).toEqual(general);
    }
    expect(fastCount).toBeGreaterThan(300); // both paths were exercised
    expect(fastCount).toBeLessThan(3000);
  });
});

describe("LineSplitter byte lines", () => {
  it("hands out the same lines as bytes as it does as text (CRLF, BOM, chunk edges, invalid UTF-8, no final newline)", () => {
    const data = Buffer.concat([
      Buffer.from("\ufeffone\r\ntwo caf\u00e9\n\n\ufeff\r\nthree "),
      Buffer.from([0xe4, 0xb8, 0x96]),
      Buffer.from("\nbad "),
      Buffer.from([0xff, 0x0a]),
      Buffer.from("last line"),
    ]);
    for (const size of [1, 2, 3, 5, 7, 64]) {
      const asText: string[] = [];
      const asBytes: string[] = [];
      const textSplitter = new LineSplitter();
      const byteSplitter = new LineSplitter();
      const onText = (t: string, line: number, bad: boolean) => asText.push(`${line}:${bad}:${t}`);
      const onBytes = (buf: Buffer, from: number, to: number, line: number) =>
        asBytes.push(`${line}:false:${buf.toString("utf8", from, to)}`);
      for (let i = 0; i < data.length; i += size) {
        const chunk = data.subarray(i, i + size);
        textSplitter.push(chunk, onText);
        byteSplitter.push(chunk, (t, line, bad) => asBytes.push(`${line}:${bad}:${t}`), onBytes);
      }
      textSplitter.end(onText);
      byteSplitter.end((t, line, bad) => asBytes.push(`${line}:${bad}:${t}`), onBytes);
      expect(asBytes).toEqual(asText);
      expect(asText).toEqual([
        "1:false:one",
        "2:false:two caf\u00e9",
        "3:false:",
        "4:false:",
        "5:false:three \u4e16",
        "6:true:bad \ufffd",
        "7:false:last line",
      ]);
    }
  });
});

describe("BucketBuffers and worker default", () => {
  it("drains full buffers in order, grows without a drain, and shrinks back after a big line", () => {
    const drained: string[] = [];
    const bb = new BucketBuffers(2, 12, (i, bytes, n) => drained.push(`${i}:${bytes.toString("utf8", 0, n)}`));
    bb.putString(1, "abc");
    bb.putString(1, "defg"); // 3 + 4*3 > 12: "abc" is drained first
    bb.putString(0, "0123456789"); // bigger than the buffer: grows, drained on the next flush
    bb.flush(0);
    bb.flush(1);
    expect(drained).toEqual(["1:abc", "0:0123456789", "1:defg"]);
    expect(bb.bufs[0]!.length).toBe(12);
    const grow = new BucketBuffers(1, 4);
    grow.putString(0, "hello");
    grow.putString(0, " world");
    expect(grow.bufs[0]!.toString("utf8", 0, grow.lens[0])).toBe("hello world");
  });

  it("uses worker threads only with 4+ cores and 8+ MiB of input", () => {
    expect(defaultWorkers(100 << 20, 2)).toBe(0);
    expect(defaultWorkers(100 << 20, 4)).toBe(2);
    expect(defaultWorkers(100 << 20, 16)).toBe(4);
    expect(defaultWorkers(1 << 20, 16)).toBe(0);
  });
});
