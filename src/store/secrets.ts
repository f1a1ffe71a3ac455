/**
 * Server secrets (`server_secrets`: name -> value): the CSRF key of `wayfarer serve`, kept in the store so
 * tokens stay valid across server restarts. Values are never logged.
 */
import type { Store } from "./store.ts";

/**
 * The secret called `name`, created by `create()` on first use. Two processes racing to create it agree:
 * the first insert wins and both return the stored value.
 */
export function serverSecret(store: Store, name: string, create: () => string): string {
  const select = store.db.prepare<[string], { value: string }>("SELECT value FROM server_secrets WHERE name = ?");
  const row = select.get(name);
  if (row) return row.value;
  store.db.prepare("INSERT OR IGNORE INTO server_secrets (name, value) VALUES (?, ?)").run(name, create());
  return select.get(name)!.value;
}
