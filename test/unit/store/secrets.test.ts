import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadServerSecret } from "../../../src/server/csrf.ts";
import { serverSecret } from "../../../src/store/secrets.ts";
import { Store } from "../../../src/store/store.ts";

describe("server secrets", () => {
  it("the CSRF secret is created once (64 hex chars) and survives reopening the store", () => {
    const path = join(mkdtempSync(join(tmpdir(), "wf-secret-")), "w.db");
    let first: string;
    {
      using store = Store.open(path);
      first = loadServerSecret(store);
      expect(first).toMatch(/^[0-9a-f]{64}$/);
      expect(loadServerSecret(store)).toBe(first);
    }
    using store = Store.open(path);
    expect(loadServerSecret(store)).toBe(first);
    // a second creator loses the race: the stored value wins, its own is never used
    expect(serverSecret(store, "csrf", () => "other")).toBe(first);
    expect(serverSecret(store, "another", () => "v2")).toBe("v2");
  });
});
