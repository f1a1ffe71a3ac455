/**
 * "Store queries live in store/" (ARCHITECTURE.md, issue 13): outside src/store/ no module reaches the
 * SQLite handle (`store.db`, `{ db } = store`) or prepares / executes SQL text. Store writes that belong
 * together go through `store.transaction(fn)` and the typed functions of src/store/.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../helpers/paths.ts";

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** SQL statement text: a keyword followed by what makes it a statement (not English prose in a prompt). */
const SQL =
  /\b(?:SELECT\s+(?:[\w.*]+|COUNT\(|COALESCE\(|DISTINCT)[\s\S]{0,400}?\bFROM\b|INSERT\s+(?:OR\s+\w+\s+)?INTO\b|UPDATE\s+\w+\s+SET\b|DELETE\s+FROM\b|CREATE\s+(?:TABLE|INDEX|UNIQUE|VIEW|TRIGGER)\b|DROP\s+(?:TABLE|INDEX)\b|ALTER\s+TABLE\b|PRAGMA\s+\w+)/;
/** Calls that run SQL: `.prepare(`, `.exec(`, `.pragma(` with a string argument that is SQL. */
const CALL = /\.(?:prepare|exec|pragma)\s*(?:<[^>]*>)?\(\s*[`"']([^`"']*)/g;
/** The raw handle: `x.db` (property access, not a file name like "wayfarer.db") or `{ db } = ...`. */
const HANDLE = /[\w)\]]\.db\b(?!["'`\w-])|\{\s*(?:[\w\s,]*,\s*)?db\s*(?:,[\w\s,]*)?\}\s*=/;

/** Every offending line of src/ outside src/store/ as `path:line: text`. */
function offenders(): string[] {
  const src = join(ROOT, "src");
  const out: string[] = [];
  for (const f of files(src)) {
    const rel = relative(src, f);
    if (rel.startsWith("store/")) continue;
    const text = readFileSync(f, "utf8");
    const lines = text.split("\n");
    lines.forEach((line, i) => {
      const where = `src/${rel}:${i + 1}: ${line.trim()}`;
      if (HANDLE.test(line)) out.push(where);
      else if (SQL.test(line)) out.push(where);
      else
        for (const m of line.matchAll(CALL))
          if (SQL.test(m[1]!) || /^\s*(?:SELECT|INSERT|UPDATE|DELETE|CREATE|WITH|PRAGMA)\b/.test(m[1]!))
            out.push(where);
    });
    // a statement split over lines: `SELECT a, b\n FROM t` inside one template literal
    for (const m of text.matchAll(/`[^`]*`/g))
      if (SQL.test(m[0]) && !m[0].split("\n").some((l) => SQL.test(l)))
        out.push(`src/${rel}:${text.slice(0, m.index).split("\n").length}: ${m[0].slice(0, 60)}`);
  }
  return out;
}

describe("store queries live in src/store/", () => {
  it("no SQL statement and no use of the SQLite handle outside src/store/", () => {
    expect(offenders()).toEqual([]);
  });

  it("the check sees what it is meant to see (its patterns against known lines)", () => {
    const bad = [
      `const row = store.db.prepare("SELECT value FROM server_secrets WHERE name = 'csrf'").get();`,
      "const find = ctx.store.db.prepare(",
      "const { db } = o.store;",
      `"INSERT OR REPLACE INTO generations (experiment) VALUES (?)",`,
      "`SELECT status, value, reason\n FROM scores WHERE id = ?`",
      `db.exec("CREATE TABLE x (a)");`,
      `"DELETE FROM scores WHERE experiment = ?",`,
      `"UPDATE runs SET status = ? WHERE id = ?"`,
    ];
    const good = [
      "Select the best variant from the list below.",
      `const path = join(dir, "wayfarer.db");`,
      "const m = /^([A-Za-z]+)$/.exec(text);",
      "const prepared = await chat.prepare({ model: name, messages });",
      "store.transaction(() => upsertRating(store, id, criterion, score, at));",
      "// we update the view, then delete from memory",
    ];
    const flagged = (l: string) => HANDLE.test(l) || SQL.test(l);
    expect(bad.filter((l) => !flagged(l))).toEqual([]);
    expect(good.filter(flagged)).toEqual([]);
  });
});
