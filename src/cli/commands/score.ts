/**
 * `wayfarer score`: scores any JSONL of predictions outside an experiment.
 *
 *   wayfarer score --metric bleu,rougeL --pred preds.jsonl --ref refs.jsonl [--contexts ctx.jsonl] [--json]
 *
 * Files are JSONL, matched line by line (blank lines are skipped but keep their line numbers):
 * - `--pred`: `{"answer": "..."}` (or `prediction` / `output`), optional `question` and `id`; or a bare
 *   JSON string;
 * - `--ref`: `{"reference": "..."}` or `{"references": ["...", ...]}`, optional `id` (must equal the
 *   prediction's id when both have one); or a bare string / array of strings;
 * - `--contexts`: `{"contexts": ["...", ...]}` or a bare array of strings.
 * Output: per-item results and a corpus score per metric: the corpus statistic for `bleu` (sacrebleu
 * corpus BLEU), `bleu-hf` (HF evaluate over all pairs) and `chrf` (sacrebleu corpus chrF); the mean of
 * scored items for every other metric (errors and not-applicable items are counted, never averaged).
 * Judge metrics need `--judge-url` + `--judge-model` (key from WAYFARER_JUDGE_API_KEY or OPENAI_API_KEY)
 * or `--judge-gguf`; perplexity needs `--lm-gguf`; sentence encoders default to all-MiniLM-L6-v2 from the model
 * cache (`--encoder-gguf` for a GGUF embedding model instead).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { LlamaModelSchema, type ModelConfig } from "../../config/experiment.ts";
import { ConfigError } from "../../errors/config-error.ts";
import { InputError } from "../../errors/input-error.ts";
import { type EvaluationItem, evaluateAll } from "../../evaluation/engine.ts";
import { corpusBleu, hfBleu } from "../../evaluation/metrics/bleu.ts";
import { corpusChrf } from "../../evaluation/metrics/chrf.ts";
import { ROUGE_NO_TOKENS } from "../../evaluation/metrics/rouge.ts";
import { defaultMiniLmDir } from "../../evaluation/metrics/support/minilm.ts";
import { EVALUATOR_IDS, EVALUATORS, type EvaluatorId, isEvaluatorId } from "../../evaluation/registry.ts";
import {
  checkEvaluatorResources,
  type EvaluatorResourceSources,
  EvaluatorResources,
  type ResourceHints,
} from "../../evaluation/resources.ts";
import type { EvaluationInput } from "../../evaluation/types.ts";
import { LlamaRuntime } from "../../models/llama-generator.ts";
import { newestScoreOf } from "../../store/scores.ts";
import { Store } from "../../store/store.ts";
import type { CliContext, CommandDefinition } from "../context.ts";

/** Options of `wayfarer score`. */
export interface ScoreCommandOptions {
  /** Registry ids (repeatable or comma-separated). */
  metric: string[];
  pred: string;
  ref?: string;
  contexts?: string;
  /** JSON object of evaluator options applied to every metric that accepts them, e.g. `{"stemmer":false}`. */
  options?: string;
  judgeUrl?: string;
  judgeModel?: string;
  judgeGguf?: string;
  encoderGguf?: string;
  lmGguf?: string;
  /** Evaluator calls in flight (default 4). */
  concurrency?: number;
  json?: boolean;
}

/** One item's result in the output. */
export interface ScoredItem {
  /** 1-based line in `--pred`. */
  line: number;
  id?: string;
  status: "scored" | "error" | "not-applicable";
  value: number | null;
  reason?: string;
  details?: Record<string, number>;
}

/** Per-metric output. */
export interface MetricOutput {
  metric: EvaluatorId;
  corpus: {
    /** Corpus statistic (bleu, bleu-hf, chrf) or mean of scored items; null when nothing scored. */
    value: number | null;
    kind: "corpus-statistic" | "mean-of-scored";
    signature: string;
    nScored: number;
    nError: number;
    nNotApplicable: number;
    promptTokens: number;
    completionTokens: number;
    usd: number | null;
  };
  items: ScoredItem[];
}

export interface ScoreCommandResult {
  items: number;
  metrics: MetricOutput[];
}

interface Line {
  line: number;
  value: unknown;
}

function readJsonl(cwd: string, file: string): Line[] {
  let text: string;
  try {
    text = readFileSync(resolve(cwd, file), "utf8");
  } catch (cause) {
    throw new InputError({ file }, `cannot read (${(cause as Error).message})`, { cause });
  }
  const out: Line[] = [];
  // A byte order mark (Windows editors) is not part of the first line's JSON.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  text.split("\n").forEach((raw, i) => {
    if (raw.trim() === "") return;
    try {
      out.push({ line: i + 1, value: JSON.parse(raw) as unknown });
    } catch (cause) {
      throw new InputError({ file, line: i + 1 }, `not valid JSON (${(cause as Error).message})`, { cause });
    }
  });
  if (out.length === 0) throw new InputError({ file }, "no JSON lines");
  return out;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");

function readPred(file: string, l: Line): { answer: string; question: string; id?: string } {
  if (typeof l.value === "string") return { answer: l.value, question: "" };
  if (!isObj(l.value))
    throw new InputError({ file, line: l.line }, 'expected an object with "answer" or a JSON string');
  const v = l.value;
  const key = ["answer", "prediction", "output"].find((k) => k in v);
  if (key === undefined) throw new InputError({ file, line: l.line }, 'missing "answer" (or "prediction" / "output")');
  if (typeof v[key] !== "string") throw new InputError({ file, line: l.line, field: key }, "must be a string");
  if (v.question !== undefined && typeof v.question !== "string")
    throw new InputError({ file, line: l.line, field: "question" }, "must be a string");
  if (v.id !== undefined && typeof v.id !== "string" && typeof v.id !== "number")
    throw new InputError({ file, line: l.line, field: "id" }, "must be a string or number");
  return {
    answer: v[key] as string,
    question: (v.question as string | undefined) ?? "",
    ...(v.id !== undefined ? { id: String(v.id) } : {}),
  };
}

function readRef(file: string, l: Line): { references: string[]; id?: string } {
  if (typeof l.value === "string") return { references: [l.value] };
  if (isStrings(l.value)) return { references: l.value };
  if (!isObj(l.value))
    throw new InputError(
      { file, line: l.line },
      'expected an object with "reference(s)", a string or an array of strings',
    );
  const v = l.value;
  let references: string[];
  if (typeof v.reference === "string") references = [v.reference];
  else if (isStrings(v.references)) references = v.references;
  else if ("reference" in v) throw new InputError({ file, line: l.line, field: "reference" }, "must be a string");
  else if ("references" in v)
    throw new InputError({ file, line: l.line, field: "references" }, "must be an array of strings");
  else throw new InputError({ file, line: l.line }, 'missing "reference" or "references"');
  return { references, ...(v.id !== undefined ? { id: String(v.id) } : {}) };
}

function readContexts(file: string, l: Line): string[] {
  if (isStrings(l.value)) return l.value;
  if (isObj(l.value) && isStrings(l.value.contexts)) return l.value.contexts;
  throw new InputError({ file, line: l.line }, 'expected {"contexts": [strings]} or an array of strings');
}

/** Builds the evaluation inputs from the three files (errors name file and line). */
export function readScoreInputs(
  cwd: string,
  files: { pred: string; ref?: string; contexts?: string },
): Array<{ line: number; id?: string; input: EvaluationInput }> {
  const preds = readJsonl(cwd, files.pred);
  const refs = files.ref !== undefined ? readJsonl(cwd, files.ref) : undefined;
  const ctxs = files.contexts !== undefined ? readJsonl(cwd, files.contexts) : undefined;
  for (const [name, other] of [
    [files.ref, refs],
    [files.contexts, ctxs],
  ] as const) {
    if (other && other.length !== preds.length)
      throw new InputError(
        { file: name! },
        `has ${other.length} JSON lines but ${files.pred} has ${preds.length}; they are matched line by line`,
      );
  }
  return preds.map((p, i) => {
    const pred = readPred(files.pred, p);
    const input: EvaluationInput = { question: pred.question, answer: pred.answer };
    if (refs) {
      const r = readRef(files.ref!, refs[i]!);
      if (pred.id !== undefined && r.id !== undefined && pred.id !== r.id)
        throw new InputError(
          { file: files.ref!, line: refs[i]!.line, field: "id" },
          `is "${r.id}" but line ${p.line} of ${files.pred} has id "${pred.id}"`,
        );
      input.references = r.references;
    }
    if (ctxs) input.contexts = readContexts(files.contexts!, ctxs[i]!);
    return { line: p.line, ...(pred.id !== undefined ? { id: pred.id } : {}), input };
  });
}

/** Options from `--options` that a metric's schema knows (others are dropped for that metric). */
function optionsFor(id: EvaluatorId, all: Record<string, unknown>): Record<string, unknown> {
  const schema = EVALUATORS[id].optionsSchema as unknown as {
    shape?: Record<string, unknown>;
    _zod?: { def?: { shape?: Record<string, unknown> } };
  };
  const shape = schema.shape ?? schema._zod?.def?.shape;
  if (!shape) return {};
  return Object.fromEntries(Object.entries(all).filter(([k]) => k in shape));
}

/** Parses, builds the resources the metrics need, scores, prints. */
export async function runScore(opts: ScoreCommandOptions, ctx: CliContext): Promise<ScoreCommandResult> {
  const ids: EvaluatorId[] = [];
  for (const m of opts.metric) {
    if (!isEvaluatorId(m)) throw new ConfigError(`--metric ${m}: unknown metric; known: ${EVALUATOR_IDS.join(", ")}`);
    if (!ids.includes(m)) ids.push(m);
  }
  if (ids.length === 0) throw new ConfigError(`--metric: give at least one of ${EVALUATOR_IDS.join(", ")}`);
  let extra: Record<string, unknown> = {};
  if (opts.options !== undefined) {
    try {
      extra = JSON.parse(opts.options) as Record<string, unknown>;
    } catch {
      throw new ConfigError(`--options: not valid JSON (${opts.options}); give an object such as '{"stemmer":false}'`);
    }
    if (!isObj(extra)) throw new ConfigError("--options: must be a JSON object");
  }
  const unused = Object.keys(extra).filter((k) => ids.every((id) => !(k in optionsFor(id, { [k]: true }))));
  if (unused.length > 0)
    throw new ConfigError(
      `--options: ${unused.map((k) => `"${k}"`).join(", ")} is not an option of ${ids.join(", ")} (a typo would be ignored silently)`,
    );
  for (const id of ids) {
    const d = EVALUATORS[id].descriptor;
    if (d.needs.includes("references") && opts.ref === undefined)
      throw new ConfigError(`--metric ${id} compares with reference answers: give --ref FILE`);
    if (d.needs.includes("contexts") && opts.contexts === undefined)
      throw new ConfigError(`--metric ${id} reads the retrieved contexts: give --contexts FILE`);
  }
  const requests = ids.map((id) => ({ id, options: optionsFor(id, extra) }));
  const sources = scoreResourceSources(opts, ctx);
  checkEvaluatorResources(requests, sources, { env: ctx.env, hints: SCORE_RESOURCE_HINTS });
  const rows = readScoreInputs(ctx.cwd, {
    pred: opts.pred,
    ...(opts.ref ? { ref: opts.ref } : {}),
    ...(opts.contexts ? { contexts: opts.contexts } : {}),
  });

  let runtime: LlamaRuntime | undefined;
  const store = Store.open(":memory:");
  let resources: EvaluatorResources | undefined;
  try {
    resources = await EvaluatorResources.create({
      requests,
      sources,
      hints: SCORE_RESOURCE_HINTS,
      env: ctx.env,
      runtime: async () => (runtime ??= await LlamaRuntime.create()),
      idfReferences: rows.flatMap((r) => r.input.references ?? []),
    });
    const context = resources.context;
    const items: EvaluationItem[] = rows.map((r) => ({ variant: "pred", itemId: String(r.line), input: r.input }));
    const summary = await evaluateAll({
      store,
      experiment: "score",
      items,
      evaluators: requests,
      context,
      concurrency: opts.concurrency ?? 4,
      ...(ctx.interactive ? { onProgress: (d: number, t: number) => ctx.err(`\rscoring ${d}/${t}`) } : {}),
    });
    if (ctx.interactive) ctx.err("\n");
    const read = newestScoreOf(store);
    const metrics: MetricOutput[] = requests.map((req) => {
      const s = summary.rows.find((r) => r.evaluator === req.id)!;
      const itemsOut: ScoredItem[] = rows.map((r) => {
        const row = read(req.id, String(r.line))!;
        return {
          line: r.line,
          ...(r.id !== undefined ? { id: r.id } : {}),
          status: row.status,
          value: row.value,
          ...(row.reason !== null ? { reason: row.reason } : {}),
          ...(row.details_json !== null ? { details: JSON.parse(row.details_json) as Record<string, number> } : {}),
        };
      });
      const corpus = corpusStatistic(
        req.id,
        req.options,
        rows.map((r) => r.input),
      );
      return {
        metric: req.id,
        corpus: {
          value: corpus ? corpus.value : s.mean,
          kind: corpus ? "corpus-statistic" : "mean-of-scored",
          signature: corpus ? corpus.signature : s.signatures.join(" ; "),
          nScored: s.nScored,
          nError: s.nError,
          nNotApplicable: s.nNotApplicable,
          promptTokens: s.promptTokens,
          completionTokens: s.completionTokens,
          usd: s.usd,
        },
        items: itemsOut,
      };
    });
    const result: ScoreCommandResult = { items: rows.length, metrics };
    if (opts.json) ctx.out(`${JSON.stringify(result, null, 2)}\n`);
    else {
      for (const m of metrics) {
        const c = m.corpus;
        const v = c.value === null ? "n/a" : c.value.toFixed(4);
        ctx.out(
          `${m.metric}\t${v}\t(${c.kind}; scored ${c.nScored}, error ${c.nError}, not-applicable ${c.nNotApplicable}${c.promptTokens ? `; tokens ${c.promptTokens}+${c.completionTokens}` : ""})\t${c.signature}\n`,
        );
        const noTokens = m.items.filter((i) => i.reason?.startsWith(ROUGE_NO_TOKENS)).length;
        if (noTokens > 0)
          ctx.err(
            `${m.metric}: ${noTokens} of ${m.items.length} rows score 0 because the tokenizer left no tokens (non-Latin text?); --options '{"tokenizer":"unicode"}' scores them\n`,
          );
      }
    }
    return result;
  } finally {
    store.dispose();
    await resources?.dispose();
    await runtime?.dispose();
  }
}

/** How `wayfarer score` supplies each resource (for messages). */
export const SCORE_RESOURCE_HINTS: ResourceHints = {
  evaluator: (id) => `--metric ${id}`,
  judge:
    "give --judge-url URL and --judge-model ID (key from WAYFARER_JUDGE_API_KEY or OPENAI_API_KEY), or --judge-gguf FILE",
  embedder: "give --encoder-gguf FILE, or run scripts/setup.sh to install all-MiniLM-L6-v2",
  referenceLm: "give --lm-gguf FILE (a local GGUF language model)",
};

/** A local GGUF from a flag, with the experiment file's defaults for a llama model. */
function ggufModel(cwd: string, file: string, extra: { contextSize?: number; threads?: number } = {}): ModelConfig {
  return LlamaModelSchema.parse({ provider: "llama", path: resolve(cwd, file), ...extra });
}

/** The resource sources the flags name (see {@link SCORE_RESOURCE_HINTS}). @throws ConfigError on a half-given judge. */
export function scoreResourceSources(opts: ScoreCommandOptions, ctx: CliContext): EvaluatorResourceSources {
  const sources: EvaluatorResourceSources = { miniLmDir: defaultMiniLmDir(ctx.env) };
  if (opts.judgeUrl !== undefined || opts.judgeModel !== undefined) {
    if (!opts.judgeUrl || !opts.judgeModel) throw new ConfigError("--judge-url and --judge-model go together");
    sources.judge = {
      name: opts.judgeModel,
      model: {
        provider: "openai-compatible",
        baseURL: opts.judgeUrl,
        model: opts.judgeModel,
        apiKeyEnv: ctx.env.WAYFARER_JUDGE_API_KEY ? "WAYFARER_JUDGE_API_KEY" : "OPENAI_API_KEY",
        structuredOutputs: true,
      },
    };
  } else if (opts.judgeGguf)
    sources.judge = {
      name: opts.judgeGguf,
      model: ggufModel(ctx.cwd, opts.judgeGguf, { contextSize: 4096, threads: 1 }),
    };
  if (opts.encoderGguf) sources.embedder = { name: opts.encoderGguf, model: ggufModel(ctx.cwd, opts.encoderGguf) };
  if (opts.lmGguf) sources.referenceLm = { name: opts.lmGguf, model: ggufModel(ctx.cwd, opts.lmGguf, { threads: 1 }) };
  return sources;
}

/** Corpus-level statistic for metrics that have one (all items need references). */
function corpusStatistic(
  id: EvaluatorId,
  options: Record<string, unknown> | undefined,
  inputs: readonly EvaluationInput[],
): { value: number; signature: string } | null {
  if (id !== "bleu" && id !== "bleu-hf" && id !== "chrf") return null;
  if (inputs.some((i) => !i.references || i.references.length === 0)) return null;
  const hyps = inputs.map((i) => i.answer);
  const refs = inputs.map((i) => i.references!);
  const o = EVALUATORS[id].optionsSchema.parse(options ?? {}) as Record<string, unknown>;
  if (id === "bleu") {
    const { effectiveOrder: _e, ...corpusOpts } = o;
    const r = corpusBleu(hyps, refs, corpusOpts);
    return { value: r.score, signature: `bleu|corpus|${r.signature}` };
  }
  if (id === "bleu-hf") {
    const r = hfBleu(hyps, refs, o);
    return { value: r.bleu, signature: `bleu|corpus|${r.signature}` };
  }
  const r = corpusChrf(hyps, refs, o);
  return { value: r.score, signature: `chrf|corpus|${r.signature}` };
}

const collect = (v: string, prev: string[] | undefined) => [
  ...(prev ?? []),
  ...v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean),
];

function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${name} ${v}: expected a whole number ≥ 1`);
    return n;
  };
}

export const scoreCommand: CommandDefinition = {
  name: "score",
  register(program: Command, ctx: CliContext) {
    program
      .command("score")
      .description("Score a JSONL of predictions with any evaluator (per-item and corpus scores)")
      .requiredOption(
        "--metric <name>",
        `evaluator id, repeatable or comma-separated: ${EVALUATOR_IDS.join(", ")}`,
        collect,
      )
      .requiredOption("--pred <file>", 'predictions JSONL: {"answer", "question"?, "id"?} or a JSON string per line')
      .option(
        "--ref <file>",
        'references JSONL, line-matched: {"reference"} | {"references": [...]} | string | [strings]',
      )
      .option("--contexts <file>", 'retrieved contexts JSONL, line-matched: {"contexts": [...]} | [strings]')
      .option("--options <json>", "evaluator options as a JSON object, e.g. '{\"stemmer\":false}'")
      .option(
        "--judge-url <url>",
        "OpenAI-compatible base URL of the judge (key from WAYFARER_JUDGE_API_KEY / OPENAI_API_KEY)",
      )
      .option("--judge-model <id>", "judge model id at --judge-url")
      .option("--judge-gguf <file>", "local GGUF judge (llama.cpp)")
      .option(
        "--encoder-gguf <file>",
        "GGUF sentence encoder for embedding-cosine and Ragas relevancy/correctness (default: all-MiniLM-L6-v2 from the model cache)",
      )
      .option("--lm-gguf <file>", "local GGUF reference LM (perplexity)")
      .option("--concurrency <n>", "evaluator calls in flight (default 4)", positiveInt("--concurrency"))
      .option("--json", "print JSON")
      .action(async (opts: ScoreCommandOptions) => {
        await runScore(opts, ctx);
      });
  },
};
