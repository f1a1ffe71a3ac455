/**
 * The HTML report in headless Chromium with the network off: no console errors, no request leaves
 * the file, every section is there and its screenshot is saved (test-results/report-screenshots/),
 * the Vega-Lite charts rendered as SVG with marks, and the disagreement filter hides agreeing
 * questions. The report is written from a hand-made run folder (no model needed).
 * Needs /usr/bin/chromium (skips with a message when absent).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { describe, expect, it } from "vitest";
import { loadExperiment } from "../../src/config/load.ts";
import { computeMetaStats } from "../../src/evaluation/stats/meta-stats.ts";
import { writeReport } from "../../src/report/artifact.ts";
import type { AnswerRecord, ScoreRecord, TrainSummary } from "../../src/store/records.ts";
import { Store } from "../../src/store/store.ts";
import { answersJsonl } from "../unit/experiment/stage-fixtures.ts";

const CHROMIUM = process.env.WAYFARER_CHROMIUM ?? "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`test/browser: skipped — no Chromium at ${CHROMIUM}`);
const ROOT = new URL("../../", import.meta.url).pathname;
const SHOTS = join(ROOT, "test-results", "report-screenshots");

async function makeReport(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "wf-report-browser-"));
  writeFileSync(
    join(dir, "r.yaml"),
    `name: rb
workspace: ws
import: { inputs: [{ path: data }] }
datasets: { golden: { file: golden.csv } }
models: { m: { provider: llama, path: smollm2-135m-instruct-q4_1 } }
train: { adapters: [{ name: tuned, base: m }] }
generate: { variants: [{ name: base, model: m }, { name: tuned, model: m, adapter: tuned }, { name: short, model: m }] }
evaluate: { evaluators: [bleu, rougeL, judge-single], judge: { model: m } }
`,
  );
  const exp = await loadExperiment(join(dir, "r.yaml"));
  const run = exp.runDir;
  const answers = answersJsonl()
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as AnswerRecord);
  mkdirSync(join(run, "generate"), { recursive: true });
  writeFileSync(join(run, "generate", "answers.jsonl"), answersJsonl());
  const scores: ScoreRecord[] = [];
  answers.forEach((a, i) => {
    const len = a.answer.length;
    scores.push({
      variant: a.variant,
      itemId: a.itemId,
      evaluator: "bleu",
      status: "scored",
      value: len / 40,
      reason: null,
      signature: "bleu|sacrebleu",
    });
    scores.push({
      variant: a.variant,
      itemId: a.itemId,
      evaluator: "rougeL",
      status: "scored",
      value: (len % 7) / 7,
      reason: null,
      signature: "rougeL",
    });
    scores.push({
      variant: a.variant,
      itemId: a.itemId,
      evaluator: "judge-single",
      status: i === 5 ? "error" : "scored",
      value: i === 5 ? null : 1 + (i % 10),
      reason: i === 5 ? "no rating in the reply" : `Rated ${1 + (i % 10)}: <b>not bold</b>`,
      signature: "judge-single|m",
    });
  });
  mkdirSync(join(run, "evaluate"), { recursive: true });
  writeFileSync(join(run, "evaluate", "scores.jsonl"), `${scores.map((s) => JSON.stringify(s)).join("\n")}\n`);
  mkdirSync(join(run, "meta"), { recursive: true });
  writeFileSync(join(run, "meta", "meta.json"), JSON.stringify(computeMetaStats(scores, ["base", "tuned", "short"])));
  const losses = [2.1, 1.8, 1.6, 1.5, 1.45].map((loss, i) => ({ step: i + 1, loss, epoch: 1 + i / 5 }));
  const summary: TrainSummary = {
    adapter: "tuned",
    method: "lora",
    base: "m",
    steps: 5,
    seconds: 12,
    trainLossFirst: 2.1,
    trainLossLast: 1.45,
    evalLossFirst: null,
    evalLossLast: null,
    trainExamples: 20,
    epochMeanLoss: [],
    losses,
    evalLosses: [],
    spec: {},
  };
  mkdirSync(join(run, "train", "tuned"), { recursive: true });
  writeFileSync(join(run, "train", "tuned", "summary.json"), JSON.stringify(summary));
  for (const [id, kind, d, seconds] of [
    ["adapter:tuned", "adapter", "train/tuned", 12],
    ["answers:base", "answers", "generate/variants/base", 3.5],
    ["scores:base", "scores", "evaluate/variants/base", 1.25],
  ] as const) {
    mkdirSync(join(run, d), { recursive: true });
    writeFileSync(
      join(run, d, "manifest.json"),
      JSON.stringify({
        stage: id,
        kind,
        inputHash: "k",
        outputHash: "o",
        inputs: {},
        settings: { lr: 0.001 },
        counts: { n: 4 },
        outputs: [],
        notes: [],
        cost: { promptTokens: 100, completionTokens: 20 },
        startedAt: `2024-01-01T00:00:0${seconds > 10 ? 0 : 1}Z`,
        finishedAt: "2024-01-01T00:00:20Z",
        durationSeconds: seconds,
      }),
    );
  }
  mkdirSync(join(run, "report"), { recursive: true });
  using store = Store.open(exp.storePath);
  await writeReport(exp, store, join(run, "report"));
  return join(run, "report", "report.html");
}

describe.skipIf(!hasChromium)("the HTML report in Chromium, offline", () => {
  it("opens with no console error and no network, shows every section, renders the charts", async () => {
    const file = await makeReport();
    const html = readFileSync(file, "utf8");
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    mkdirSync(SHOTS, { recursive: true });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
    try {
      const context = await browser.newContext({ offline: true, viewport: { width: 1200, height: 900 } });
      const requests: string[] = [];
      await context.route("**/*", (route) => {
        const url = route.request().url();
        if (!url.startsWith("file://")) requests.push(url);
        return url.startsWith("file://") ? route.continue() : route.abort();
      });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
      await page.goto(`file://${file}`);
      await page.waitForLoadState("load");
      const sections = [
        "study-findings",
        "study-leaderboard",
        "study-agreement",
        "study-training",
        "study-artifacts",
        "study-examples",
      ];
      for (const id of sections) {
        const el = page.locator(`#${id}`);
        expect(await el.count(), id).toBe(1);
        await el.screenshot({ path: join(SHOTS, `${id}.png`) });
      }
      await page.screenshot({ path: join(SHOTS, "full-page.png"), fullPage: true });
      // every chart is an SVG with a real size and drawn marks
      const charts = await page.locator(".chart svg").evaluateAll((els) =>
        els.map((e) => {
          const r = e.getBoundingClientRect();
          return { w: r.width, h: r.height, marks: e.querySelectorAll("path, rect, line, circle, text").length };
        }),
      );
      expect(charts).toHaveLength(4);
      for (const c of charts) {
        expect(c.w).toBeGreaterThan(100);
        expect(c.h).toBeGreaterThan(50);
        expect(c.marks).toBeGreaterThan(10);
      }
      // findings name their n; the reason's markup is shown as text
      expect(await page.locator("#study-findings li").count()).toBeGreaterThan(3);
      expect(await page.locator("#study-findings").textContent()).toMatch(/n=\d+/);
      const all = await page.locator("#study-examples details.ex").count();
      expect(all).toBe(4);
      await page.locator("#study-examples details.ex summary").first().click();
      expect(await page.locator("#study-examples").textContent()).toContain("<b>not bold</b>");
      await page.locator("#only-disagree").check();
      let visible = 0;
      for (const el of await page.locator("#study-examples details.ex").all()) if (await el.isVisible()) visible++;
      const disagree = await page.locator("#study-examples details.ex.disagree").count();
      expect(visible).toBe(disagree);
      expect(disagree).toBeLessThan(all);
      await page.locator("#study-examples").screenshot({ path: join(SHOTS, "study-examples-filtered.png") });
      expect(problems).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
