/**
 * The corpus card: what went in, what came out, why things were dropped, how the splits look and
 * the exact settings. Written as JSON (for machines and hashing) and Markdown with inline SVG
 * charts (for people). Deterministic: no timestamps, so the same input and settings give the same
 * card bytes.
 */
import type { CorpusOptions } from "../config/corpus.ts";
import type { SplitName } from "./split.ts";
import type { FilterStat, Histogram } from "./stats.ts";

/** Precision/recall of one PII type on a labelled set (filled in when PII scrubbing runs). */
export interface PiiQuality {
  type: string;
  support: number;
  precision: number;
  recall: number;
}

/** Everything the card says; `corpus-card.json` is this object. */
export interface CorpusCard {
  kind: "wayfarer-corpus-card";
  version: 1;
  input: { file: string; threads: number; comments: number };
  output: { threads: number; comments: number };
  /** Every filter in the order it runs, with items in and out. */
  filters: FilterStat[];
  /** Per subreddit: threads in, threads out, and out per split. Sorted by threads in (desc). */
  subreddits: { name: string; in: number; out: number; train: number; validation: number; test: number }[];
  splits: Record<SplitName, { threads: number; comments: number }>;
  /** Split warnings (subreddits too small to stratify, a requested split left empty); absent when none. */
  splitWarnings?: string[];
  /** Chat-template control tokens (`<|im_end|>`, `<end_of_turn>`, `[INST]`, ...) removed from texts; absent in older cards. */
  controlTokensRemoved?: number;
  /** Measured while writing the splits: thread ids written to two different splits (must be 0). */
  leakage: { threadsInMoreThanOneSplit: number; method: string };
  distributions: { postChars: Histogram; commentChars: Histogram; postScore: Histogram; commentScore: Histogram };
  /** Near-duplicate settings (counts are the near-duplicate-* filters). Absent in cards written before it existed. */
  nearDuplicates?: {
    method: string;
    posts: boolean;
    comments: boolean;
    threshold: number;
    shingleWords: number;
    minWords: number;
    permutations: number;
    bands: number;
  };
  /** `corpus.focus` and the kept threads by why they matched (dropped ones: the `focus` filter). */
  focus?: { place: string; aliases: string[]; subreddits: string[]; keptBySubreddit: number; keptByMention: number };
  /** Language filter settings and the languages of dropped texts (counts are the *-language filters). */
  language?: {
    library: string;
    keep: string[];
    posts: boolean;
    comments: boolean;
    minChars: number;
    droppedByLanguage: Record<string, number>;
  };
  /** PII scrubber quality on the labelled snippets, when measured. */
  pii?: { labelledSet: string; snippets: number; types: PiiQuality[]; replaced: Record<string, number> };
  options: CorpusOptions;
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A small bar chart as an inline SVG string (no external assets). */
export function histogramSvg(title: string, h: Histogram): string {
  const w = 520;
  const barH = 18;
  const labelW = 90;
  const max = Math.max(1, ...h.counts);
  const rows = h.labels.map((label, i) => {
    const c = h.counts[i] ?? 0;
    const len = Math.round(((w - labelW - 70) * c) / max);
    const y = 24 + i * (barH + 4);
    return `<text x="${labelW - 6}" y="${y + 13}" text-anchor="end" font-size="11">${esc(label)}</text><rect x="${labelW}" y="${y}" width="${len}" height="${barH}" fill="#4c78a8"/><text x="${labelW + len + 4}" y="${y + 13}" font-size="11">${c}</text>`;
  });
  const height = 24 + h.labels.length * (barH + 4) + 4;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${height}" role="img" aria-label="${esc(title)}"><text x="4" y="14" font-size="12" font-weight="bold">${esc(title)}</text>${rows.join("")}</svg>`;
}

function pct(n: number, d: number): string {
  return d === 0 ? "-" : `${((100 * n) / d).toFixed(1)}%`;
}

/** Renders the card as Markdown (tables + inline SVG charts + the settings as JSON). */
export function renderCardMarkdown(card: CorpusCard): string {
  const L: string[] = [];
  L.push("# Corpus card", "");
  L.push(`Input: \`${card.input.file}\` — ${card.input.threads} threads, ${card.input.comments} comments.`);
  L.push(
    `Output: ${card.output.threads} threads (${pct(card.output.threads, card.input.threads)}), ${card.output.comments} comments.`,
    "",
  );
  L.push(
    "## Filters (in run order)",
    "",
    "| filter | unit | in | out | dropped | what it drops |",
    "|---|---|---:|---:|---:|---|",
  );
  for (const f of card.filters)
    L.push(
      f.enabled === false
        ? `| ${f.id} | ${f.unit} | off | off | - | ${f.description} |`
        : `| ${f.id} | ${f.unit} | ${f.in} | ${f.out} | ${f.in - f.out} | ${f.description} |`,
    );
  if (card.nearDuplicates) {
    const n = card.nearDuplicates;
    L.push(
      "",
      `Near duplicates: ${n.method}; posts ${n.posts ? "on" : "off"}, comments ${n.comments ? "on" : "off"}; estimated Jaccard >= ${n.threshold}, ${n.shingleWords}-word shingles, ${n.permutations} permutations in ${n.bands} bands, texts under ${n.minWords} words not judged.`,
    );
  }
  if (card.language) {
    const g = card.language;
    const dropped =
      Object.entries(g.droppedByLanguage)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ") || "none";
    L.push(
      "",
      `Language filter: ${g.library}; keep [${g.keep.join(", ")}]; posts ${g.posts ? "on" : "off"}, comments ${g.comments ? "on" : "off"}; texts under ${g.minChars} letters not judged. Dropped by detected language: ${dropped}.`,
    );
  }
  if (card.focus) {
    const f = card.focus;
    L.push(
      "",
      `Focus: ${f.place} (aliases: ${f.aliases.join(", ") || "none"}; subreddits: ${f.subreddits.join(", ") || "none"}). Kept ${f.keptBySubreddit} threads from those subreddits and ${f.keptByMention} that mention the place in title or body; dropped ones: the focus filter above.`,
    );
  }
  L.push("", "## Splits (by thread, stratified by subreddit)", "", "| split | threads | comments |", "|---|---:|---:|");
  for (const [name, s] of Object.entries(card.splits)) L.push(`| ${name} | ${s.threads} | ${s.comments} |`);
  if (card.splitWarnings?.length) L.push("", ...card.splitWarnings.map((w) => `Warning: ${w}.`));
  L.push(
    "",
    `Leakage check: ${card.leakage.threadsInMoreThanOneSplit} threads in more than one split (${card.leakage.method}).`,
    "",
  );
  if (card.controlTokensRemoved)
    L.push(
      `Chat control tokens removed from texts: ${card.controlTokensRemoved} (\`<|im_end|>\`, \`<end_of_turn>\`, \`[INST]\` and kin would end or open a turn inside a training example).`,
      "",
    );
  L.push("## Subreddits", "", "| subreddit | in | out | train | validation | test |", "|---|---:|---:|---:|---:|---:|");
  for (const s of card.subreddits)
    L.push(`| ${s.name} | ${s.in} | ${s.out} | ${s.train} | ${s.validation} | ${s.test} |`);
  if (card.pii) {
    L.push("", "## PII scrubbing quality", "");
    if (card.pii.snippets === 0)
      L.push("Not measured in this run (give a labelled set: `wayfarer corpus --pii-eval FILE`).");
    else {
      L.push(`Measured on ${card.pii.snippets} labelled snippets (\`${card.pii.labelledSet}\`).`, "");
      L.push("| type | support | precision | recall |", "|---|---:|---:|---:|");
      for (const t of card.pii.types)
        L.push(`| ${t.type} | ${t.support} | ${t.precision.toFixed(3)} | ${t.recall.toFixed(3)} |`);
    }
    L.push(
      "",
      `Replacements made in this corpus: ${
        Object.entries(card.pii.replaced)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ") || "none"
      }.`,
    );
  }
  L.push("", "## Distributions (kept threads)", "");
  L.push(histogramSvg("Post length (characters, title + body)", card.distributions.postChars), "");
  L.push(histogramSvg("Comment length (characters)", card.distributions.commentChars), "");
  L.push(histogramSvg("Post score", card.distributions.postScore), "");
  L.push(histogramSvg("Comment score", card.distributions.commentScore), "");
  L.push("## Settings", "", "```json", JSON.stringify(card.options, null, 2), "```", "");
  return L.join("\n");
}
