import { readFileSync } from "node:fs";
import { parse } from "csv-parse/sync";
import { tokenize13a, tokenize13aRegex } from "../../src/evaluation/metrics/support/tokenizer-13a.ts";
import { sentenceBleu } from "../../src/evaluation/metrics/bleu.ts";
const rows = parse(readFileSync("../shared/data/wanderchat/golden_model_outputs.csv","utf8")) as string[][];
const header = rows[0]!;
const gold = header.indexOf("Golden Answer");
const cols = header.flatMap((h, i) => (h.endsWith("Output") ? [i] : []));
const hyps = rows.slice(1).flatMap((r) => cols.map((c) => r[c]!));
const refs = rows.slice(1).map((r) => r[gold]!);
const texts = [...hyps, ...refs];
for (const [name, f] of [["fast", tokenize13a], ["regex", tokenize13aRegex], ["fast", tokenize13a]] as const) {
  const t0 = performance.now(); let n = 0;
  for (let r = 0; r < 20; r++) for (const t of texts) n += f(t).length;
  console.log(name, ((performance.now() - t0) / (20 * texts.length) * 1000).toFixed(1), "us/text", n / 20 / texts.length, "tokens/text");
}
const t0 = performance.now();
for (let k = 0; k < 4000; k++) sentenceBleu(hyps[k % 222]!, [refs[k % 37]!]);
console.log("bleu", ((performance.now() - t0) / 4000 * 1000).toFixed(1), "us/pair");
