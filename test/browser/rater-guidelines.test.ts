/**
 * The rater UI's guidelines in headless Chromium: every criterion a rater is asked about is defined (what it
 * means, what a 1 and a 5 look like) above the items and under the criterion's name; a criterion without a
 * written definition says so. Needs /usr/bin/chromium; skips with a message when it is absent.
 */
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRatingTasks, DEFAULT_CRITERIA } from "../../src/evaluation/human/tasks.ts";
import { CRITERION_GUIDELINES } from "../../src/server/rater-ui.ts";
import { WayfarerServer } from "../../src/server/server.ts";
import { Store } from "../../src/store/store.ts";

const CHROMIUM = process.env.WAYFARER_CHROMIUM ?? "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`test/browser: skipped — no Chromium at ${CHROMIUM}`);

describe.skipIf(!hasChromium)("rater guidelines in Chromium", () => {
  const store = Store.open(":memory:");
  let server: WayfarerServer;
  let browser: Browser;
  let link: string;
  beforeAll(async () => {
    const created = createRatingTasks(store, {
      experiment: "g",
      items: ["base", "sft"].map((variant) => ({
        variant,
        item_id: "q1",
        question: "Oyster or contactless?",
        answer: `${variant}: tap your card.`,
      })),
      raters: ["ana", "ben"],
      criteria: [...DEFAULT_CRITERIA, "vibes"],
      seed: 1,
    });
    server = await WayfarerServer.create({ store, port: 0 });
    link = `${server.url}${created.raters[0]!.link}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu"],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
    store.dispose();
  });

  it("defines each criterion above the items and under its name", async () => {
    const page = await browser.newPage();
    await page.goto(link);
    await expect.poll(() => page.locator("[data-criterion]").count()).toBe(6);
    const guide = await page
      .locator("#criteria-guide")
      .evaluate((dl) =>
        [...dl.querySelectorAll("dt")].map((dt) => [dt.textContent, dt.nextElementSibling?.textContent ?? ""]),
      );
    expect(guide.map(([c]) => c)).toEqual([...DEFAULT_CRITERIA, "vibes"]);
    for (const c of DEFAULT_CRITERIA) {
      const g = CRITERION_GUIDELINES[c]!;
      expect(guide.find(([name]) => name === c)![1]).toBe(`${g.means} 1 = ${g.low}; 5 = ${g.high}.`);
    }
    expect(guide.at(-1)![1]).toMatch(/^No written definition for this criterion/);
    expect(await page.locator("#guidelines").getAttribute("open")).not.toBeNull();
    expect(await page.locator("#guidelines > p").textContent()).toContain(
      "1 poor · 2 weak · 3 acceptable · 4 good · 5 excellent",
    );
    const accuracy = page.locator('[data-criterion="accuracy"] .def');
    expect(await accuracy.textContent()).toContain(CRITERION_GUIDELINES.accuracy!.means);
    await page.close();
  });
});
