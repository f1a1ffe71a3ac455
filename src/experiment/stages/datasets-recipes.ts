/**
 * The dataset recipes beyond top-comment SFT, each writing its dataset and card (src/datasets/card.ts): SFT
 * synthesis targets, preference pairs, RAFT, golden drafts. Each runs as its own artifact (`dataset:<name>`,
 * src/experiment/graph/dataset-artifacts.ts). Every teacher call goes through `createTeacher` (store cache,
 * so a rerun calls no model).
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { PreferenceSourceConfig } from "../../config/datasets-recipes.ts";
import { type CardFilter, fileSha256, writeDatasetCard } from "../../datasets/card.ts";
import {
  type GoldenDraft,
  type GoldenDraftProblem,
  goldenRequest,
  parseGoldenReply,
} from "../../datasets/golden-build.ts";
import { writeJson } from "../../datasets/jsonl.ts";
import { overlapsGolden } from "../../datasets/overlap.ts";
import {
  countSkip,
  filterPairs,
  humanPairs,
  type JudgeAnswerLine,
  type JudgeVerdictLine,
  judgePairs,
  type PreferencePair,
  redditVotePairs,
  ruleQuarterPair,
  type SkipCounts,
  type Tokenizer,
} from "../../datasets/preferences.ts";
import { buildRaftDataset } from "../../datasets/raft.ts";
import { mulberry32, separabilityReport } from "../../datasets/separability.ts";
import type { SftExample } from "../../datasets/sft.ts";
import { synthesisRequest, synthesisTarget, thresholdCounts } from "../../datasets/synthesis.ts";
import { createTeacher, type Teacher } from "../../datasets/teacher.ts";
import { ConfigError } from "../../errors/config-error.ts";
import { InputError } from "../../errors/input-error.ts";
import { exportPreferencePairs } from "../../evaluation/human/tasks.ts";
import { cosine } from "../../evaluation/metrics/embedding.ts";
import { resolveGgufPath } from "../../models/model-cache.ts";
import { createEmbedder } from "../../models/registry.ts";
import { readThreadsJsonl } from "../../reddit/import.ts";
import type { Thread } from "../../reddit/thread.ts";
import { openRetrievalIndex } from "../../retrieval/index.ts";
import type { StageContext } from "../stage.ts";

/** The two corpus splits training sets come from. */
export const TRAIN_SPLITS = ["train", "validation"] as const;

/** Reads a corpus split (clean threads). */
export async function readSplit(ctx: StageContext, split: string): Promise<Thread[]> {
  const out: Thread[] = [];
  for await (const t of readThreadsJsonl(join(ctx.dir("corpus"), "splits", `${split}.jsonl`))) out.push(t);
  return out;
}

/** Provenance of corpus-derived sets: each split file with its sha256. */
export async function corpusProvenance(ctx: StageContext, splits: readonly string[]): Promise<Record<string, unknown>> {
  const files: Record<string, string | null> = {};
  for (const s of splits)
    files[`corpus/splits/${s}.jsonl`] = await fileSha256(join(ctx.dir("corpus"), "splits", `${s}.jsonl`));
  return { from: "corpus stage splits", files };
}

/** Deterministic shuffle (mulberry32), used to sample `maxExamples`. */
export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  const rand = mulberry32(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Opens the experiment's teacher `modelKey` (the caller disposes it). */
export function openTeacher(ctx: StageContext, modelKey: string): Promise<Teacher> {
  const c = ctx.exp.config;
  return createTeacher({
    store: ctx.store,
    experiment: c.name,
    modelKey,
    models: c.models,
    runtime: ctx.runtime,
    env: ctx.env,
    seed: c.seed,
    concurrency: c.evaluate.concurrency,
    repeatPenalty: c.generate.repeatPenalty,
  });
}

/** What a recipe reports to its artifact. */
export interface RecipeResult {
  counts: Record<string, number>;
  /** Files written, relative to the `datasets/` folder (`raft/train.jsonl`). */
  outputs: string[];
  notes: string[];
  /** Its part of the aggregate `dataset-card.json` (written to `<name>/summary.json`). */
  summary: Record<string, unknown>;
}

const teacherNote = (name: string, t: Teacher) =>
  `${name}: teacher ${t.signature}: ${t.usage.requests} requests, ${t.usage.calls} model calls, ${t.usage.cached} cached, ${t.usage.errors} failed`;

/**
 * SFT synthesis: the teacher summarises the top k comments of each train/validation thread; empty and failed
 * replies, length limits, golden overlap and the question–answer similarity filter are counted per split.
 */
export async function buildSynthesisSft(ctx: StageContext, goldenWords: readonly Set<string>[]): Promise<RecipeResult> {
  const c = ctx.exp.config;
  const s = c.datasets.sft;
  const o = s.synthesis;
  const dir = ctx.dir("datasets");
  interface Candidate {
    split: string;
    thread: Thread;
    question: string;
    messages: { role: "user"; content: string }[];
    comments: string[];
  }
  const candidates: Candidate[] = [];
  const dropped: Record<string, SkipCounts & Record<string, number>> = { train: {}, validation: {} };
  const inCount: Record<string, number> = { train: 0, validation: 0 };
  for (const split of TRAIN_SPLITS) {
    for (const thread of await readSplit(ctx, split)) {
      inCount[split]!++;
      const r = synthesisRequest(thread, o);
      if (typeof r === "string") {
        dropped[split]![r] = (dropped[split]![r] ?? 0) + 1;
        continue;
      }
      if (s.excludeGoldenOverlap && overlapsGolden(thread.post.title, thread.post.selftext, goldenWords) >= 0) {
        dropped[split]!["overlaps-golden"] = (dropped[split]!["overlaps-golden"] ?? 0) + 1;
        continue;
      }
      candidates.push({
        split,
        thread,
        question: r.question,
        messages: r.messages as Candidate["messages"],
        comments: r.comments.map((x) => x.name),
      });
    }
  }
  const teacher = await openTeacher(ctx, o.teacher!);
  let replies: Awaited<ReturnType<Teacher["completeAll"]>>;
  try {
    const bar = ctx.progress.bar("datasets: synthesis (teacher)", candidates.length);
    replies = await teacher.completeAll(
      candidates.map((x) => ({
        key: `${x.split}/${x.thread.post.name}`,
        messages: x.messages,
        maxTokens: o.maxTokens,
        temperature: o.temperature,
      })),
      (done) => bar.update(done),
      ctx.signal ? { signal: ctx.signal } : {},
    );
    bar.stop();
  } finally {
    await teacher.dispose();
  }
  interface Target {
    cand: Candidate;
    text: string;
    trimmed: boolean;
  }
  const targets: Target[] = [];
  let trimmed = 0;
  for (const cand of candidates) {
    const reply = replies.get(`${cand.split}/${cand.thread.post.name}`)!;
    const t = synthesisTarget(reply);
    const d = dropped[cand.split]!;
    if (typeof t === "string") {
      d[t] = (d[t] ?? 0) + 1;
      continue;
    }
    if (t.text.length < s.minTargetChars) {
      d["target-too-short"] = (d["target-too-short"] ?? 0) + 1;
      continue;
    }
    if (t.text.length > s.maxTargetChars) {
      d["target-too-long"] = (d["target-too-long"] ?? 0) + 1;
      continue;
    }
    if (t.trimmed) trimmed++;
    targets.push({ cand, ...t });
  }
  // question–answer similarity (MiniLM sentence encoder, as the study used), cached by content
  const sims = await similarities(
    ctx,
    join(dir, "sft", "similarity-cache.json"),
    targets.map((t) => [t.cand.question, t.text] as const),
  );
  const perSplit: Record<string, SftExample[]> = { train: [], validation: [] };
  const similarity: Record<string, number[]> = { train: [], validation: [] };
  targets.forEach((t, i) => {
    const sim = sims[i]!;
    similarity[t.cand.split]!.push(sim);
    if (o.minSimilarity !== null && sim < o.minSimilarity) {
      const d = dropped[t.cand.split]!;
      d["below-min-similarity"] = (d["below-min-similarity"] ?? 0) + 1;
      return;
    }
    perSplit[t.cand.split]!.push({
      messages: [
        { role: "system", content: c.systemPrompt },
        { role: "user", content: t.cand.question },
        { role: "assistant", content: t.text },
      ],
      meta: {
        thread: t.cand.thread.post.name,
        subreddit: t.cand.thread.post.subreddit,
        target: `synthesis:${t.cand.comments.join(",")}`,
        targetScore: 0,
        similarity: sim,
      },
    });
  });
  if (s.maxExamples && perSplit.train!.length > s.maxExamples)
    perSplit.train = seededShuffle(perSplit.train!, c.seed).slice(0, s.maxExamples);
  const filters: CardFilter[] = TRAIN_SPLITS.map((split) => ({
    id: `synthesis-${split}`,
    description: `corpus ${split} threads -> teacher synthesis -> length limits -> similarity >= ${o.minSimilarity ?? "off"}${split === "train" && s.maxExamples ? ` -> sample ${s.maxExamples}` : ""}`,
    in: inCount[split]!,
    out: perSplit[split]!.length,
    dropped: dropped[split]!,
  }));
  const card = await writeDatasetCard(dir, {
    name: "sft",
    title: `SFT set (teacher synthesis of the top ${o.topK} comments): ${c.name}`,
    format: "conversational language modeling (messages)",
    files: TRAIN_SPLITS.map((split) => ({ split, rows: perSplit[split]! })),
    filters,
    provenance: await corpusProvenance(ctx, TRAIN_SPLITS),
    teacher: { model: o.teacher!, signature: teacher.signature, settings: { ...o } },
    settings: s,
    extra: {
      similarity: {
        encoder: "all-MiniLM-L6-v2 (mean pooling, 256 tokens; src/evaluation/metrics/sentence-embedder.ts)",
        between: "question (title + body) and synthesised answer, cosine",
        minSimilarity: o.minSimilarity,
        perThreshold: Object.fromEntries(
          TRAIN_SPLITS.map((sp) => [sp, thresholdCounts(similarity[sp]!, o.reportThresholds)]),
        ),
      },
      trimmedUnfinishedSentence: trimmed,
    },
  });
  return {
    counts: { sftTrain: perSplit.train!.length, sftValidation: perSplit.validation!.length },
    outputs: card.files.map((f) => f.path).concat("sft/card.json", "sft/similarity-cache.json"),
    notes: [teacherNote("sft synthesis", teacher)],
    summary: { examples: Object.fromEntries(card.files.map((f) => [f.split, f.rows])), filters, target: "synthesis" },
  };
}

/** Encoder label in similarity cache keys (createEmbedder without a model = this encoder). */
const SIMILARITY_ENCODER = "all-MiniLM-L6-v2:mean-pooling:256";

/**
 * Cosine similarity of each (question, answer) pair's MiniLM embeddings, rounded to 6 decimals. Values are
 * cached in `cacheFile` (sha256 of encoder, question and answer -> value; rewritten with exactly the pairs of this
 * run, keys sorted), so a rerun with the same texts loads no encoder and writes the same bytes.
 */
async function similarities(
  ctx: StageContext,
  cacheFile: string,
  pairs: readonly (readonly [string, string])[],
): Promise<number[]> {
  const prev = await readFile(cacheFile, "utf8")
    .then((t) => JSON.parse(t) as Record<string, number>)
    .catch(() => ({}) as Record<string, number>);
  const keys = pairs.map(([q, a]) =>
    createHash("sha256")
      .update(JSON.stringify([SIMILARITY_ENCODER, q, a]))
      .digest("hex"),
  );
  const missing = keys.map((k, i) => (typeof prev[k] === "number" ? -1 : i)).filter((i) => i >= 0);
  const values = new Map<string, number>();
  for (const k of keys) if (typeof prev[k] === "number") values.set(k, prev[k]);
  if (missing.length > 0) {
    const embedder = await createEmbedder(undefined, undefined, { runtime: ctx.runtime, env: ctx.env });
    try {
      const q = await embedder.embed(missing.map((i) => pairs[i]![0]));
      const a = await embedder.embed(missing.map((i) => pairs[i]![1]));
      missing.forEach((i, j) => {
        values.set(keys[i]!, Math.round(cosine(q[j]!, a[j]!) * 1e6) / 1e6);
      });
    } finally {
      await embedder.dispose();
    }
  }
  await writeJson(cacheFile, Object.fromEntries([...values.entries()].sort((x, y) => (x[0] < y[0] ? -1 : 1))));
  return keys.map((k) => values.get(k)!);
}

/** The GGUF tokenizer of the preference recipe (`tokenizer`, else the first llama model). */
async function preferenceTokenizer(ctx: StageContext): Promise<Tokenizer> {
  const c = ctx.exp.config;
  const key = c.datasets.preferences!.tokenizer ?? Object.keys(c.models).find((k) => c.models[k]!.provider === "llama");
  const m = key === undefined ? undefined : c.models[key];
  if (m?.provider !== "llama")
    throw new ConfigError(
      "datasets.preferences: no local llama model to tokenize with (set datasets.preferences.tokenizer)",
    );
  const path = resolveGgufPath(m.path, ctx.env);
  const model = await (await ctx.runtime()).loadModel(path);
  return { id: `gguf:${path.split("/").at(-1)}`, tokenize: (text) => model.tokenize(text) as unknown as number[] };
}

/**
 * Preference pairs from every configured source (corpus sources per train/validation split; human and judge
 * sources into train), filtered (empty, identical, identical after truncation), with a separability report per
 * source and overall, and the card.
 */
export async function buildPreferences(ctx: StageContext): Promise<RecipeResult> {
  const c = ctx.exp.config;
  const p = c.datasets.preferences!;
  const dir = ctx.dir("datasets");
  const tokenizer = await preferenceTokenizer(ctx);
  const rows: Record<string, PreferencePair[]> = { train: [], validation: [] };
  const filters: CardFilter[] = [];
  const provenance: Record<string, unknown> = {};
  const splits = new Map<string, Thread[]>();
  const threadsOf = async (split: string) => {
    if (!splits.has(split)) splits.set(split, await readSplit(ctx, split));
    return splits.get(split)!;
  };
  for (const [i, src] of p.sources.entries()) {
    const id = `${i}:${src.kind}`;
    const skipped: SkipCounts = {};
    const add = (split: string, candidates: PreferencePair[], inCount: number, description: string) => {
      const kept = filterPairs(
        candidates,
        { tokenizer, maxLength: p.maxLength, maxPromptLength: p.maxPromptLength },
        skipped,
      );
      rows[split]!.push(...kept);
      filters.push({ id: `${id}:${split}`, description, in: inCount, out: kept.length, dropped: { ...skipped } });
      for (const k of Object.keys(skipped)) delete skipped[k as keyof SkipCounts];
    };
    if (src.kind === "reddit-votes" || src.kind === "rule-quarters") {
      provenance[id] = await corpusProvenance(ctx, TRAIN_SPLITS);
      for (const split of TRAIN_SPLITS) {
        const threads = await threadsOf(split);
        const cands: PreferencePair[] = [];
        for (const t of threads) {
          const r =
            src.kind === "reddit-votes"
              ? redditVotePairs(t, { ...src, systemPrompt: c.systemPrompt })
              : ruleQuarterPair(t, c.systemPrompt);
          if (typeof r === "string") countSkip(skipped, r);
          else cands.push(...(Array.isArray(r) ? r : [r]));
        }
        add(split, cands, threads.length, sourceDescription(src, "threads"));
      }
    } else if (src.kind === "human") {
      const experiment = src.experiment ?? c.name;
      const human = exportPreferencePairs(ctx.store, experiment);
      provenance[id] = {
        store: "workspace store, pair_choices (wayfarer human export --what preferences)",
        experiment,
        choices: human.length,
      };
      add(
        "train",
        humanPairs(human, c.systemPrompt, skipped),
        human.length,
        sourceDescription(src, "non-tie human choices"),
      );
    } else {
      const base = join(dirname(ctx.dir("datasets")), "..", src.from);
      const vFile = join(base, "evaluate", "pairwise.jsonl");
      const aFile = join(base, "generate", "answers.jsonl");
      const verdicts = await readRequired<JudgeVerdictLine>(vFile, ["itemId", "variantA", "variantB", "status"]);
      const answers = await readRequired<JudgeAnswerLine>(aFile, ["variant", "itemId", "question", "answer"]);
      provenance[id] = { files: { [vFile]: await fileSha256(vFile), [aFile]: await fileSha256(aFile) } };
      add(
        "train",
        judgePairs(verdicts, answers, { systemPrompt: c.systemPrompt, from: src.from }, skipped),
        verdicts.length,
        sourceDescription(src, "judged comparisons"),
      );
    }
  }
  const all = [...rows.train!, ...rows.validation!];
  const textPairs = (ps: PreferencePair[]) =>
    ps.map((x) => ({ chosen: x.chosen[0]!.content, rejected: x.rejected[0]!.content }));
  const sep = { ...p.separability, seed: c.seed };
  const bySource: Record<string, ReturnType<typeof separabilityReport>> = {};
  for (const kind of [...new Set(all.map((x) => x.source))])
    bySource[kind] = separabilityReport(textPairs(all.filter((x) => x.source === kind)), sep);
  const overall = separabilityReport(textPairs(all), sep);
  const notes: string[] = [];
  for (const [kind, r] of Object.entries({ all: overall, ...bySource })) {
    if (r.triviallySeparable)
      notes.push(
        `TRIVIALLY SEPARABLE (${kind}): ${r.flaggedBy.join(", ")} reach held-out accuracy >= ${r.flagAccuracy} on ${r.pairs} pairs — a reward model can learn the rule that built the pairs instead of the preference (the seed study's rule-built pairs reached reward accuracy 1.0)`,
      );
    else if (r.triviallySeparable === null && r.pairs > 0)
      notes.push(`separability (${kind}): only ${r.pairs} pairs, too few to tell`);
  }
  const card = await writeDatasetCard(dir, {
    name: "preferences",
    title: `Preference pairs: ${c.name}`,
    format: "conversational preference (prompt, chosen, rejected)",
    files: TRAIN_SPLITS.map((split) => ({ split, rows: rows[split]! })),
    filters,
    provenance: { ...provenance, tokenizer: tokenizer.id },
    settings: p,
    extra: { separability: { all: overall, bySource } },
    notes,
    markdown: separabilityTable({ all: overall, ...bySource }),
  });
  return {
    counts: { preferencesTrain: rows.train!.length, preferencesValidation: rows.validation!.length },
    outputs: card.files.map((f) => f.path).concat("preferences/card.json"),
    notes: notes.map((n) => `preferences: ${n}`),
    summary: {
      examples: Object.fromEntries(card.files.map((f) => [f.split, f.rows])),
      triviallySeparable: overall.triviallySeparable,
      flaggedSources: Object.entries(bySource)
        .filter(([, r]) => r.triviallySeparable)
        .map(([k]) => k),
    },
  };
}

/** The separability report as a Markdown table, one row per source (and all pairs). */
function separabilityTable(reports: Record<string, ReturnType<typeof separabilityReport>>): string[] {
  const f = (x: number | null | undefined, d = 2) => (x === null || x === undefined ? "-" : x.toFixed(d));
  const acc = (r: ReturnType<typeof separabilityReport>, id: string) =>
    f(r.classifiers.find((c) => c.id === id)?.accuracy);
  const rows = Object.entries(reports).map(
    ([k, r]) =>
      `| ${k} | ${r.pairs} | ${f(r.length.meanWordDiff, 1)} | ${f(r.length.chosenLongerShare)} | ${f(r.lexicalOverlap)} | ${acc(r, "longer-wins")} | ${acc(r, "shorter-wins")} | ${acc(r, "bow-logreg")} | ${acc(r, "surface-logreg")} | ${r.triviallySeparable === null ? "too few pairs" : r.triviallySeparable ? `**yes** (${r.flaggedBy.join(", ")})` : "no"} |`,
  );
  const first = Object.values(reports)[0];
  return [
    `## Separability (before training; ${first?.folds ?? 5}-fold held-out accuracy, flagged at >= ${first?.flagAccuracy ?? 0.9})`,
    "",
    "| source | pairs | mean word diff (chosen - rejected) | chosen longer | lexical overlap (Jaccard) | longer wins | shorter wins | BoW logreg | surface logreg | trivially separable |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ...rows,
  ];
}

/**
 * Reads a JSONL file whose lines must carry `fields` as strings.
 * @throws InputError naming file, line and field for a missing file, a line that is not JSON, or a missing field.
 */
async function readRequired<T>(file: string, fields: readonly string[]): Promise<T[]> {
  const out: T[] = [];
  let line = 0;
  for (const text of (
    await readFile(file, "utf8").catch((cause: unknown) => {
      throw new InputError({ file }, "missing (run the experiment it comes from first)", { cause });
    })
  ).split("\n")) {
    line++;
    if (!text.trim()) continue;
    let v: Record<string, unknown>;
    try {
      v = JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
      throw new InputError({ file, line }, `not valid JSON: ${(e as Error).message}`);
    }
    for (const f of fields)
      if (typeof v[f] !== "string") throw new InputError({ file, line, field: f }, "missing or not a string");
    out.push(v as T);
  }
  return out;
}

function sourceDescription(src: PreferenceSourceConfig, unit: string): string {
  switch (src.kind) {
    case "reddit-votes":
      return `${unit} -> Reddit-vote pairs (margin >= ${src.minScoreMargin}, ratio >= ${src.minScoreRatio}, <= ${src.maxPairsPerThread}/thread) -> not empty / identical / identical after truncation`;
    case "human":
      return `${unit} -> majority per answer pair -> not empty / identical / identical after truncation`;
    case "judge":
      return `${unit} of ${src.from} -> both orders agree -> not empty / identical / identical after truncation`;
    case "rule-quarters":
      return `${unit} -> the seed study's rule (first vs last quarter of the comment text; comparison only) -> not empty / identical / identical after truncation`;
    default:
      return src satisfies never;
  }
}

/** Golden drafts: the teacher drafts one Q/A per held-out thread, written `reviewed: false`. */
export async function buildGoldenDrafts(ctx: StageContext): Promise<RecipeResult> {
  const c = ctx.exp.config;
  const o = c.datasets.golden.build!;
  const threads = await readSplit(ctx, o.split);
  const dropped: Record<string, number> = {};
  const reqs: { key: string; thread: Thread; messages: { role: "user"; content: string }[] }[] = [];
  let considered = 0;
  for (const t of threads) {
    if (reqs.length >= o.maxItems) break;
    considered++;
    const r = goldenRequest(t, o);
    if (typeof r === "string") dropped[r] = (dropped[r] ?? 0) + 1;
    else reqs.push({ key: t.post.name, thread: t, messages: r.messages as { role: "user"; content: string }[] });
  }
  const teacher = await openTeacher(ctx, o.teacher);
  let replies: Awaited<ReturnType<Teacher["completeAll"]>>;
  try {
    replies = await teacher.completeAll(
      reqs.map((r) => ({ key: r.key, messages: r.messages, maxTokens: o.maxTokens, temperature: o.temperature })),
      undefined,
      ctx.signal ? { signal: ctx.signal } : {},
    );
  } finally {
    await teacher.dispose();
  }
  const drafts: GoldenDraft[] = [];
  for (const r of reqs) {
    const parsed = parseGoldenReply(replies.get(r.key)!.text);
    if (typeof parsed === "string") {
      dropped[parsed as GoldenDraftProblem] = (dropped[parsed] ?? 0) + 1;
      continue;
    }
    drafts.push({
      id: `gb-${r.thread.post.id}`,
      ...parsed,
      reviewed: false,
      status: "draft",
      source: { thread: r.thread.post.name, subreddit: r.thread.post.subreddit, split: o.split },
      teacher: teacher.signature,
    });
  }
  const card = await writeDatasetCard(ctx.dir("datasets"), {
    name: "golden-drafts",
    title: `Golden drafts (teacher-written, to review): ${c.name}`,
    format: "golden set (question, answer)",
    files: [{ split: "drafts", rows: drafts }],
    filters: [
      {
        id: "golden-build",
        description: `corpus ${o.split} threads, in order until ${o.maxItems} are usable (${considered} of ${threads.length} read) -> teacher draft -> JSON {question, answer}`,
        in: considered,
        out: drafts.length,
        dropped,
      },
    ],
    provenance: await corpusProvenance(ctx, [o.split]),
    teacher: { model: o.teacher, signature: teacher.signature, settings: { ...o } },
    settings: o,
    notes: [
      "Every draft is reviewed: false. Review: wayfarer golden review <this folder>/drafts.jsonl (or the review page of wayfarer serve --golden FILE); then set datasets.golden.file to the .reviewed.jsonl.",
    ],
  });
  return {
    counts: { goldenDrafts: drafts.length },
    outputs: ["golden-drafts/drafts.jsonl", "golden-drafts/card.json"],
    notes: [teacherNote("golden build", teacher)],
    summary: { drafts: drafts.length, dropped, sha256: card.files[0]!.sha256 },
  };
}

/**
 * RAFT (src/datasets/raft.ts): documents of the retrieval index (built or reopened from the corpus splits),
 * teacher questions and chain-of-thought answers, oracle with probability P and k distractors. The card holds
 * the recipe's counts (validation failures by reason, oracle share, quotes) without the run-dependent teacher
 * usage, which goes to the stage notes.
 */
export async function buildRaft(ctx: StageContext): Promise<RecipeResult> {
  const c = ctx.exp.config;
  const o = c.datasets.raft!;
  let bar: ReturnType<typeof ctx.progress.bar> | undefined;
  const index = await openRetrievalIndex({
    corpusDir: ctx.dir("corpus"),
    settings: c.retrieval,
    env: ctx.env,
    onProgress: (done, total) => {
      bar ??= ctx.progress.bar("datasets: retrieval index (embedding documents)", total);
      bar.update(done);
    },
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  bar?.stop();
  const teacher = await openTeacher(ctx, o.teacher);
  let built: Awaited<ReturnType<typeof buildRaftDataset>>;
  try {
    built = await buildRaftDataset({ index, teacher, settings: o, seed: c.seed, systemPrompt: c.systemPrompt });
  } finally {
    await teacher.dispose();
    await index.dispose();
  }
  const { records, counts } = built;
  const { teacher: _usage, settings: _settings, ...cardCounts } = counts;
  const card = await writeDatasetCard(ctx.dir("datasets"), {
    name: "raft",
    title: `RAFT set (P = ${o.oracleProbability}, ${o.distractors} ${o.distractorSource} distractors): ${c.name}`,
    format: "conversational language modeling (messages)",
    files: [{ split: "train", rows: records }],
    filters: [
      {
        id: "raft-questions",
        description: `retrieval documents (>= ${o.minChunkTokens} tokens${o.maxChunks ? `, sample of ${o.maxChunks}` : ""}) -> teacher questions (${o.questionsPerChunk} per document)`,
        in: counts.chunksUsed,
        out: counts.questionReplies.ok,
        dropped: {
          "teacher-error": counts.questionReplies.teacherError,
          "no-questions": counts.questionReplies.noQuestions,
        },
      },
      {
        id: "raft-answers",
        description: `questions -> chain-of-thought answers validated (markers balanced, quotes found in the oracle (${o.quoteMode}), one <ANSWER>:)${o.dropInvalid ? ", invalid dropped" : ", invalid kept and flagged"}`,
        in: counts.questions,
        out: counts.examples,
        dropped: { "teacher-error": counts.answers.teacherError, ...counts.answers.failures },
      },
    ],
    provenance: {
      ...(await corpusProvenance(ctx, c.retrieval.splits)),
      retrievalIndex: index.hash,
      format:
        "gorilla raft.py record fields (id, type, question, context{title, sentences}, oracle_context, cot_answer, instruction) + messages + prompt/completion",
    },
    teacher: { model: o.teacher, signature: teacher.signature, settings: { ...o } },
    settings: { raft: o, retrieval: c.retrieval },
    extra: { counts: cardCounts },
  });
  return {
    counts: { raft: records.length },
    outputs: ["raft/train.jsonl", "raft/card.json"],
    notes: [teacherNote("raft", teacher)],
    summary: { examples: card.files[0]!.rows, oracleInContext: counts.oracleInContext, withQuote: counts.withQuote },
  };
}
