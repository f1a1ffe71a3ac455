/**
 * Kill -9 at five points of a real `wayfarer run` (the CLI in a child process, SmolLM2 answering
 * with 8 tokens, a loopback OpenAI-shaped judge), resuming after each: the final report's results
 * equal those of an uninterrupted run in a fresh workspace. Kill points: corpus starting, during
 * generation, with a judge call in flight, meta starting, report starting. Training is not among
 * them here (a CI-sized kill during training would cost minutes; the trainer resumes from its own
 * checkpoints, see train-stage.ts).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadExperiment } from "../../../src/config/load.ts";
import { experimentStatus } from "../../../src/experiment/graph/status.ts";
import "../../../src/report/artifact.ts";
import { HAS_SMOLLM2, ROOT } from "../../helpers/paths.ts";
import { type FakeOpenAI, startFakeOpenAI, userPrompt } from "../../unit/evaluation/judge/fake-openai-server.ts";

const dir = mkdtempSync(join(tmpdir(), "wf-resume-"));
let fake: FakeOpenAI;
/** Called on every judge request (the test sets it to kill the child mid-call). */
let onJudge: () => void = () => {};

const yaml = (workspace: string) => `name: resume
seed: 3
workspace: ${workspace}
import:
  inputs: [{ path: ${join(ROOT, "examples/quickstart/threads")}, format: reddit-json }]
datasets:
  golden: { file: ${join(ROOT, "examples/quickstart/golden.csv")}, limit: 3 }
models:
  smol: { provider: llama, path: smollm2-135m-instruct-q4_1, threads: 1, contextSize: 512 }
  judge: { provider: openai-compatible, baseURL: "${fake.baseURL}", model: fake-judge, apiKeyEnv: FAKE_JUDGE_KEY, structuredOutputs: false }
generate:
  variants: [{ name: base, model: smol }, { name: warm, model: smol }]
  maxTokens: 8
evaluate:
  evaluators: [bleu, rougeL, judge-single]
  judge: { model: judge }
`;

/** Runs the CLI; `killWhen` sees each JSON event line and returns true to SIGKILL the child. */
function runCli(file: string, killWhen: (e: { type: string; id?: string }) => boolean | number = () => false) {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; events: { type: string; id?: string }[] }>(
    (resolve) => {
      const child: ChildProcess = spawn(process.execPath, [join(ROOT, "bin/wayfarer.js"), "run", file, "--events"], {
        cwd: dir,
        env: { ...process.env, FAKE_JUDGE_KEY: "sk-test" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const events: { type: string; id?: string }[] = [];
      let buf = "";
      const kill = () => child.kill("SIGKILL");
      onJudge = () => {};
      child.stdout!.on("data", (d: Buffer) => {
        buf += d.toString();
        let nl = buf.indexOf("\n");
        while (nl >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          nl = buf.indexOf("\n");
          if (!line.startsWith("{")) continue;
          const e = JSON.parse(line) as { type: string; id?: string };
          events.push(e);
          const k = killWhen(e);
          if (k === true) kill();
          else if (typeof k === "number") setTimeout(kill, k);
        }
      });
      let err = "";
      child.stderr!.on("data", (d: Buffer) => {
        err += d.toString();
      });
      child.on("exit", (code, signal) => {
        if (code !== 0 && signal === null) console.error(err);
        resolve({ code, signal, events });
      });
      onJudgeKill = kill;
    },
  );
}
let onJudgeKill: () => void = () => {};

/** The results of a report (what must not depend on interruptions): no times, paths or dates. */
function results(file: string) {
  const r = JSON.parse(readFileSync(file, "utf8"));
  return {
    leaderboard: r.leaderboard,
    examples: r.examples,
    variants: r.variants.map((v: { name: string; meanCompletionTokens: number }) => [v.name, v.meanCompletionTokens]),
    evaluators: r.evaluators,
    stats: r.study.stats,
    findings: r.study.findings,
    browser: r.study.examples,
  };
}

describe.skipIf(!HAS_SMOLLM2)("kill -9 and resume (real CLI, SmolLM2, loopback judge)", () => {
  beforeAll(async () => {
    fake = await startFakeOpenAI((req) => {
      onJudge();
      const p = userPrompt(req).replace(/\b[0-9a-f]{6,}\b/g, "");
      // deterministic: the rating depends on the prompt only
      let h = 0;
      for (const ch of p) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
      return { content: `Brief. Rating: [[${1 + (h % 10)}]]`, promptTokens: 40, completionTokens: 6 };
    });
  });
  afterAll(async () => {
    await fake.close();
  });

  it("the final report equals an uninterrupted run's after five kills", async () => {
    const file = join(dir, "resume.yaml");
    writeFileSync(file, yaml("ws"));
    const points: [string, (e: { type: string; id?: string }) => boolean | number][] = [
      ["corpus starting", (e) => e.type === "artifact-start" && e.id === "corpus"],
      ["generating", (e) => (e.type === "artifact-start" && e.id === "answers:warm" ? 300 : false)],
      [
        "a judge call in flight",
        (e) => {
          if (e.type === "artifact-start" && e.id === "scores:base") onJudge = () => setImmediate(onJudgeKill);
          return false;
        },
      ],
      ["meta starting", (e) => e.type === "artifact-start" && e.id === "meta"],
      ["report starting", (e) => e.type === "artifact-start" && e.id === "report"],
    ];
    for (const [name, when] of points) {
      const r = await runCli(file, when);
      expect({ name, signal: r.signal }).toEqual({ name, signal: "SIGKILL" });
      if (name === "corpus starting") {
        const rows = experimentStatus(await loadExperiment(file));
        expect(rows.find((x) => x.id === "corpus")).toMatchObject({
          state: "failed",
          reason: expect.stringMatching(/^interrupted/),
        });
        expect(rows.find((x) => x.id === "import")!.state).toBe("done");
      }
    }
    const last = await runCli(file);
    expect(last.code).toBe(0);
    expect(last.events.filter((e) => e.type === "artifact-start").map((e) => e.id)).toEqual(["report"]);
    const judgeCalls = fake.requests.length;
    // an uninterrupted run in a fresh workspace (its own store: nothing cached)
    const fresh = join(dir, "fresh.yaml");
    writeFileSync(fresh, yaml("ws2"));
    const clean = await runCli(fresh);
    expect(clean.code).toBe(0);
    expect(fake.requests.length - judgeCalls).toBe(6); // 2 variants x 3 questions
    const a = results(join(dir, "ws", "resume", "report", "report.json"));
    const b = results(join(dir, "ws2", "resume", "report", "report.json"));
    expect(a.leaderboard.base.bleu.nScored).toBe(3);
    expect(a).toEqual(b);
    // and a run after that calls no model and reuses every artifact
    const again = await runCli(file);
    expect(again.events.filter((e) => e.type === "artifact-start")).toEqual([]);
    expect(fake.requests.length - judgeCalls).toBe(6);
  }, 600_000);
});
