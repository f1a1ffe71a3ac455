/**
 * Every datasets recipe through the real stages (import -> corpus -> datasets) on the bundled quick-start threads:
 * SFT synthesis with the MiniLM similarity filter, preference pairs (Reddit votes + the study's rule, flagged),
 * golden drafts — first with an OpenAI-compatible teacher on a loopback server (including replies that break
 * the format), then with the local SmolLM2 teacher at tiny limits. A forced rerun with the same settings calls
 * no model and writes byte-identical files; the cards hold counts per filter, the teacher, hashes, examples.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadExperiment } from "../../../src/config/load.ts";
import type { DatasetCard } from "../../../src/datasets/card.ts";
import { experimentStatus } from "../../../src/experiment/graph/status.ts";
import { SILENT_PROGRESS } from "../../../src/experiment/progress.ts";
import { runExperiment } from "../../../src/experiment/runner.ts";
import { HAS_SMOLLM2, ROOT } from "../../helpers/paths.ts";
import {
  type FakeChatRequest,
  type FakeOpenAI,
  startFakeOpenAI,
  userPrompt,
} from "../../unit/evaluation/judge/fake-openai-server.ts";

let fake: FakeOpenAI;
/** Synthesis: the question back plus the first answer (the first reply blank); golden: JSON (the first two broken). */
let synthesisCalls = 0;
let goldenCalls = 0;
let raftAnswers = 0;
const teacher = (req: FakeChatRequest) => {
  const p = userPrompt(req);
  const system = req.messages[0]?.role === "system" ? req.messages[0].content : "";
  if (system.startsWith("You are a synthetic question-answer"))
    return { content: "1. What do locals recommend here?\n2. Is it worth the money?" };
  if (system.startsWith("You are a helpful question answerer")) {
    const context = /\nContext: ([\s\S]*?)\n\nAnswer this question/.exec(p)?.[1] ?? "";
    if (raftAnswers++ === 0) return { content: "I think it is fine." }; // no quote, no <ANSWER>: counted
    return { content: `The context says ##begin_quote##${context.slice(0, 40)}##end_quote##. <ANSWER>: see above` };
  }
  const question =
    /Question:\n([\s\S]*?)\n\nAnswers:/.exec(p)?.[1] ?? /Post:\n([\s\S]*?)\n\nAnswers:/.exec(p)?.[1] ?? "";
  const first = /\n1\. ([^\n]*)/.exec(p)?.[1] ?? "";
  if (p.startsWith("Below are answers")) {
    if (synthesisCalls++ === 0) return { content: "   " }; // an empty reply: counted, never a crash
    return { content: `${question.split("\n")[0]} ${first}`, promptTokens: 100, completionTokens: 40 };
  }
  goldenCalls++;
  if (goldenCalls === 1) return { content: "Sure! Here is a great question about travel." }; // not JSON
  if (goldenCalls === 2) return { content: '{"question": "Where to?"}' }; // a field missing
  return {
    content: `Here you go:\n\`\`\`json\n${JSON.stringify({ question: question.split("\n")[0], answer: first })}\n\`\`\``,
  };
};
beforeAll(async () => {
  fake = await startFakeOpenAI((req) => teacher(req));
});
afterAll(async () => {
  await fake.close();
});

const experiment = (teacherModel: string, extra = "") => `name: recipes
workspace: ws
import:
  inputs: [{ path: ${join(ROOT, "examples", "quickstart", "threads")}, format: reddit-json }]
corpus:
  split: { train: 0.4, validation: 0.1, test: 0.5 }
retrieval: { dense: false }
datasets:
  sft:
    target: synthesis
    minTargetChars: 20
    maxTargetChars: 4000
    minTargetScore: 0
    synthesis: { teacher: ${teacherModel}, topK: 3, maxTokens: ${teacherModel === "local" ? 24 : 200}, minSimilarity: ${teacherModel === "local" ? 0.1 : 0.5} }
  preferences:
    sources:
      - { kind: reddit-votes, minScoreMargin: 20, minScoreRatio: 2 }
      - { kind: rule-quarters }
    maxLength: 256
    maxPromptLength: 128
${teacherModel === "local" ? "" : `  raft: { teacher: ${teacherModel}, maxChunks: 4, questionsPerChunk: 2, distractors: 2, oracleProbability: 0.8 }\n`}  golden:
    file: ${join(ROOT, "examples", "quickstart", "golden.csv")}
    build: { teacher: ${teacherModel}, maxItems: ${teacherModel === "local" ? 2 : 8}, maxTokens: ${teacherModel === "local" ? 24 : 300} }
models:
  base: { provider: llama, path: smollm2-135m-instruct-q4_1 }
  local: { provider: llama, path: smollm2-135m-instruct-q4_1, contextSize: 1024 }
  remote: { provider: openai-compatible, baseURL: "${fake.baseURL}", model: fake-teacher }
generate:
  variants: [{ name: base, model: base }]
${extra}`;

/** Every file under `dir` (relative path -> bytes), manifests excluded (they hold the clock). */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (f !== "manifest.json") out.set(relative(dir, p), readFileSync(p).toString("base64"));
    }
  };
  walk(dir);
  return out;
}

const card = (dir: string, name: string) =>
  JSON.parse(readFileSync(join(dir, name, "card.json"), "utf8")) as DatasetCard;

describe.skipIf(!HAS_SMOLLM2)("datasets recipes on the quick-start threads", () => {
  it("OpenAI-compatible teacher: every recipe writes its dataset and card; a forced rerun calls no model and writes the same bytes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wf-recipes-"));
    writeFileSync(join(dir, "exp.yaml"), experiment("remote"));
    const exp = await loadExperiment(join(dir, "exp.yaml"));
    const stages = ["import", "corpus", "datasets"] as const;
    await runExperiment({ exp, progress: SILENT_PROGRESS, only: ["collect", ...stages], env: {} });
    const ds = join(exp.runDir, "datasets");
    const calls = fake.requests.length;
    expect(calls).toBeGreaterThan(10);

    const sft = card(ds, "sft");
    expect(sft.format).toBe("conversational language modeling (messages)");
    expect(sft.teacher).toMatchObject({
      model: "remote",
      signature: "teacher:openai-compatible:fake-teacher;seed=42;repeat=1.1/64",
    });
    const train = sft.filters.find((f) => f.id === "synthesis-train")!;
    expect(train.in).toBeGreaterThan(10);
    expect(train.out + Object.values(train.dropped ?? {}).reduce((a, b) => a + b, 0)).toBe(train.in);
    const empties = sft.filters.reduce((s, f) => s + (f.dropped?.["teacher-empty-reply"] ?? 0), 0);
    expect(empties).toBe(1); // the first thread's blank reply
    const sim = (
      sft.extra!.similarity as { perThreshold: Record<string, { threshold: number; kept: number; dropped: number }[]> }
    ).perThreshold;
    expect(sim.train!.map((r) => r.threshold)).toEqual([0.65, 0.75, 0.8]);
    expect(sim.train![0]!.kept).toBeGreaterThanOrEqual(sim.train![2]!.kept);
    const rows = readFileSync(join(ds, "sft", "train.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows.length).toBe(sft.files[0]!.rows);
    expect(rows[0].messages.map((m: { role: string }) => m.role)).toEqual(["system", "user", "assistant"]);
    expect(rows.every((r: { meta: { similarity: number } }) => r.meta.similarity >= 0.5)).toBe(true);
    expect(sft.examples).toHaveLength(Math.min(5, rows.length));

    const pref = card(ds, "preferences");
    expect(pref.format).toBe("conversational preference (prompt, chosen, rejected)");
    const sep = pref.extra!.separability as {
      bySource: Record<string, { triviallySeparable: boolean | null; pairs: number }>;
    };
    expect(sep.bySource["reddit-votes"]!.pairs).toBeGreaterThan(5);
    expect(sep.bySource["rule-quarters"]!.triviallySeparable).toBe(true);
    expect(pref.notes!.some((n) => n.startsWith("TRIVIALLY SEPARABLE (rule-quarters)"))).toBe(true);
    const prefRow = JSON.parse(readFileSync(join(ds, "preferences", "train.jsonl"), "utf8").split("\n")[0]!);
    expect(Object.keys(prefRow)).toEqual(["prompt", "chosen", "rejected", "source", "margin", "meta"]);
    expect(pref.provenance.tokenizer).toBe("gguf:SmolLM2-135M-Instruct.Q4_1.gguf");

    const gold = card(ds, "golden-drafts");
    const drafts = readFileSync(join(ds, "golden-drafts", "drafts.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(drafts.length).toBe(gold.files[0]!.rows);
    expect(
      drafts.every((d: { reviewed: boolean; status: string }) => d.reviewed === false && d.status === "draft"),
    ).toBe(true);
    expect(gold.filters[0]!.out).toBe(drafts.length);
    expect(gold.filters[0]!.dropped).toEqual({ "reply-not-json": 1, "reply-missing-field": 1 });
    expect(gold.filters[0]!.in).toBe(8);
    expect(card(ds, "golden").files[0]).toMatchObject({ path: "golden/golden.jsonl", rows: 16 });

    const raft = card(ds, "raft");
    expect(raft.files[0]!.rows).toBeGreaterThan(0);
    expect(raft.filters[1]!.dropped!["teacher-error"]).toBe(0);
    expect(raft.filters[1]!.dropped!["no-answer-tag"]).toBe(1); // the first answer broke the format
    const raftRow = JSON.parse(readFileSync(join(ds, "raft", "train.jsonl"), "utf8").split("\n")[0]!);
    for (const k of ["id", "type", "question", "context", "oracle_context", "cot_answer", "instruction", "messages"])
      expect(raftRow).toHaveProperty(k);

    const before = snapshot(ds);
    await runExperiment({ exp, progress: SILENT_PROGRESS, only: ["datasets"], force: true, env: {} });
    expect(fake.requests.length).toBe(calls); // every reply from the store
    expect(snapshot(ds)).toEqual(before);

    // one artifact per recipe, each with its manifest; the aggregate card lists them all
    const aggregate = JSON.parse(readFileSync(join(ds, "dataset-card.json"), "utf8")) as Record<string, unknown>;
    expect(Object.keys(aggregate)).toEqual([
      "kind",
      "version",
      "golden",
      "sft",
      "preferences",
      "raft",
      "golden-drafts",
      "excludedForGoldenOverlap",
    ]);
    for (const r of ["golden", "sft", "preferences", "raft", "golden-drafts"])
      expect(JSON.parse(readFileSync(join(ds, r, "manifest.json"), "utf8")).stage).toBe(`dataset:${r}`);

    // another P: the RAFT set changes, nothing else does, and no model is called
    writeFileSync(
      join(dir, "exp.yaml"),
      experiment("remote").replace("oracleProbability: 0.8", "oracleProbability: 0.3"),
    );
    const exp2 = await loadExperiment(join(dir, "exp.yaml"));
    // `wayfarer status` before the run: the RAFT set and the aggregate card are stale, no other recipe
    const status = experimentStatus(exp2)
      .filter((r) => ["retrieval-index", "dataset", "datasets"].includes(r.kind))
      .map((r) => `${r.id} ${r.state}${r.state === "done" ? "" : ` (${r.reason})`}`);
    expect(status).toEqual([
      "retrieval-index done",
      "dataset:golden done",
      "dataset:sft done",
      "dataset:preferences done",
      "dataset:raft stale (settings changed)",
      "dataset:golden-drafts done",
      "datasets stale (input dataset:raft changes)",
    ]);
    const rerun = await runExperiment({ exp: exp2, progress: SILENT_PROGRESS, only: ["datasets"], env: {} });
    expect(fake.requests.length).toBe(calls);
    const ranIds = rerun.flatMap((g) => g.artifacts.filter((a) => a.status === "ran").map((a) => `${g.stage}:${a.id}`));
    expect(ranIds).toEqual(["datasets:dataset:raft", "datasets:datasets"]);
    const after = snapshot(ds);
    const changed = [...after.keys()].filter((k) => after.get(k) !== before.get(k)).sort();
    expect(changed).toEqual([
      "dataset-card.json",
      "raft/card.json",
      "raft/card.md",
      "raft/summary.json",
      "raft/train.jsonl",
    ]);
  }, 120_000);

  it("local SmolLM2 teacher at tiny limits: the same recipes produce datasets and cards", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wf-recipes-local-"));
    // focused on London (corpus.focus) to keep the local teacher's calls few
    const focus = "test: 0.5 }\n  focus: { place: London, aliases: [londres], subreddits: [london] }\n";
    const yaml = experiment("local")
      .replace("test: 0.5 }\n", focus)
      .replace("topK: 3", "topK: 1, maxCommentChars: 300")
      .replace(/ {2}preferences:[\s\S]*?maxPromptLength: 128\n/, "");
    expect(yaml).not.toContain("preferences");
    writeFileSync(join(dir, "exp.yaml"), yaml);
    const exp = await loadExperiment(join(dir, "exp.yaml"));
    await runExperiment({ exp, progress: SILENT_PROGRESS, only: ["collect", "import", "corpus", "datasets"], env: {} });
    const ds = join(exp.runDir, "datasets");
    const corpusCard = JSON.parse(readFileSync(join(exp.runDir, "corpus", "corpus-card.json"), "utf8"));
    expect(corpusCard.focus).toMatchObject({ place: "London", keptBySubreddit: 4, keptByMention: 0 });
    const sft = card(ds, "sft");
    expect(sft.teacher!.signature).toBe("teacher:llama:SmolLM2-135M-Instruct.Q4_1.gguf;seed=42;repeat=1.1/64");
    expect(sft.files[0]!.rows).toBeGreaterThan(0);
    const gold = card(ds, "golden-drafts");
    // a 24-token budget cannot hold the JSON: counted as a broken reply, never a crash
    const f = gold.filters[0]!;
    expect(f.in).toBeGreaterThan(0);
    expect(f.out + Object.values(f.dropped ?? {}).reduce((a, b) => a + b, 0)).toBe(f.in);
    expect(f.out).toBe(0);
    expect(f.dropped!["reply-not-json"]).toBe(f.in);
  }, 80_000);
});
