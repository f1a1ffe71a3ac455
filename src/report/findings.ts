/**
 * Findings: sentences generated from the report's numbers, each with its n and 95% interval, and
 * "not enough data" where that is the truth. Rules (documented so a reader can check a sentence):
 * - per evaluator, the variant with the best mean "leads" only when the paired interval of its
 *   difference with the runner-up excludes 0; otherwise the sentence says the data cannot rank them;
 *   fewer than {@link MIN_N} paired questions is "not enough data";
 * - per evaluator family (reference-based, LLM judge, Ragas, reference-free), the variants that led;
 * - every two evaluators: agreement "strong/moderate/weak" from the lower bound of Spearman's rho
 *   (>= 0.5, >= 0.3, > 0), "none" when the interval includes 0, "not enough data" below MIN_N;
 * - humans: each trust-table row's verdict, or that no human ratings exist;
 * - selections: which variant each rule picked and by how much.
 */
import type { MetaStats } from "../evaluation/stats/meta-stats.ts";
import { MIN_PAIRED_N } from "../evaluation/stats/variant-stats.ts";

/** Fewer paired answers than this is "not enough data" for a ranking or an agreement claim. */
export const MIN_N = MIN_PAIRED_N;

/** One finding: the sentence and the numbers it rests on. */
export interface Finding {
  topic: "ranking" | "family" | "agreement" | "humans" | "selection";
  text: string;
}

/** The evaluator family of an evaluator id (ARCHITECTURE.md's families). */
export function evaluatorFamily(id: string): string {
  if (id.startsWith("judge")) return "LLM judge";
  if (
    id.startsWith("ragas") ||
    ["faithfulness", "answer-relevancy", "context-precision", "context-recall", "answer-correctness"].includes(id)
  )
    return "Ragas";
  if (["perplexity", "length", "refusal", "noncommittal"].some((p) => id.startsWith(p))) return "reference-free";
  return "reference-based";
}

const f3 = (x: number | null) => (x === null ? "n/a" : x.toFixed(3));
const ci = (lo: number | null, hi: number | null) =>
  lo === null || hi === null ? "no interval" : `95% CI [${f3(lo)}, ${f3(hi)}]`;

/** Human-agreement rows as the report gathers them (from the trust table). */
export interface HumanTrustRow {
  evaluator: string;
  criterion: string;
  verdict: string;
  value: number | null;
  low: number | null;
  high: number | null;
  n: number;
}

/** A selection's pick, as `select/<name>/selection.json` holds it. */
export interface SelectionSummary {
  selection: string;
  variant: string;
  by: string;
  candidates: { variant: string; value: number | null; low: number | null; high: number | null; n: number }[];
}

/** Generates the findings (pure). */
export function generateFindings(
  stats: MetaStats | null,
  human: { ratings: number; rows: HumanTrustRow[] } | null,
  selections: readonly SelectionSummary[] = [],
): Finding[] {
  const out: Finding[] = [];
  if (!stats || stats.evaluators.length === 0) {
    out.push({ topic: "ranking", text: "No scores yet: not enough data for any finding." });
    return out;
  }
  const leaders = new Map<string, string[]>(); // family -> "variant (evaluator)"
  for (const e of stats.evaluators) {
    const ranked = stats.variants
      .map((v) => ({ v, c: stats.cells[v]?.[e] }))
      .filter((x) => x.c && x.c.value !== null)
      .sort((a, b) => b.c!.value! - a.c!.value!);
    if (ranked.length === 0) {
      out.push({ topic: "ranking", text: `${e}: no answer could be scored (not enough data).` });
      continue;
    }
    const top = ranked[0]!;
    const desc = (x: (typeof ranked)[number]) => `${x.v} ${f3(x.c!.value)} (${ci(x.c!.low, x.c!.high)}, n=${x.c!.n})`;
    if (ranked.length === 1) {
      out.push({ topic: "ranking", text: `${e}: only ${desc(top)} was scored; nothing to compare.` });
      continue;
    }
    const second = ranked[1]!;
    const pair = stats.paired.find(
      (p) => p.evaluator === e && ((p.a === top.v && p.b === second.v) || (p.a === second.v && p.b === top.v)),
    );
    const sign = pair && pair.a === top.v ? 1 : -1;
    const d = pair?.difference;
    const dText = d
      ? `difference ${f3(d.value === null ? null : sign * d.value)} (${ci(
          d.low === null ? null : sign === 1 ? d.low : -d.high!,
          d.high === null ? null : sign === 1 ? d.high : -d.low!,
        )}, paired n=${pair!.n}${pair!.pValue !== null ? `, Wilcoxon p=${pair!.pValue.toPrecision(2)}` : ""})`
      : "no paired questions";
    if (!pair || pair.n < MIN_N) {
      out.push({
        topic: "ranking",
        text: `${e}: not enough data to rank ${top.v} and ${second.v} (${pair?.n ?? 0} paired questions, fewer than ${MIN_N}); means ${desc(top)} vs ${desc(second)}.`,
      });
    } else if ((sign === 1 && pair.better === "A") || (sign === -1 && pair.better === "B")) {
      out.push({
        topic: "ranking",
        text: `${e}: ${top.v} leads — ${desc(top)} vs runner-up ${desc(second)}; ${dText}.`,
      });
      const fam = evaluatorFamily(e);
      leaders.set(fam, [...(leaders.get(fam) ?? []), `${top.v} (${e})`]);
    } else {
      out.push({
        topic: "ranking",
        text: `${e}: the data cannot separate ${top.v} from ${second.v} — ${desc(top)} vs ${desc(second)}; ${dText} includes 0.`,
      });
    }
  }
  const families = [...new Set(stats.evaluators.map(evaluatorFamily))];
  for (const fam of families) {
    const l = leaders.get(fam);
    out.push({
      topic: "family",
      text: l
        ? `Under the ${fam} evaluators, the clear leader${l.length > 1 ? "s were" : " was"}: ${l.join(", ")}.`
        : `Under the ${fam} evaluators, no variant led beyond its 95% interval (not enough data to name a winner).`,
    });
  }
  for (const a of stats.agreement) {
    const r = a.rho;
    let verdict: string;
    if (a.n < MIN_N || r.value === null) verdict = "not enough data to say whether they agree";
    else if (r.low === null || r.high === null) verdict = "no interval could be computed";
    else if (r.low <= 0 && r.high >= 0) verdict = "no agreement shown (the interval includes 0)";
    else {
      const bound = r.value > 0 ? r.low : -r.high;
      verdict = `${bound >= 0.5 ? "strong" : bound >= 0.3 ? "moderate" : "weak"} ${r.value > 0 ? "agreement" : "disagreement"}`;
    }
    out.push({
      topic: "agreement",
      text: `${a.a} and ${a.b}: ${verdict} — Spearman rho ${f3(r.value)} (${ci(r.low, r.high)}, n=${a.n} answers).`,
    });
  }
  if (!human || human.ratings === 0) {
    out.push({
      topic: "humans",
      text: "No human ratings yet: whether the automatic evaluators agree with humans is unknown (not enough data). Create rating tasks with `wayfarer human create` and collect ratings with `wayfarer serve`.",
    });
  } else if (human.rows.length === 0) {
    out.push({
      topic: "humans",
      text: `${human.ratings} human ratings, but too few overlapping answers to compare any evaluator with them (not enough data).`,
    });
  } else {
    for (const r of human.rows)
      out.push({
        topic: "humans",
        text: `${r.evaluator} vs human ${r.criterion}: ${r.verdict} — ${f3(r.value)} (${ci(r.low, r.high)}, n=${r.n}).`,
      });
  }
  for (const s of selections) {
    const picked = s.candidates.find((c) => c.variant === s.variant);
    out.push({
      topic: "selection",
      text: `Selection ${s.selection} picked ${s.variant} by ${s.by}: ${s.candidates
        .map((c) => `${c.variant} ${f3(c.value)} (${ci(c.low, c.high)}, n=${c.n})`)
        .join(
          "; ",
        )}${picked && s.candidates.some((c) => c !== picked && c.high !== null && picked.low !== null && c.high >= picked.low) ? " — the intervals overlap, so the pick could change with more data." : "."}`,
    });
  }
  return out;
}
