import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { WayfarerError } from "../errors/wayfarer-error.ts";
import { MIGRATIONS } from "./migrations.ts";

/**
 * The workspace store: one SQLite file (WAL mode) holding runs, stage outcomes, generations,
 * scores and (later) ratings. Create with `Store.open(path)`; close with `dispose()` or `using`.
 * Every write helper runs in a transaction, so a crash loses nothing that returned.
 */
export class Store {
  readonly path: string;
  /** The underlying better-sqlite3 handle, for modules that own their own tables. */
  readonly db: Database.Database;
  #disposed = false;

  private constructor(path: string, db: Database.Database) {
    this.path = path;
    this.db = db;
  }

  /** Opens (creating if needed) the store at `path` and applies pending migrations. */
  static open(path: string): Store {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    let db: Database.Database;
    try {
      db = new Database(path);
    } catch (cause) {
      throw new WayfarerError(`${path}: cannot open the store (${(cause as Error).message})`, { cause });
    }
    let applied: number;
    try {
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.pragma("foreign_keys = ON");
      db.pragma("busy_timeout = 5000");
      applied = db.pragma("user_version", { simple: true }) as number;
    } catch (cause) {
      // e.g. SQLITE_NOTADB: the path names some other file
      db.close();
      throw new WayfarerError(`${path}: cannot open the store (${(cause as Error).message}); is it a Wayfarer store?`, {
        cause,
      });
    }
    if (applied > MIGRATIONS.length) {
      db.close();
      throw new WayfarerError(
        `${path}: the store was written by a newer Wayfarer (schema ${applied}, this one knows ${MIGRATIONS.length}); upgrade Wayfarer or use another workspace`,
      );
    }
    for (let i = applied; i < MIGRATIONS.length; i++) {
      const migration = MIGRATIONS[i]!;
      db.transaction(() => {
        db.exec(migration.sql);
        db.pragma(`user_version = ${i + 1}`);
      })();
    }
    return new Store(path, db);
  }

  /**
   * Runs `fn` in one SQLite transaction (nested calls become savepoints) and returns its result; a
   * throw rolls everything back and is rethrown. The way code outside src/store/ groups store writes.
   */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.db.close();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
