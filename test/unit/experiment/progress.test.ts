/**
 * The run's view (src/experiment/progress.ts): on a terminal one status line redrawn in place with the graph
 * position, the artifact, items done/total, rate, ETA, tokens and cost, log lines above it; elsewhere plain
 * lines at every 10% and the runner's summary line. Driven through fake streams; the clock is injected.
 */
import { mkdtempSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { LoadedExperiment } from "../../../src/config/load.ts";
import type { Artifact } from "../../../src/experiment/graph/artifact.ts";
import { ArtifactGraph } from "../../../src/experiment/graph/graph.ts";
import { type RunEvent, runGraph } from "../../../src/experiment/graph/run-graph.ts";
import { createRunView, formatDuration, formatStatus } from "../../../src/experiment/progress.ts";
import { reportSpend } from "../../../src/models/spend.ts";
import { Store } from "../../../src/store/store.ts";

/** A writable that records what is written; `isTTY` as given. */
function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, isTTY, columns: 120, write: (s: string) => chunks.push(s) > 0, text: () => chunks.join("") };
}
// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escapes are what is stripped
const plain = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
/** The last line drawn: frames start at a cursor move to column 1 (`ESC[1G`), a carriage return or a newline. */
const lastFrame = (s: string) =>
  s
    // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escapes
    .split(/\x1b\[\d*G|\r|\n/)
    .map(plain)
    .filter(Boolean)
    .at(-1);

describe("live view on a terminal", () => {
  it("draws one status line with position, artifact, items, rate, ETA, tokens and cost; logs go above it", () => {
    const out = fakeStream(true);
    let t = 1000;
    const view = createRunView(out, { now: () => t });
    try {
      view.artifact!("[5/35]", "answers:base");
      const bar = view.bar("generate base", 40);
      t += 4000;
      bar.update(12);
      view.spent!({ promptTokens: 1000, completionTokens: 234, usd: 0.0012 });
      view.redraw();
      const frame = lastFrame(out.text());
      expect(frame).toBe("[5/35] answers:base | generate base 12/40 30% 3.0/s eta 9s | 1,234 tokens $0.0012");

      // a log line: the status line is cleared, the message written on its own line, the status drawn again below
      const before = out.chunks.length;
      view.log("[answers:base] note: 2 answers cut at maxTokens");
      const after = out.chunks.slice(before).join("");
      expect(after).toContain("\x1b[2K"); // the old status line erased first
      expect(plain(after).split("\n")[0]).toBe("[answers:base] note: 2 answers cut at maxTokens");
      expect(lastFrame(after)).toMatch(/^\[5\/35\] answers:base \| generate base 12\/40 30% /);

      // the step finishes; the line keeps the run's totals
      bar.update(40);
      bar.stop();
      view.spent!({ promptTokens: 4000, completionTokens: 1000, usd: null });
      view.redraw();
      expect(lastFrame(out.text())).toBe("[5/35] answers:base | 5,000 tokens");
    } finally {
      view.close();
    }
    // closing clears the status line (the runner's summary line was logged above it)
    expect(out.chunks.at(-1)).toBe("\x1b[0J");
    // the terminal's modes are left alone: a killed run leaves wrapping and the cursor as they were
    expect(out.text()).not.toContain("\x1b[?7l");
    expect(out.text()).not.toContain("\x1b[?25l");
  });

  it("cuts the line to the terminal width and formats rate and ETA for slow and long steps", () => {
    const s = {
      position: "[12/35]",
      artifact: "scores:rlhf-best",
      label: "evaluate rlhf-best",
      done: 3,
      total: 400,
      startedMs: 0,
      status: "",
      spent: { promptTokens: 123456, completionTokens: 7890, usd: 1.5 },
    };
    expect(formatStatus(s, 12_000, 200)).toBe(
      "[12/35] scores:rlhf-best | evaluate rlhf-best 3/400 0% 0.25/s eta 26m28s | 131,346 tokens $1.5000",
    );
    expect(formatStatus(s, 12_000, 40)).toHaveLength(40);
    expect(formatStatus({ ...s, done: 0 }, 12_000, 200)).toContain("0/400 0% --/s eta --");
    expect(formatDuration(3 * 3600 + 125)).toBe("3h02m");
    // drawn on a 40-column terminal: cut to 39 (a full-width line wraps on some terminals)
    const out = fakeStream(true);
    out.columns = 40;
    const view = createRunView(out, { now: () => 12_000 });
    view.artifact!("[12/35]", "scores:rlhf-best");
    view.spent!(s.spent);
    view.redraw();
    view.close();
    expect(lastFrame(out.text())).toBe("[12/35] scores:rlhf-best | 131,346 tok…");
  });
});

describe("plain lines elsewhere", () => {
  it("a line at every 10% of a step, log lines as they come, no escapes", () => {
    const out = fakeStream(false);
    const view = createRunView(out);
    view.artifact?.("[1/2]", "answers:x");
    view.log("[answers:x] running (new, [1/2])");
    const bar = view.bar("[1/2] generate x", 40);
    for (let i = 1; i <= 40; i++) bar.update(i);
    bar.stop();
    view.spent?.({ promptTokens: 1, completionTokens: 1, usd: null });
    view.close();
    const lines = out.text().trimEnd().split("\n");
    expect(lines[0]).toBe("[answers:x] running (new, [1/2])");
    expect(lines.slice(1).map((l) => l.replace(/ \(\d+s\)$/, ""))).toEqual([
      "  [1/2] generate x: 1/40",
      ...[4, 8, 12, 16, 20, 24, 28, 32, 36, 40].map((n) => `  [1/2] generate x: ${n}/40`),
    ]);
    expect(out.text()).not.toContain("\x1b");
  });

  it("through the runner: metered tokens flow into the view live and into a final summary line", async () => {
    const root = mkdtempSync(join(tmpdir(), "wf-view-"));
    const exp = {
      config: { name: "view" },
      runDir: join(root, "runs", "view"),
      storePath: join(root, "store.db"),
    } as unknown as LoadedExperiment;
    const seen: string[] = [];
    const out = fakeStream(false);
    const base = createRunView(out);
    const view = {
      ...base,
      spent: (t: { promptTokens: number; completionTokens: number; usd: number | null }) =>
        seen.push(JSON.stringify(t)),
    };
    const art = (id: string, inputs: string[], calls: { p: number; c: number; usd: number | null }[]): Artifact => ({
      id,
      kind: "answers",
      inputs,
      dir: id.replace(":", "-"),
      version: 1,
      settings: {},
      async run(ctx) {
        const bar = ctx.progress.bar(`work ${id}`, calls.length);
        for (const [i, c] of calls.entries()) {
          await new Promise((r) => setTimeout(r, 1));
          reportSpend({ promptTokens: c.p, completionTokens: c.c, usd: c.usd }); // what a model call reports
          bar.update(i + 1);
        }
        bar.stop();
        await writeFile(join(ctx.dir, "out.txt"), id);
        return { counts: {}, outputs: ["out.txt"] };
      },
    });
    const graph = new ArtifactGraph([
      art(
        "answers:a",
        [],
        [
          { p: 400, c: 100, usd: null },
          { p: 400, c: 100, usd: null },
        ],
      ),
      art("scores:a", ["answers:a"], [{ p: 200, c: 34, usd: 0.0012 }]),
    ]);
    const events: RunEvent[] = [];
    using store = Store.open(exp.storePath);
    await runGraph({ exp, graph, store, progress: view, onEvent: (e) => events.push(e) });
    // live: after each call, then the artifact's settled total
    expect(seen.map((s) => JSON.parse(s).promptTokens)).toEqual([400, 800, 800, 1000, 1000]);
    expect(JSON.parse(seen.at(-1)!)).toEqual({ promptTokens: 1000, completionTokens: 234, usd: 0.0012 });
    const text = out.text();
    expect(text).toMatch(/\n {2}so far: 1,000 tokens\n/);
    expect(text).toMatch(/\n {2}so far: 1,234 tokens \$0\.0012\n/);
    expect(text.trimEnd().split("\n").at(-1)).toMatch(
      /^run done in \d+\.\ds: 2 ran, 0 reused; 1,234 tokens \(1,000 prompt \+ 234 completion\), \$0\.0012$/,
    );
    // the same numbers in the events: each artifact's cost (metered) and the run's total
    expect(events.filter((e) => e.type === "artifact-done").map((e) => ("cost" in e ? e.cost : null))).toEqual([
      { promptTokens: 800, completionTokens: 200, usd: null },
      { promptTokens: 200, completionTokens: 34, usd: 0.0012 },
    ]);
    expect(events.at(-1)).toMatchObject({
      type: "run-done",
      spent: { promptTokens: 1000, completionTokens: 234, usd: 0.0012 },
    });
  });
});
