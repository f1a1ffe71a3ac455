import { readFileSync, readdirSync } from "node:fs";
const dir = process.argv[2];
const f = readdirSync(dir).filter(x=>x.endsWith(".cpuprofile")).map(x=>[x,readFileSync(dir+"/"+x).length]).sort((a,b)=>b[1]-a[1])[0][0];
const p = JSON.parse(readFileSync(dir+"/"+f,"utf8"));
const self = new Map(); const total = p.samples.length;
const byId = new Map(p.nodes.map(n=>[n.id,n]));
const counts = new Map(); for (const s of p.samples) counts.set(s,(counts.get(s)??0)+1);
for (const [id,c] of counts) { const n=byId.get(id); const k=`${n.callFrame.functionName||"(anon)"} ${n.callFrame.url.split("/").pop()}:${n.callFrame.lineNumber}`; self.set(k,(self.get(k)??0)+c); }
[...self].sort((a,b)=>b[1]-a[1]).slice(0,25).forEach(([k,c])=>console.log((100*c/total).toFixed(1)+"%",k));
