import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CACHED_BASE_MODELS, resolveGgufPath } from "../../../src/models/model-cache.ts";

describe("model cache names", () => {
  const home = mkdtempSync(join(tmpdir(), "wayfarer-model-cache-"));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it("resolves both setup base models by name to <home>/models/<name>/<file>", () => {
    expect(CACHED_BASE_MODELS.map((m) => m.name)).toEqual(["smollm2-135m-instruct-q4_1", "gemma-3-270m-q4_k_m"]);
    for (const m of CACHED_BASE_MODELS) {
      mkdirSync(join(home, "models", m.name), { recursive: true });
      writeFileSync(join(home, "models", m.name, m.file), "GGUF");
      expect(resolveGgufPath(m.name, { WAYFARER_HOME: home })).toBe(join(home, "models", m.name, m.file));
    }
  });

  it("a missing name says which names setup installs", () => {
    expect(() => resolveGgufPath("gemma-3-1b", { WAYFARER_HOME: home })).toThrow(
      /model "gemma-3-1b" is not in the model cache .*setup installs smollm2-135m-instruct-q4_1, gemma-3-270m-q4_k_m/,
    );
  });
});
