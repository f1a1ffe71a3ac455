/**
 * The rater UI on a phone: a 390×844 touch viewport (isMobile, hasTouch) in headless Chromium. A rater
 * completes every task by tapping only (no keyboard), and no page state scrolls horizontally.
 * Needs /usr/bin/chromium; skips with a message when it is absent.
 */
import { existsSync } from "node:fs";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CreatedRatingTasks, createRatingTasks, DEFAULT_CRITERIA } from "../../src/evaluation/human/tasks.ts";
import { WayfarerServer } from "../../src/server/server.ts";
import { Store } from "../../src/store/store.ts";

const CHROMIUM = process.env.WAYFARER_CHROMIUM ?? "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(
    `test/browser: skipped — no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set WAYFARER_CHROMIUM)`,
  );

const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"];
const PHONE = { width: 390, height: 844 };
// Long unbreakable text, the usual cause of horizontal overflow on a phone.
const LONG_URL = `https://www.reddit.com/r/travel/comments/${"x".repeat(180)}/where_to_stay_in_lisbon_for_a_week`;

describe.skipIf(!hasChromium)("rater UI on a phone (touch only)", () => {
  let store: Store;
  let server: WayfarerServer;
  let browser: Browser;
  let context: BrowserContext;
  let created: CreatedRatingTasks;

  beforeAll(async () => {
    store = Store.open(":memory:");
    const items = ["q1", "q2"].flatMap((q) =>
      ["base", "dpo"].map((variant) => ({
        variant,
        item_id: q,
        question: q === "q1" ? `Where should I stay? See ${LONG_URL}` : `Is ${"Alfama".repeat(30)} safe at night?`,
        answer: `Answer from ${variant}: ${LONG_URL}\n\n| table | that | is | wide | ${"col | ".repeat(20)}`,
      })),
    );
    created = createRatingTasks(store, {
      experiment: "phone",
      items,
      raters: ["ana", "ben"],
      raterPerItem: 2,
      pairwise: true,
      seed: 3,
      gold: [{ question: "Capital of Portugal?", answer: "Lisbon.", expected: { accuracy: 5 } }],
    });
    server = await WayfarerServer.create({ store, port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    context = await browser.newContext({
      viewport: PHONE,
      screen: PHONE,
      deviceScaleFactor: 3,
      isMobile: true,
      hasTouch: true,
    });
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.dispose();
    store?.dispose();
  });

  async function expectNoHorizontalOverflow(page: Page, where: string): Promise<void> {
    const m = await page.evaluate(() => {
      const d = (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document;
      return {
        scrollWidth: d.documentElement.scrollWidth,
        innerWidth: (globalThis as unknown as { innerWidth: number }).innerWidth,
      };
    });
    expect(m.innerWidth, where).toBe(PHONE.width);
    expect(m.scrollWidth, `${where}: page is wider than the screen`).toBeLessThanOrEqual(m.innerWidth);
  }

  const progressOf = (page: Page) => page.locator("#progress").textContent();

  it("a rater rates every task by tapping, and nothing overflows horizontally", async () => {
    const ana = created.raters[0]!;
    expect(ana.tasks).toBe(4 + 2 + 1); // 4 answers, 2 comparisons, 1 gold item
    const page = await context.newPage();
    const keys: string[] = [];
    await page.exposeFunction("__key", (k: string) => keys.push(k));
    await page.addInitScript(() => {
      (
        globalThis as unknown as { addEventListener(t: string, f: (e: { key: string }) => void, c: boolean): void }
      ).addEventListener("keydown", (e) => (globalThis as unknown as { __key(k: string): void }).__key(e.key), true);
    });
    await page.goto(`${server.url}${ana.link}`);
    await expect.poll(() => progressOf(page)).toBe(`0 / ${ana.tasks} rated`);
    await expectNoHorizontalOverflow(page, "first task");

    let singles = 0;
    for (let k = 0; k < ana.tasks; k++) {
      const card = page.locator("section[data-task]");
      const id = Number(await card.getAttribute("data-task"));
      // Touch targets: every score button at least 44×44 CSS px and fully on screen.
      for (const box of await Promise.all((await page.locator(".crit button").all()).map((b) => b.boundingBox()))) {
        expect(box!.width).toBeGreaterThanOrEqual(44);
        expect(box!.height).toBeGreaterThanOrEqual(44);
        expect(box!.x).toBeGreaterThanOrEqual(0);
        expect(box!.x + box!.width).toBeLessThanOrEqual(PHONE.width);
      }
      if ((await page.locator("[data-choice]").count()) > 0) {
        await page.locator('[data-choice="b"]').tap();
        await expect.poll(() => page.locator('[data-choice="b"].on').count()).toBe(1);
      }
      const criteria = await page
        .locator(".crit")
        .evaluateAll((rows) => rows.map((r) => (r as unknown as { dataset: { criterion: string } }).dataset.criterion));
      for (const [i, c] of criteria.entries()) {
        const button = page.locator(`.crit button[aria-label="${c} ${((k + i) % 5) + 1}"]`);
        await button.scrollIntoViewIfNeeded();
        await button.tap();
      }
      await expect.poll(() => page.locator(".crit button.on").count()).toBe(criteria.length);
      await expectNoHorizontalOverflow(page, `task ${k + 1} rated`);
      await page.locator("#save").tap();
      await expect.poll(() => progressOf(page)).toBe(`${k + 1} / ${ana.tasks} rated`);
      const stored = store.db.prepare("SELECT COUNT(*) AS n FROM ratings WHERE assignment_id = ?").get(id) as {
        n: number;
      };
      expect(stored.n).toBe(criteria.length);
      singles += criteria.length === DEFAULT_CRITERIA.length ? 1 : 0;
    }
    expect(singles).toBe(4 + 1);
    await expect.poll(() => page.locator(".all-done").count()).toBe(1);
    await expectNoHorizontalOverflow(page, "all done");
    // Comparisons were answered by tapping too.
    expect(
      (
        store.db
          .prepare(
            "SELECT COUNT(*) AS n FROM pair_choices c JOIN rating_assignments a ON a.id = c.assignment_id JOIN raters r ON r.id = a.rater_id WHERE r.name = 'ana'",
          )
          .get() as { n: number }
      ).n,
    ).toBe(2);
    // No key was pressed at any point: the whole task was done by touch.
    expect(keys).toEqual([]);
    await page.close();
  });
});
