const a = new Int32Array(1<<20); for (let i=0;i<a.length;i++) a[i]=i*7;
let t0=performance.now(), s=0; for (let r=0;r<100;r++) for (let i=0;i<a.length;i++) s+=a[i]&1;
console.log("int loop ns/elem", ((performance.now()-t0)*1e6/(100*a.length)).toFixed(2));
const str = "hello world, this is a test. ".repeat(100000);
t0=performance.now(); s=0; for (let r=0;r<10;r++) for (let i=0;i<str.length;i++) s+=str.charCodeAt(i)===32?1:0;
console.log("charCodeAt ns/char", ((performance.now()-t0)*1e6/(10*str.length)).toFixed(2), s);
