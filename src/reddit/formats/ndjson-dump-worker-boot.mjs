// Entry of the dump-parsing worker threads: loads TypeScript through tsx (as bin/wayfarer.js does),
// then the worker itself. Workers do not inherit the main thread's module hooks.
import { register } from "tsx/esm/api";

register();
await import("./ndjson-dump-worker.ts");
