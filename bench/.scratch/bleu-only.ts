import { readFileSync } from "node:fs";
import { parse } from "csv-parse/sync";
import { sentenceBleu } from "../../src/evaluation/metrics/bleu.ts";
import { sentenceChrf } from "../../src/evaluation/metrics/chrf.ts";
const rows = parse(readFileSync("../shared/data/wanderchat/golden_model_outputs.csv","utf8")) as string[][];
const header = rows[0]!;
const gold = header.indexOf("Golden Answer");
const cols = header.flatMap((h, i) => (h.endsWith("Output") ? [i] : []));
const hyps = rows.slice(1).flatMap((r) => cols.map((c) => r[c]!));
const refs = rows.slice(1).map((r) => r[gold]!);
const f = process.env.M === "chrf" ? (h: string, r: string) => sentenceChrf(h, [r]).score : (h: string, r: string) => sentenceBleu(h, [r]).score;
for (let rep = 0; rep < 3; rep++) {
const t0 = performance.now();
for (let k = 0; k < 4000; k++) f(hyps[k % 222]!, refs[k % 37]!);
console.log(process.env.M ?? "bleu", ((performance.now() - t0) / 4000 * 1000).toFixed(1), "us/pair");
}
