/**
 * Browser tests of the rater UI: headless Debian Chromium driven by playwright-core, against a real
 * `wayfarer serve` child process that the test kills (SIGKILL) and restarts between submissions.
 * Needs /usr/bin/chromium (`apt-get install -y chromium`); skips with a message when it is absent.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CreatedRatingTasks, createRatingTasks, DEFAULT_CRITERIA } from "../../src/evaluation/human/tasks.ts";
import { Store } from "../../src/store/store.ts";

const CHROMIUM = process.env.WAYFARER_CHROMIUM ?? "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(
    `test/browser: skipped — no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set WAYFARER_CHROMIUM)`,
  );

const ROOT = new URL("../../", import.meta.url).pathname;
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const EVIL = `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> Is the Alfama safe at night?`;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe.skipIf(!hasChromium)("rater UI in Chromium", () => {
  let dir: string;
  let storePath: string;
  let port: number;
  let base: string;
  let child: ChildProcess | undefined;
  let context: BrowserContext;
  let created: CreatedRatingTasks;

  async function startServer(): Promise<void> {
    const proc = spawn(
      process.execPath,
      [join(ROOT, "bin/wayfarer.js"), "serve", "--store", storePath, "--port", String(port)],
      { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
    );
    child = proc;
    let log = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start: ${log}`)), 30_000);
      proc.stdout!.on("data", (d: Buffer) => {
        log += d.toString();
        if (log.includes("listening on")) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.stderr!.on("data", (d: Buffer) => (log += d.toString()));
      proc.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`server exited (${code}): ${log}`));
      });
    });
  }

  async function killServer(): Promise<void> {
    const proc = child;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once("exit", () => resolve());
      proc.kill("SIGKILL");
    });
    child = undefined;
  }

  /** Reads what the store holds right now (the server may be dead). */
  function storedRatings(rater: string): Map<number, Record<string, number>> {
    using store = Store.open(storePath);
    const rows = store.db
      .prepare(
        "SELECT g.assignment_id AS id, g.criterion, g.score FROM ratings g JOIN rating_assignments a ON a.id = g.assignment_id JOIN raters r ON r.id = a.rater_id WHERE r.name = ?",
      )
      .all(rater) as Array<{ id: number; criterion: string; score: number }>;
    const out = new Map<number, Record<string, number>>();
    for (const r of rows) out.set(r.id, { ...out.get(r.id), [r.criterion]: r.score });
    return out;
  }

  /** Rates the item on screen with the keyboard only; returns its id and the scores typed. */
  async function rateCurrent(page: Page, seed: number): Promise<{ id: number; scores: Record<string, number> }> {
    const id = Number(await page.locator("section[data-task]").getAttribute("data-task"));
    const scores: Record<string, number> = {};
    for (const [i, c] of DEFAULT_CRITERIA.entries()) {
      const v = ((seed + i * 3) % 5) + 1;
      scores[c] = v;
      await page.keyboard.press(String(v));
    }
    return { id, scores };
  }

  async function submitAndWait(page: Page, expectDone: number): Promise<void> {
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator("#progress").textContent()).toMatch(new RegExp(`^${expectDone} / `));
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "wf-browser-"));
    storePath = join(dir, "store.sqlite");
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const items = ["q1", "q2", "q3"].flatMap((q) =>
      ["base", "dpo"].map((variant) => ({
        variant,
        item_id: q,
        question: q === "q2" ? EVIL : `Where should I stay in ${q}?`,
        answer: `Answer from ${variant} to ${q}`,
      })),
    );
    {
      using store = Store.open(storePath);
      created = createRatingTasks(store, {
        experiment: "browser",
        items,
        raters: ["ana", "ben", "cho"],
        raterPerItem: 2,
        seed: 11,
      });
    }
    await startServer();
    context = await chromium.launchPersistentContext(join(dir, "profile"), {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
    });
  });

  afterAll(async () => {
    await context?.close();
    await killServer();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("two raters rate all their items by keyboard; server killed between submissions loses nothing", async () => {
    for (const [r, cred] of created.raters.slice(0, 2).entries()) {
      const page = await context.newPage();
      await page.goto(`${base}${cred.link}`);
      await expect.poll(() => page.locator("#progress").textContent()).toBe(`0 / ${cred.tasks} rated`);
      expect(cred.tasks).toBe(4);
      const typed = new Map<number, Record<string, number>>();
      for (let k = 0; k < cred.tasks; k++) {
        const { id, scores } = await rateCurrent(page, k + r);
        typed.set(id, scores);
        if (k === 2) {
          // The server dies before this submission: the page keeps the answers and says so.
          await killServer();
          await page.keyboard.press("Enter");
          await expect.poll(() => page.locator("#status").textContent()).toMatch(/Not saved/);
          expect(storedRatings(cred.name).size).toBe(2);
          await startServer();
        }
        await submitAndWait(page, k + 1);
        if (k === 0) {
          // Killed right after a submission: everything submitted is in the store.
          await killServer();
          expect(storedRatings(cred.name)).toEqual(new Map([[id, scores]]));
          await startServer();
        }
      }
      await expect.poll(() => page.locator(".all-done").count()).toBe(1);
      expect(storedRatings(cred.name)).toEqual(typed);
      await page.close();
    }
    // The third rater did nothing.
    expect(storedRatings("cho").size).toBe(0);
  });

  it("resumes where the rater left off", async () => {
    const cho = created.raters[2]!;
    const page = await context.newPage();
    await page.goto(`${base}${cho.link}`);
    await expect.poll(() => page.locator("#progress").textContent()).toBe("0 / 4 rated");
    const first = await rateCurrent(page, 1);
    await submitAndWait(page, 1);
    await page.close();
    const again = await context.newPage();
    await again.goto(`${base}${cho.link}`);
    await expect.poll(() => again.locator("#progress").textContent()).toBe("1 / 4 rated");
    const shown = Number(await again.locator("section[data-task]").getAttribute("data-task"));
    expect(shown).not.toBe(first.id);
    // Going back shows the saved scores highlighted.
    await again.keyboard.press("ArrowLeft");
    await expect
      .poll(async () => Number(await again.locator("section[data-task]").getAttribute("data-task")))
      .toBe(first.id);
    expect(await again.locator(".crit button.on").count()).toBe(DEFAULT_CRITERIA.length);
    await again.close();
  });

  it("a rater cannot read or post another rater's items", async () => {
    const [ana, ben] = created.raters;
    const page = await context.newPage();
    await page.goto(`${base}${ana!.link}`);
    type TaskList = { tasks: Array<{ id: number }> };
    const anaTasks = await page.evaluate(
      async (api) => ((await (await fetch(api)).json()) as TaskList).tasks.map((t) => t.id),
      `/api/r/${ana!.token}/tasks`,
    );
    const benTasks = ((await (await fetch(`${base}/api/r/${ben!.token}/tasks`)).json()) as TaskList).tasks.map(
      (t) => t.id,
    );
    const foreign = benTasks.find((id) => !anaTasks.includes(id))!;
    expect(foreign).toBeDefined();
    const before = storedRatings("ben").get(foreign);
    // Same origin, valid CSRF token, but not ana's assignment: 404 and nothing changes.
    const status = await page.evaluate(
      async ({ api, id }) => {
        const doc = (globalThis as unknown as { document: { querySelector(s: string): { content: string } } }).document;
        const csrf = doc.querySelector('meta[name="csrf-token"]').content;
        const res = await fetch(api, {
          method: "POST",
          headers: { "content-type": "application/json", "x-csrf-token": csrf },
          body: JSON.stringify({ assignmentId: id, scores: { helpfulness: 1 } }),
        });
        return res.status;
      },
      { api: `/api/r/${ana!.token}/ratings`, id: foreign },
    );
    expect(status).toBe(404);
    expect(storedRatings("ben").get(foreign)).toEqual(before);
    // A guessed token sees nothing.
    expect((await fetch(`${base}/api/r/not-a-token/tasks`)).status).toBe(404);
    expect((await fetch(`${base}/r/not-a-token`)).status).toBe(404);
    // Answers never name the model.
    const body = await (await fetch(`${base}/api/r/${ana!.token}/tasks`)).text();
    expect(body).not.toMatch(/"variant"/);
    await page.close();
  });

  it("refuses cross-site posts (Origin and CSRF token)", async () => {
    const ana = created.raters[0]!;
    const html = await (await fetch(`${base}${ana.link}`)).text();
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(html)![1]!;
    const post = (headers: Record<string, string>) =>
      fetch(`${base}/api/r/${ana.token}/ratings`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ assignmentId: 1, scores: { helpfulness: 1 } }),
      });
    expect((await post({ origin: "http://evil.example", "x-csrf-token": csrf })).status).toBe(403);
    expect((await post({ origin: base })).status).toBe(403);
    expect((await post({ origin: base, "x-csrf-token": "forged" })).status).toBe(403);
    // From another origin in the browser: the request is refused and nothing is stored.
    const page = await context.newPage();
    await page.goto(`http://localhost:${port}/`);
    const before = storedRatings("ana");
    const result = await page.evaluate(
      async ({ url, csrf }) => {
        try {
          const res = await fetch(url, {
            method: "POST",
            headers: { "content-type": "application/json", "x-csrf-token": csrf },
            body: JSON.stringify({ assignmentId: 1, scores: { helpfulness: 1 } }),
          });
          return res.status;
        } catch {
          return "blocked";
        }
      },
      { url: `${base}/api/r/${ana.token}/ratings`, csrf },
    );
    expect(result === "blocked" || result === 403).toBe(true);
    expect(storedRatings("ana")).toEqual(before);
    await page.close();
  });

  it("renders a <script> in a question as text", async () => {
    const page = await context.newPage();
    // Find a rater with the q2 item and walk to it.
    for (const cred of created.raters) {
      await page.goto(`${base}${cred.link}`);
      await expect.poll(() => page.locator("#progress").textContent()).toMatch(/rated$/);
      for (let k = 0; k < cred.tasks; k++) {
        const q = await page.locator(".question").textContent();
        if (q?.includes("<script>")) {
          expect(q).toBe(EVIL);
          expect(await page.locator(".question script, .question img").count()).toBe(0);
          expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
          await page.close();
          return;
        }
        await page.keyboard.press("ArrowRight");
      }
    }
    throw new Error("no rater had the item with the script tag");
  });

  it("the admin link sees every assignment with model names", async () => {
    const page = await context.newPage();
    await page.goto(`${base}${created.admin.link}`);
    await expect.poll(() => page.locator("table tr").count()).toBe(1 + 12);
    expect(await page.locator("table").textContent()).toContain("dpo");
    await page.close();
  });
});
