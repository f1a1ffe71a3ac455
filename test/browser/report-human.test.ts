/**
 * The report's human section in headless Chromium (playwright-core): the evaluator-vs-human table is a
 * real table — not Markdown in a scrolling <pre> — fully visible on screen and in print, and each warning
 * is said once. Needs /usr/bin/chromium; skips with a message when it is absent.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ratedReport } from "../unit/report/report-fixture.ts";

const CHROMIUM = process.env.WAYFARER_CHROMIUM ?? "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`test/browser: skipped — no Chromium at ${CHROMIUM}`);

describe.skipIf(!hasChromium)("report human section in Chromium", () => {
  let browser: Browser;
  let url: string;
  const profile = mkdtempSync(join(tmpdir(), "wf-report-browser-"));
  beforeAll(async () => {
    const { runDir } = await ratedReport();
    url = pathToFileURL(join(runDir, "report", "report.html")).href;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
    });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    rmSync(profile, { recursive: true, force: true });
  });

  it("renders the trust table as a table, visible in full on screen and in print, warnings once", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(url);
    const table = page.locator("table.trust");
    await expect.poll(() => table.count()).toBe(1);
    expect(await table.locator("thead th").allTextContents()).toEqual([
      "evaluator",
      "criterion",
      "item level, Kendall τ-b",
      "input level, Kendall τ-b",
      "system level, Kendall τ-b",
      "pairwise agreement (with ties / without)",
      "verdict",
    ]);
    const rows = await table
      .locator("tbody tr")
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")));
    expect(rows).toHaveLength(4);
    expect(rows.map((r) => `${r[0]}/${r[1]}`).sort()).toEqual([
      "bleu/accuracy",
      "bleu/helpfulness",
      "rougeL/accuracy",
      "rougeL/helpfulness",
    ]);
    for (const r of rows) {
      expect(r[2]).toMatch(/^(n\/a|-?\d\.\d\d( \[-?\d\.\d\d, -?\d\.\d\d\])?) n=12\*$/);
      expect(r[6]).toBe("insufficient data");
    }
    // no Markdown table text anywhere, and nothing around the table scrolls or clips it
    expect(await page.locator("pre", { hasText: "| evaluator |" }).count()).toBe(0);
    // (page code as strings: the test's TypeScript has no DOM types)
    const layout = (await page.evaluate(`(() => {
      const t = document.querySelector("table.trust");
      const clipping = [];
      for (let el = t.parentElement; el; el = el.parentElement) {
        const s = getComputedStyle(el);
        if (s.overflowX !== "visible" || s.overflowY !== "visible" || s.maxHeight !== "none")
          clipping.push(el.tagName + " " + s.overflowX + "/" + s.overflowY + " max-height " + s.maxHeight);
      }
      return { clipping, right: t.getBoundingClientRect().right, width: document.documentElement.clientWidth };
    })()`)) as { clipping: string[]; right: number; width: number };
    expect(layout.clipping).toEqual([]);
    expect(layout.right).toBeLessThanOrEqual(layout.width);
    await page.emulateMedia({ media: "print" });
    const printed = await table.evaluate((t) => ({ visible: t.getBoundingClientRect().height, full: t.scrollHeight }));
    expect(printed.visible).toBeGreaterThan(0);
    expect(printed.visible).toBeGreaterThanOrEqual(printed.full);

    // each warning of the human section once
    const section = (await page.evaluate(`(() => {
      const h = [...document.querySelectorAll("h2")].find((x) => x.textContent.startsWith("Human evaluation"));
      const parts = [];
      for (let el = h.nextElementSibling; el && el.tagName !== "H2"; el = el.nextElementSibling) parts.push(el.textContent);
      return { text: parts.join("\\n"), items: [...document.querySelectorAll("ul.note li")].map((li) => li.textContent) };
    })()`)) as { text: string; items: string[] };
    expect(new Set(section.items).size).toBe(section.items.length);
    expect(section.text.split("Too few human ratings to conclude").length - 1).toBe(1);
    expect(section.text.split("too few items to conclude (n = 12, need at least 30)").length - 1).toBe(1);
    await page.close();
  });
});
