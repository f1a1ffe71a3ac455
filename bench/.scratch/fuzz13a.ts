import { tokenize13a, tokenize13aRegex } from "../../src/evaluation/metrics/support/tokenizer-13a.ts";
import { pyRstrip } from "../../src/evaluation/metrics/support/python-text.ts";
const alphabet = process.env.SMALL ? ["a","1",".",",","-"," ","(","\n","const alphabet = [amp;"] : ["a","b","1","9","0",".",",","-","'"," ","\n","\t","(",")","&","&amp;","&lt;","&quot;","<skipped>","$","/","\u00a0","\u2003","\u0085","\x1c","😀","\ud800","\udc00","é","\u3000","_","~","{","@",":","-\n","\r","\v"];
let seed = 1; const rnd = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff; };
let bad = 0;
for (let t = 0; t < 300000; t++) {
  const len = Math.floor(rnd() * 20);
  let s = ""; for (let i = 0; i < len; i++) s += alphabet[Math.floor(rnd() * alphabet.length)];
  const a = tokenize13a(s), b = tokenize13aRegex(s);
  if (JSON.stringify(a) !== JSON.stringify(b)) { if (bad++ < 5) console.log(JSON.stringify(s), a, b); }
  const r1 = pyRstrip(s), r2 = s.replace(/[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/, "");
  if (r1 !== r2) { if (bad++ < 5) console.log("rstrip", JSON.stringify(s)); }
}
console.log("bad", bad);
