import { readFileSync, writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { parse } from "csv-parse/sync";
import { sentenceBleu } from "../../src/evaluation/metrics/bleu.ts";
import { sentenceChrf } from "../../src/evaluation/metrics/chrf.ts";
import { meteor, WordNet } from "../../src/evaluation/metrics/meteor.ts";
import { rougeScores } from "../../src/evaluation/metrics/rouge.ts";
const rows = parse(readFileSync("../shared/data/wanderchat/golden_model_outputs.csv","utf8")) as string[][];
const header = rows[0]!;
const gold = header.indexOf("Golden Answer");
const cols = header.flatMap((h, i) => (h.endsWith("Output") ? [i] : []));
const hyps = rows.slice(1).flatMap((r) => cols.map((c) => r[c]!));
const refs = rows.slice(1).map((r) => r[gold]!);
const N = Number(process.env.N ?? 2000);
const only = process.env.ONLY?.split(",");
const pairs = Array.from({ length: N }, (_, k) => ({ hyp: hyps[k % hyps.length]!, ref: refs[(k * 7 + Math.floor(k / hyps.length)) % refs.length]! }));
const wordnet = WordNet.fromWordnetDb();
meteor("warm up", ["warm up"], { wordnet });
const ours: Record<string, (h: string, r: string) => number[]> = {
  bleu: (h, r) => { const s = sentenceBleu(h, [r]); return [s.score, ...s.counts, ...s.totals, s.sysLen, s.refLen]; },
  rouge: (h, r) => { const s = rougeScores(h, [r]); return [s.rouge1.fmeasure, s.rouge1.precision, s.rouge2.fmeasure, s.rouge2.recall, s.rougeL.fmeasure, s.rougeLsum.fmeasure, s.rougeLsum.precision]; },
  chrf: (h, r) => { const s = sentenceChrf(h, [r]); return [s.score, ...s.stats]; },
  meteor: (h, r) => { const s = meteor(h, [r], { wordnet }); return [s.score, s.matches, s.chunks]; },
};
const out: Record<string, number[][]> = {};
for (const [name, fn] of Object.entries(ours)) {
  if (only && !only.includes(name)) continue;
  const t0 = performance.now();
  out[name] = pairs.map((p) => fn(p.hyp, p.ref));
  console.log(name, ((performance.now() - t0) / 1000).toFixed(3), "s");
}
if (process.env.SAVE) writeFileSync(process.env.SAVE, JSON.stringify(out));
if (process.env.CMP) {
  const old = JSON.parse(readFileSync(process.env.CMP, "utf8")) as Record<string, number[][]>;
  for (const name of Object.keys(out)) {
    let md = 0;
    out[name]!.forEach((v, i) => v.forEach((x, j) => { md = Math.max(md, Math.abs(x - old[name]![i]![j]!)); }));
    console.log("cmp", name, md);
  }
}
