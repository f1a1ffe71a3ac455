/**
 * `corpus` at dump scale (issue 4): time and peak memory of `buildCorpus` on a threads JSONL with
 * 1M comments, against a reference measured in the same job.
 *
 *   npx tsx bench/corpus.bench.ts [--input threads.jsonl] [--dir /tmp/wayfarer-bench]
 *
 * Input: `--input`, or `<dir>/threads-1m.jsonl`, made once by importing the dump that
 * `bench/import.bench.ts` generates in the same folder (run that first).
 * Runs, each in its own process so that peak RSS (the kernel's `maxRSS`) is that run's alone:
 * - `passthrough`: read every thread (`readThreadsJsonl`: parse + shape check) and write it back
 *   as JSONL — the floor of any pass over the file, and the reference for the ratio;
 * - `corpus`: `buildCorpus` with the default settings (all filters, PII scrubbing, exact and
 *   near-duplicate removal of posts and comments, splits, card);
 * - `corpus, no near-dup comments`: the same with `dedup.nearComments: false`, to show what the
 *   MinHash index of comments costs in time and memory.
 * Prints a table and one JSON line with every number.
 */
import { execFileSync } from "node:child_process";
import { createWriteStream, existsSync, mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildCorpus } from "../src/corpus/clean.ts";
import { importThreads, readThreadsJsonl } from "../src/reddit/import.ts";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

interface RunResult {
  run: string;
  seconds: number;
  cpuSeconds: number;
  peakRssMiB: number;
  threads: number;
  comments: number;
}

/** One measured run, in this process (called in a child: see main). */
async function part(name: string, input: string): Promise<RunResult> {
  const out = mkdtempSync(join(tmpdir(), "wf-corpus-bench-"));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let threads = 0;
  let comments = 0;
  try {
    if (name === "passthrough") {
      const w = createWriteStream(join(out, "copy.jsonl"), { highWaterMark: 1 << 20 });
      for await (const t of readThreadsJsonl(input)) {
        threads++;
        comments += t.comments.length;
        if (!w.write(`${JSON.stringify(t)}\n`)) await new Promise<void>((r) => w.once("drain", () => r()));
      }
      await new Promise<void>((r) => w.end(() => r()));
    } else {
      const card = await buildCorpus({
        inFile: input,
        outDir: out,
        options: name === "corpus" ? {} : { dedup: { nearComments: false } },
      });
      threads = card.input.threads;
      comments = card.input.comments;
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  const cpu = process.cpuUsage(cpu0);
  return {
    run: name,
    seconds: Number(((performance.now() - t0) / 1000).toFixed(2)),
    cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    threads,
    comments,
  };
}

async function main(): Promise<void> {
  const partName = arg("part", "");
  const dir = arg("dir", "/tmp/wayfarer-bench");
  let input = arg("input", "");
  if (partName) {
    console.log(JSON.stringify(await part(partName, input)));
    return;
  }
  if (!input) {
    input = join(dir, "threads-1m.jsonl");
    if (!existsSync(input)) {
      const rs = join(dir, "RS_bench_20000.zst");
      const rc = join(dir, "RC_bench_1000000.zst");
      if (!existsSync(rs) || !existsSync(rc)) {
        console.error(`no input: pass --input FILE, or run bench/import.bench.ts first (it writes ${rs} and ${rc})`);
        process.exit(2);
      }
      await importThreads({ inputs: [{ path: rs }, { path: rc }], outFile: input, tmpDir: dir });
    }
  }
  console.log(
    `input ${input}; ${availableParallelism()} cores, load ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}`,
  );
  const self = fileURLToPath(import.meta.url);
  const results: RunResult[] = [];
  for (const name of ["passthrough", "corpus", "corpus-no-near-comments"]) {
    const out = execFileSync(process.execPath, ["--import", "tsx", self, "--part", name, "--input", input], {
      encoding: "utf8",
      maxBuffer: 1 << 20,
    });
    results.push(JSON.parse(out.trim().split("\n").at(-1)!) as RunResult);
  }
  const ref = results[0]!;
  console.log("| run | wall | CPU-s | comments/s | vs passthrough | peak RSS |");
  console.log("| --- | --- | --- | --- | --- | --- |");
  for (const r of results) {
    const rate = r.comments / r.seconds;
    console.log(
      `| ${r.run} | ${r.seconds.toFixed(2)} s | ${r.cpuSeconds.toFixed(2)} | ${Math.round(rate).toLocaleString("en")} | ${(ref.seconds / r.seconds).toFixed(3)} | ${r.peakRssMiB} MiB |`,
    );
  }
  console.log(JSON.stringify({ input, results, loadAverageAfter: loadavg() }));
}

await main();
