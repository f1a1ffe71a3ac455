import { readFileSync } from "node:fs";
import { parse } from "csv-parse/sync";
const rows = parse(readFileSync("../shared/data/wanderchat/golden_model_outputs.csv","utf8")) as string[][];
const header = rows[0]!;
const cols = header.flatMap((h, i) => (h.endsWith("Output") ? [i] : []));
let texts = rows.slice(1).flatMap((r) => cols.map((c) => r[c]!));
if (process.env.FLAT) texts = texts.map(t => JSON.parse(JSON.stringify(t)));
function scan(s: string) { let k = 0; for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 32) k++; return k; }
function slices(s: string) { const out: string[] = []; let st = 0; for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 32) { out.push(s.slice(st, i)); st = i + 1; } return out.length; }
for (const [name, f] of [["scan", scan], ["slices", slices], ["split", (s: string) => s.split(" ").length]] as const) {
  const t0 = performance.now(); let n = 0;
  for (let r = 0; r < 20; r++) for (const t of texts) n += f(t);
  console.log(name, ((performance.now() - t0) / (20 * texts.length) * 1000).toFixed(1), "us/text");
}
