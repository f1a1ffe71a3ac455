/**
 * The golden review page in headless Chromium: teacher text shows as text (a `<script>` in a draft is not run),
 * Accept and Save edit write the reviewed file, and the page says when every item is reviewed.
 * Needs /usr/bin/chromium (`apt-get install -y chromium`); skips with a message when it is absent.
 */
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { describe, expect, it } from "vitest";
import { readGoldenDrafts } from "../../src/datasets/golden-build.ts";
import { createRatingTasks } from "../../src/evaluation/human/tasks.ts";
import { WayfarerServer } from "../../src/server/server.ts";
import { Store } from "../../src/store/store.ts";

const CHROMIUM = process.env.WAYFARER_CHROMIUM ?? "/usr/bin/chromium";
if (!existsSync(CHROMIUM))
  console.warn(
    `test/browser: skipped — no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set WAYFARER_CHROMIUM)`,
  );

describe.skipIf(!existsSync(CHROMIUM))("golden review page in a browser", () => {
  it("accepts one draft, edits the other, and shows Reddit-derived text as text", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wf-golden-page-"));
    const file = join(dir, "drafts.jsonl");
    const draft = (i: number) =>
      JSON.stringify({
        id: `g${i}`,
        question: `Question ${i} <script>document.title='pwned'</script>?`,
        answer: `Answer ${i}`,
        reviewed: false,
        status: "draft",
        source: { thread: `t3_${i}`, subreddit: "london", split: "test" },
        teacher: "teacher:fake",
      });
    writeFileSync(file, `${draft(1)}\n${draft(2)}\n`);
    using store = Store.open(":memory:");
    const created = createRatingTasks(store, {
      experiment: "e",
      items: [
        { variant: "a", item_id: "q", question: "Q?", answer: "A" },
        { variant: "b", item_id: "q", question: "Q?", answer: "B" },
      ],
      raters: ["ana", "ben"],
      seed: 1,
    });
    await using server = await WayfarerServer.create({ store, port: 0, goldenFile: file });
    const browser = await chromium.launch({ executablePath: CHROMIUM });
    try {
      const page = await browser.newPage();
      await page.goto(`${server.url}${created.raters[0]!.link}/golden`);
      await page.waitForSelector("#accept");
      expect(await page.inputValue("#question")).toBe("Question 1 <script>document.title='pwned'</script>?");
      await page.click("#accept");
      await page.waitForSelector("#status:has-text('saved g1')");
      await page.fill("#answer", "Edited answer 2");
      await page.click("#save-edit");
      await page.waitForSelector("#done");
      expect(await page.textContent("#progress")).toBe("accepted 1 · edited 1 · rejected 0 · to review 0");
      expect(await page.title()).not.toBe("pwned");
    } finally {
      await browser.close();
    }
    const items = await readGoldenDrafts(join(dir, "drafts.reviewed.jsonl"));
    expect(items.map((i) => [i.status, i.answer, i.reviewer])).toEqual([
      ["accepted", "Answer 1", "ana"],
      ["edited", "Edited answer 2", "ana"],
    ]);
  }, 60_000);
});
