/**
 * Report basics a reader needs before any number: what each metric's scale and direction is, which
 * results are not worth reading (most answers cut at the token limit, an adapter trained on a handful
 * of examples), and exactly which code and library versions produced the report.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { EVALUATORS, isEvaluatorId } from "../evaluation/registry.ts";
import type { AnswerRecord, TrainSummary } from "../store/records.ts";
import { PROJECT_ROOT } from "../training/python.ts";

/** Scale and direction of one evaluator's values, from its descriptor. */
export interface MetricScale {
  /** Value range [low, high]; high may be Infinity (perplexity). */
  range: [number, number];
  higherIsBetter: boolean;
  label: string;
}

/** The scale of a registered evaluator; null for an id the registry does not know. */
export function metricScale(id: string): MetricScale | null {
  if (!isEvaluatorId(id)) return null;
  const d = EVALUATORS[id].descriptor;
  return { range: [d.range[0], d.range[1]], higherIsBetter: d.higherIsBetter, label: d.label };
}

/** "0–100, higher is better" */
export function scaleText(s: MetricScale | null): string {
  if (!s) return "scale unknown";
  const hi = Number.isFinite(s.range[1]) ? String(s.range[1]) : "∞";
  return `${s.range[0]}–${hi}, ${s.higherIsBetter ? "higher" : "lower"} is better`;
}

/** Fewer training examples than this and an adapter's difference from its base is mostly noise. */
export const MIN_TRAIN_EXAMPLES = 50;
/** Share of a variant's answers cut at generate.maxTokens above which its scores measure cut-off text. */
export const MAX_CUT_SHARE = 0.5;

/**
 * Warnings that change how the results must be read: a variant most of whose answers stopped at the
 * token limit (finishReason "length"), and an adapter trained on fewer than {@link MIN_TRAIN_EXAMPLES}
 * examples. Empty when none applies.
 */
export function reportFlags(
  answers: readonly AnswerRecord[],
  training: readonly TrainSummary[],
  maxTokens: number,
): string[] {
  const flags: string[] = [];
  const variants = [...new Set(answers.map((a) => a.variant))];
  for (const v of variants) {
    const mine = answers.filter((a) => a.variant === v);
    const cut = mine.filter((a) => a.finishReason === "length").length;
    if (cut / mine.length > MAX_CUT_SHARE)
      flags.push(
        `${v}: ${cut} of ${mine.length} answers hit the token limit (generate.maxTokens = ${maxTokens}); its scores rate answers cut short — raise maxTokens to compare finished answers.`,
      );
  }
  for (const t of training)
    if (t.trainExamples < MIN_TRAIN_EXAMPLES)
      flags.push(
        `adapter ${t.adapter} was trained on ${t.trainExamples} examples (fewer than ${MIN_TRAIN_EXAMPLES}): a difference from its base model is mostly noise; a pipeline check, not a result.`,
      );
  return flags;
}

/** Share of an evaluator's answers (or of the pairwise comparisons) left unmeasured above which its numbers are flagged. */
export const MAX_UNMEASURED_SHARE = 0.5;

/**
 * Warnings for evaluators that could not measure most answers — a judge whose output did not parse or
 * whose calls failed — and for a pairwise judge that gave most comparisons no verdict: their means and
 * win rates rest on the few that were measured (the 135M stand-in judge of the CPU examples is the usual
 * cause). Not-applicable answers (a context metric on a variant without retrieval) do not count.
 *
 * @param leaderboard variant -> evaluator -> counts (the leaderboard's cells).
 * @param pairwise pairwise summary rows (comparisons `n`, unparseable and failed ones), or null.
 * @returns one sentence per flagged evaluator, in the order first seen; [] when none.
 */
export function coverageFlags(
  leaderboard: Record<string, Record<string, { nScored: number; nError: number }>>,
  pairwise: readonly { n: number; nUnparseable: number; nError: number }[] | null,
): string[] {
  const totals = new Map<string, { scored: number; error: number }>();
  for (const row of Object.values(leaderboard))
    for (const [e, c] of Object.entries(row)) {
      const t = totals.get(e) ?? { scored: 0, error: 0 };
      t.scored += c.nScored;
      t.error += c.nError;
      totals.set(e, t);
    }
  const flags: string[] = [];
  for (const [e, t] of totals) {
    const n = t.scored + t.error;
    if (n > 0 && t.error / n > MAX_UNMEASURED_SHARE)
      flags.push(
        `${e}: ${t.error} of ${n} answers could not be measured (a failed call or output that did not parse; each score's reason says which): its means rest on the ${t.scored} that were — use a stronger judge model or a larger token budget.`,
      );
  }
  if (pairwise?.length) {
    const n = pairwise.reduce((s, r) => s + r.n, 0);
    const none = pairwise.reduce((s, r) => s + r.nUnparseable + r.nError, 0);
    if (n > 0 && none / n > MAX_UNMEASURED_SHARE)
      flags.push(
        `pairwise: ${none} of ${n} comparisons got no verdict (the judge's output had no [[A]]/[[B]]/[[C]], or the call failed): the pairwise table says little — use a stronger judge model.`,
      );
  }
  return flags;
}

/** What produced the report: code revision and library versions. */
export interface Provenance {
  /** `git rev-parse HEAD` of the Wayfarer checkout; null outside a git checkout. */
  gitCommit: string | null;
  /** True when tracked files differ from that commit (`git status --porcelain --untracked-files=no`). */
  gitDirty: boolean | null;
  wayfarer: string;
  node: string;
  /** Installed versions of the libraries that shape the numbers (npm and the trainer's Python packages). */
  packages: Record<string, string>;
}

const NPM_PACKAGES = ["node-llama-cpp", "@huggingface/transformers", "better-sqlite3", "zod", "yaml"];
const PYTHON_PACKAGES = ["torch", "transformers", "trl", "peft", "accelerate", "bitsandbytes"];

function git(args: string[]): string | null {
  try {
    return execFileSync("git", args, { cwd: PROJECT_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    return null;
  }
}

/**
 * Reads the revision and versions from the installation itself (package.json files of node_modules,
 * dist-info folder names of `.venv`), so the report names what ran, not what was pinned.
 */
export function collectProvenance(root = PROJECT_ROOT): Provenance {
  const commit = git(["rev-parse", "HEAD"])?.trim() || null;
  const status = commit ? git(["status", "--porcelain", "--untracked-files=no"]) : null;
  const packages: Record<string, string> = {};
  const version = (file: string) => {
    try {
      return String((JSON.parse(readFileSync(file, "utf8")) as { version?: string }).version ?? "");
    } catch {
      return "";
    }
  };
  for (const p of NPM_PACKAGES) {
    const v = version(join(root, "node_modules", p, "package.json"));
    if (v) packages[p] = v;
  }
  const lib = join(root, ".venv", "lib");
  if (existsSync(lib))
    for (const py of readdirSync(lib).filter((d) => d.startsWith("python"))) {
      const site = join(lib, py, "site-packages");
      if (!existsSync(site)) continue;
      for (const d of readdirSync(site)) {
        const m = /^([A-Za-z0-9_.]+)-([^-]+)\.dist-info$/.exec(d);
        if (m && PYTHON_PACKAGES.includes(m[1]!.toLowerCase())) packages[m[1]!.toLowerCase()] = m[2]!;
      }
    }
  return {
    gitCommit: commit,
    gitDirty: status === null ? null : status.trim() !== "",
    wayfarer: version(join(root, "package.json")) || "unknown",
    node: process.version,
    packages,
  };
}

/** Minutes with one decimal: "7.9 min". */
const minutes = (seconds: number) => `${(seconds / 60).toFixed(1)} min`;

/** The "read this first" block (HTML); "" without flags. `esc` escapes text for HTML. */
export function flagsHtml(flags: readonly string[], esc: (s: string) => string): string {
  if (flags.length === 0) return "";
  return `<div class="flags"><b>Read this first</b><ul>${flags.map((f) => `<li>${esc(f)}</li>`).join("")}</ul></div>`;
}

/** The provenance section (HTML): commit, versions and the pipeline's stage time. */
export function provenanceHtml(p: Provenance, pipelineSeconds: number, esc: (s: string) => string): string {
  const commit = p.gitCommit
    ? `${p.gitCommit}${p.gitDirty ? " (with uncommitted changes)" : ""}`
    : "not a git checkout";
  const pkgs = Object.entries(p.packages)
    .map(([k, v]) => `${esc(k)} ${esc(v)}`)
    .join(", ");
  return `<h2>Provenance</h2>
<p>Wayfarer ${esc(p.wayfarer)}, git commit <code>${esc(commit)}</code>, Node ${esc(p.node)}.<br>Libraries: ${pkgs || "none found"}.<br>Pipeline time: ${minutes(pipelineSeconds)} (the sum of the stage times above, skipped stages counted with the time they took when they ran).</p>`;
}

/** The same two blocks as Markdown lines. */
export function basicsMarkdown(
  flags: readonly string[],
  p: Provenance,
  pipelineSeconds: number,
): {
  flags: string[];
  provenance: string[];
} {
  const commit = p.gitCommit
    ? `${p.gitCommit}${p.gitDirty ? " (with uncommitted changes)" : ""}`
    : "not a git checkout";
  return {
    flags: flags.length ? ["**Read this first**", "", ...flags.map((f) => `- ${f}`), ""] : [],
    provenance: [
      "## Provenance",
      "",
      `Wayfarer ${p.wayfarer}, git commit \`${commit}\`, Node ${p.node}.`,
      `Libraries: ${
        Object.entries(p.packages)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ") || "none found"
      }.`,
      `Pipeline time: ${minutes(pipelineSeconds)} (the sum of the stage times).`,
      "",
    ],
  };
}
