#!/usr/bin/env node
// Entry point: runs the TypeScript sources through tsx (no build step).
import { register } from "tsx/esm/api";

register();
process.env.WAYFARER_CLI_ENTRY = "1";
await import("../src/cli/main.ts");
