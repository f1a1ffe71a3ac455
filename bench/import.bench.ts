/**
 * Import throughput on a generated Pushshift-style dump, against a plain baseline measured in the
 * same run (issue 4).
 *
 *   npx tsx bench/import.bench.ts [--comments 1000000] [--posts 20000] [--dir /tmp/wayfarer-bench]
 *                                 [--shape minimal|arctic] [--subreddits travel] [--workers N]
 *                                 [--out threads.jsonl (kept, e.g. for cmp)]
 *
 * 1. Generates `RS_bench.zst` (posts) and `RC_bench.zst` (comments) once (kept in --dir): NDJSON
 *    with Pushshift field names and quirks (string created_utc, edited true/false/epoch), comment
 *    trees up to depth 6, compressed by the `zstd` program with `--long=31` from stdin (so the
 *    frames declare the 2 GiB window real dumps use). `--shape minimal` (default, the numbers in
 *    bench/results/import.md since the start) writes only the 11 fields a comment needs (~330
 *    bytes a line); `--shape arctic` writes what an Arctic Shift 2023 comment record holds (keys
 *    sorted, ~60 fields incl. `_meta`, flair, awards, permalink: ~1.4 KB a line), so most of each
 *    line is fields the import validates and skips.
 * 2. Baselines over RC, each wall time and CPU seconds (the pipeline's processes together):
 *    - `wc`:    `zstd -dc --long=31 RC | wc -l` (decompress + count lines): the issue's baseline;
 *    - `count`: `zstd -dc --long=31 RC | node` counting newlines in the byte chunks;
 *    - `parse`: `zstd -dc --long=31 RC | node` decoding and `JSON.parse`-ing every line: the least
 *      any importer of this JSON does, so the fair floor for a Node importer.
 * 3. Wayfarer: `importThreads` over both files (decompress, parse, normalise, join by link_id
 *    through bucket files, order, write threads JSONL), wall time, CPU seconds (this process with
 *    its worker threads, plus the zstd child) and peak RSS. `--workers N` sets the parsing worker
 *    threads (default: importThreads' own choice). `--subreddits travel` imports with the subreddit
 *    filter (posts, and Arctic-shaped comments, are spread over 4 subreddits): the case of a
 *    whole-Reddit dump of which a few subreddits are wanted; comments/s then counts every comment
 *    read, kept or left out.
 * Prints comments/s for all, the ratios (target >= 0.5 of `wc`), and a JSON line with every number.
 * Run it on an otherwise idle machine: with other load the wall times (and ratios) move a lot.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { availableParallelism, cpus, loadavg } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createRng } from "../src/evaluation/meta/bootstrap.ts";
import { importThreads } from "../src/reddit/import.ts";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const COMMENTS = Number(arg("comments", "1000000"));
const POSTS = Number(arg("posts", "20000"));
const SHAPE = arg("shape", "minimal");
/** Posts are spread over these in turn (and so are Arctic-shaped comments, by their post). */
const SUBREDDITS = ["travel", "solotravel", "japan", "paris"];
/** `--subreddits a,b`: import with the subreddit filter (a quarter of the threads per name). */
const KEEP = arg("subreddits", "");
if (SHAPE !== "minimal" && SHAPE !== "arctic") throw new Error(`--shape ${SHAPE}: use minimal or arctic`);
const DIR = arg("dir", "/tmp/wayfarer-bench");

/** Deterministic PRNG (mulberry32, the one the bootstrap uses). */
const rng = createRng;

const WORDS =
  "the a to and of in is for you it on that with be are this at can if from or as have but not we they was so your train hostel flight visa pass city day week budget hike beach museum food cheap book early late night bus metro walk".split(
    " ",
  );

function sentence(r: () => number, n: number): string {
  const w: string[] = [];
  for (let i = 0; i < n; i++) w.push(WORDS[Math.floor(r() * WORDS.length)]!);
  return `${w.join(" ")}.`;
}

async function compressTo(
  file: string,
  produce: (write: (s: string) => Promise<void>) => Promise<void>,
): Promise<void> {
  const child = spawn("sh", ["-c", `zstd -q -3 -T0 --long=31 -c > '${file}'`], {
    stdio: ["pipe", "inherit", "inherit"],
  });
  let failure: Error | undefined;
  child.stdin.on("error", (e) => {
    failure = e;
  });
  const write = (s: string) =>
    new Promise<void>((resolve, reject) => {
      if (failure) reject(failure);
      else if (child.stdin.write(s)) resolve();
      else child.stdin.once("drain", resolve);
    });
  await produce(write);
  child.stdin.end();
  await new Promise<void>((resolve, reject) =>
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`zstd exited ${code}`)))),
  );
}

/**
 * The comment as an Arctic Shift 2023 record: the API's comment fields (values typical of a plain
 * comment), keys sorted, `_meta` first. Our fields keep their values (created_utc as a number).
 */
function arcticComment(c: Record<string, unknown>, i: number, p: number, r: () => number): Record<string, unknown> {
  const sub = SUBREDDITS[p % 4]!; // the post's

  const link = String(c.link_id).slice(3);
  const rec: Record<string, unknown> = {
    ...c,
    _meta: { retrieved_2nd_on: 1690100000 + i },
    all_awardings: [],
    archived: false,
    associated_award: null,
    author_created_utc: 1400000000 + Math.floor(r() * 3e8),
    author_flair_background_color: null,
    author_flair_css_class: null,
    author_flair_richtext: [],
    author_flair_template_id: null,
    author_flair_text: null,
    author_flair_text_color: null,
    author_flair_type: "text",
    author_fullname: `t2_${Math.floor(r() * 1e9).toString(36)}`,
    author_is_blocked: false,
    author_patreon_flair: false,
    author_premium: r() < 0.05,
    awarders: [],
    body_sha1: null,
    can_gild: true,
    collapsed: false,
    collapsed_because_crowd_control: null,
    collapsed_reason: null,
    collapsed_reason_code: null,
    comment_type: null,
    controversiality: 0,
    created_utc: Number(c.created_utc),
    downs: 0,
    gilded: 0,
    gildings: {},
    locked: false,
    name: `t1_${String(c.id)}`,
    no_follow: r() < 0.5,
    permalink: `/r/${sub}/comments/${link}/some_title/${String(c.id)}/`,
    retrieved_on: 1690000100 + i,
    score_hidden: false,
    send_replies: true,
    subreddit: sub,
    subreddit_id: "t5_2qh41",
    subreddit_name_prefixed: `r/${sub}`,
    subreddit_type: "public",
    top_awarded_type: null,
    total_awards_received: 0,
    treatment_tags: [],
    unrepliable_reason: null,
    ups: c.score,
  };
  return Object.fromEntries(
    Object.keys(rec)
      .sort()
      .map((k) => [k, rec[k]]),
  );
}

async function generate(rs: string, rc: string): Promise<void> {
  const r = rng(42);
  await compressTo(rs, async (write) => {
    let buf = "";
    for (let p = 0; p < POSTS; p++) {
      buf += `${JSON.stringify({
        id: `p${p.toString(36)}`,
        subreddit: SUBREDDITS[p % 4],
        title: sentence(r, 8),
        selftext: sentence(r, 40),
        score: Math.floor(r() * 500),
        upvote_ratio: 0.7 + r() * 0.3,
        num_comments: Math.floor(COMMENTS / POSTS),
        created_utc: String(1690000000 + p * 60),
        over_18: false,
        is_self: true,
        author: `user${Math.floor(r() * 1e5)}`,
        permalink: `/r/travel/comments/p${p.toString(36)}/x/`,
        edited: false,
      })}\n`;
      if (buf.length > 1 << 20) {
        await write(buf);
        buf = "";
      }
    }
    await write(buf);
  });
  await compressTo(rc, async (write) => {
    let buf = "";
    const perPost = Math.ceil(COMMENTS / POSTS);
    for (let i = 0; i < COMMENTS; i++) {
      const p = Math.floor(i / perPost);
      const k = i % perPost;
      const parent =
        k < 5 || r() < 0.3 ? `t3_p${p.toString(36)}` : `t1_c${(i - 1 - Math.floor(r() * Math.min(k, 5))).toString(36)}`;
      const comment = {
        id: `c${i.toString(36)}`,
        link_id: `t3_p${p.toString(36)}`,
        parent_id: parent,
        body: sentence(r, 10 + Math.floor(r() * 40)),
        author: `user${Math.floor(r() * 1e5)}`,
        score: Math.floor(r() * 50) - 5,
        created_utc: r() < 0.5 ? String(1690000000 + i) : 1690000000 + i,
        edited: r() < 0.05 ? 1690000500 + i : false,
        distinguished: null,
        stickied: false,
        is_submitter: r() < 0.1,
      };
      buf += `${JSON.stringify(SHAPE === "arctic" ? arcticComment(comment, i, p, r) : comment)}\n`;
      if (buf.length > 1 << 20) {
        await write(buf);
        buf = "";
      }
    }
    await write(buf);
  });
}

/** CPU seconds (user + system) of this process's waited-for children so far (Linux /proc; else 0). */
function childCpuSeconds(): number {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 16 and 17 of stat (cutime, cstime), counted from field 3 here; clock ticks of 1/100 s.
    return (Number(f[13]) + Number(f[14])) / 100;
  } catch {
    return 0;
  }
}

/** Minimal Node line consumers of `zstd -dc` on stdin (run with `node -e`). */
const NODE_BASELINE = `
const parse = process.argv[1] === "parse";
let lines = 0, pending = null;
for await (let chunk of process.stdin) {
  if (pending) { chunk = Buffer.concat([pending, chunk]); pending = null; }
  const last = chunk.lastIndexOf(10);
  if (last === -1) { pending = chunk; continue; }
  if (parse) {
    const text = chunk.toString("utf8", 0, last);
    let from = 0;
    for (;;) {
      const nl = text.indexOf("\\n", from);
      const line = text.slice(from, nl === -1 ? text.length : nl);
      if (line.length > 0 && JSON.parse(line) === null) throw new Error("null");
      lines++;
      if (nl === -1) break;
      from = nl + 1;
    }
  } else {
    for (let i = chunk.indexOf(10); i !== -1 && i <= last; i = chunk.indexOf(10, i + 1)) lines++;
  }
  if (last + 1 < chunk.length) pending = Buffer.from(chunk.subarray(last + 1));
}
console.log(lines);
`;

interface Timing {
  lines: number;
  seconds: number;
  cpuSeconds: number;
}

function baseline(rc: string, consumer: "wc" | "count" | "parse"): Timing {
  const cmd =
    consumer === "wc"
      ? `zstd -dc --long=31 -q '${rc}' | wc -l`
      : `zstd -dc --long=31 -q '${rc}' | node --input-type=module -e "$NODE_BASELINE" ${consumer}`;
  const c0 = childCpuSeconds();
  const t0 = performance.now();
  const out = execFileSync("sh", ["-c", cmd], { encoding: "utf8", env: { ...process.env, NODE_BASELINE } });
  return { lines: Number(out.trim()), seconds: (performance.now() - t0) / 1000, cpuSeconds: childCpuSeconds() - c0 };
}

async function main(): Promise<void> {
  mkdirSync(DIR, { recursive: true });
  const rs = join(DIR, `RS_bench_${POSTS}.zst`);
  const rc = join(DIR, `RC_bench_${COMMENTS}${SHAPE === "arctic" ? "_arctic-v2" : ""}.zst`);
  if (!existsSync(rs) || !existsSync(rc)) {
    const t0 = performance.now();
    await generate(rs, rc);
    console.log(`generated ${POSTS} posts, ${COMMENTS} comments in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  console.log(
    `RS ${(statSync(rs).size / 2 ** 20).toFixed(1)} MiB, RC ${(statSync(rc).size / 2 ** 20).toFixed(1)} MiB (zstd --long=31)`,
  );
  console.log(
    `machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? "?"}), load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}, node ${process.version}`,
  );
  const bases = {
    wc: baseline(rc, "wc"),
    count: baseline(rc, "count"),
    parse: baseline(rc, "parse"),
  };
  const workersArg = arg("workers", "");
  const keep = arg("out", "");
  const out = keep || join(DIR, "threads.jsonl");
  const loadBefore = loadavg().map((x) => Number(x.toFixed(2)));
  let peakRss = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  const cpu0 = process.cpuUsage();
  const child0 = childCpuSeconds();
  const t0 = performance.now();
  const report = await importThreads({
    inputs: [{ path: rs }, { path: rc }],
    outFile: out,
    zstdDecoder: "cli",
    tmpDir: DIR,
    ...(workersArg ? { dumpWorkers: Number(workersArg) } : {}),
    ...(KEEP ? { subreddits: KEEP.split(",") } : {}),
  });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6 + (childCpuSeconds() - child0);
  clearInterval(timer);
  // The kernel's peak for this process (main thread, workers, buffers); the zstd child is separate.
  peakRss = Math.max(peakRss, process.resourceUsage().maxRSS * 1024);
  if (!keep) rmSync(out, { force: true });
  // With the filter, every comment read counts (kept, left out, or skipped as a comment of a
  // left-out post): the work is reading the dump.
  const commentsRead = report.comments + report.filtered.comments + (KEEP ? report.skippedCount : 0);
  const ours = commentsRead / seconds;
  const rate = (t: Timing) => t.lines / t.seconds;
  const result = {
    comments: report.comments,
    commentsRead,
    filtered: report.filtered,
    threads: report.threads,
    skipped: report.skippedCount,
    wayfarerSeconds: Number(seconds.toFixed(2)),
    wayfarerCpuSeconds: Number(cpuSeconds.toFixed(2)),
    wayfarerCommentsPerSecond: Math.round(ours),
    wayfarerCpuMicrosecondsPerComment: Number(((cpuSeconds / commentsRead) * 1e6).toFixed(2)),
    baselines: Object.fromEntries(
      Object.entries(bases).map(([k, t]) => [
        k,
        {
          seconds: Number(t.seconds.toFixed(2)),
          cpuSeconds: Number(t.cpuSeconds.toFixed(2)),
          linesPerSecond: Math.round(rate(t)),
          cpuMicrosecondsPerLine: Number(((t.cpuSeconds / t.lines) * 1e6).toFixed(2)),
          ratio: Number((ours / rate(t)).toFixed(3)),
        },
      ]),
    ),
    ratio: Number((ours / rate(bases.wc)).toFixed(3)),
    peakRssMiB: Math.round(peakRss / 2 ** 20),
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadavg().map((x) => Number(x.toFixed(2))),
  };
  for (const [k, t] of Object.entries(bases)) {
    console.log(
      `baseline ${k.padEnd(5)}: ${t.lines} lines in ${t.seconds.toFixed(2)} s = ${Math.round(rate(t))} lines/s, ${t.cpuSeconds.toFixed(2)} CPU-s`,
    );
  }
  console.log(
    `wayfarer importThreads: ${commentsRead} comments read${KEEP ? ` (${report.comments} kept, --subreddits ${KEEP})` : ""} in ${seconds.toFixed(2)} s = ${Math.round(ours)} comments/s, ${cpuSeconds.toFixed(2)} CPU-s`,
  );
  console.log(
    `ratio vs wc ${result.ratio} (target >= 0.5), vs node count ${result.baselines.count!.ratio}, vs node JSON.parse ${result.baselines.parse!.ratio}; ${result.wayfarerCpuMicrosecondsPerComment} CPU-µs/comment; peak RSS ${result.peakRssMiB} MiB; load average ${loadBefore.join(" ")} -> ${result.loadAverageAfter.join(" ")}`,
  );
  console.log(JSON.stringify(result));
}

await main();
