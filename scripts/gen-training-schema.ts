/**
 * Writes trainer/schema/job.schema.json from the zod schemas in src/config/training.ts (the one
 * source of the trainer's job-spec contract). Run after changing a training setting:
 * `npm run gen:training-schema`; test/unit/config/training-schema.test.ts fails while it is stale.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { jobJsonSchema } from "../src/config/training.ts";

const out = fileURLToPath(new URL("../trainer/schema/job.schema.json", import.meta.url));
writeFileSync(out, `${JSON.stringify(jobJsonSchema(), null, 2)}\n`);
console.log(`wrote ${out}`);
