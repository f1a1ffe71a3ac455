let str = "hello world, this is a test. ".repeat(100000);
str = JSON.parse(JSON.stringify(str));
function scan(str){ let s=0; for (let i=0;i<str.length;i++) s+=str.charCodeAt(i)===32?1:0; return s;}
for (let k=0;k<3;k++){ const t0=performance.now(); let s=0; for (let r=0;r<10;r++) s+=scan(str);
console.log("charCodeAt ns/char (fn)", ((performance.now()-t0)*1e6/(10*str.length)).toFixed(2), s);}
