import { stringify } from "yaml";
import { epochMeans } from "../store/records.ts";
import { basicsMarkdown, flagsHtml, provenanceHtml, scaleText } from "./basics.ts";
import { METHOD_METRICS } from "./charts.ts";
import { trustTableHtml } from "./human-section.ts";
import type { LeaderboardCell, ReportData } from "./report-data.ts";

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

const fmt = (v: number | null | undefined, digits = 3) =>
  v === null || v === undefined || Number.isNaN(v) ? "–" : v.toFixed(digits);

/** Three decimals, or three significant digits below 0.01 (a KL of 2e-4 is not 0.000); "–" for none. */
const fmtMetric = (v: number | null) =>
  v === null ? "–" : v !== 0 && Math.abs(v) < 0.01 ? String(Number(v.toPrecision(3))) : v.toFixed(3);

/**
 * A trained adapter's method metrics, one phrase each: first -> last logged value on training batches of
 * each of {@link METHOD_METRICS} (reward accuracy and margin, DPO rewards/margins and accuracies, RL reward
 * and KL), then the held-out values the trainer's `done` event reports (reward: eval_accuracy, eval_margin;
 * DPO: eval_metrics_last). [] for SFT/RAFT or when nothing was logged.
 *
 * @param arrow what joins first and last ("->" in Markdown, "→" in HTML).
 */
export function methodMetricsParts(t: ReportData["training"][number], arrow = "->"): string[] {
  const keys = METHOD_METRICS[t.trainingMethod ?? ""] ?? [];
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
  const parts: string[] = [];
  for (const k of keys) {
    const vals = (t.metrics ?? []).map((m) => num(m.metrics[k])).filter((v): v is number => v !== null);
    if (vals.length) parts.push(`${k} ${fmtMetric(vals[0]!)} ${arrow} ${fmtMetric(vals.at(-1)!)}`);
  }
  const done = t.done ?? {};
  if (t.trainingMethod === "reward" && num(done.eval_accuracy) !== null)
    parts.push(`held-out accuracy ${fmtMetric(num(done.eval_accuracy))}, margin ${fmtMetric(num(done.eval_margin))}`);
  const heldOut = done.eval_metrics_last as Record<string, unknown> | undefined;
  if (t.trainingMethod === "dpo" && heldOut && num(heldOut["rewards/margins"]) !== null)
    parts.push(
      `held-out rewards/margins ${fmtMetric(num(heldOut["rewards/margins"]))}, rewards/accuracies ${fmtMetric(num(heldOut["rewards/accuracies"]))}`,
    );
  return parts;
}

function cellText(c: LeaderboardCell | undefined): string {
  if (!c) return "–";
  const extra = [c.nError ? `${c.nError} not measured` : "", c.nNotApplicable ? `${c.nNotApplicable} n/a` : ""]
    .filter(Boolean)
    .join(", ");
  return `${fmt(c.mean)} (n=${c.nScored}${extra ? `; ${extra}` : ""})`;
}

/** An SVG line chart of training loss per step (one line per adapter; eval loss dashed). */
export function lossChartSvg(training: ReportData["training"], width = 560, height = 220): string {
  const series = training.flatMap((t) => [
    { name: `${t.adapter} train`, points: t.losses, dash: "" },
    ...(t.evalLosses.length ? [{ name: `${t.adapter} eval`, points: t.evalLosses, dash: "5,4" }] : []),
  ]);
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return "";
  const pad = { l: 48, r: 12, t: 12, b: 32 };
  const maxStep = Math.max(...all.map((p) => p.step), 1);
  const minLoss = Math.min(...all.map((p) => p.loss));
  const maxLoss = Math.max(...all.map((p) => p.loss));
  const span = maxLoss - minLoss || 1;
  const x = (s: number) => pad.l + (s / maxStep) * (width - pad.l - pad.r);
  const y = (l: number) => pad.t + (1 - (l - minLoss) / span) * (height - pad.t - pad.b);
  const colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];
  const lines = series
    .map((s, i) => {
      const pts = s.points.map((p) => `${x(p.step).toFixed(1)},${y(p.loss).toFixed(1)}`).join(" ");
      return `<polyline fill="none" stroke="${colors[i % colors.length]}" stroke-width="2" ${s.dash ? `stroke-dasharray="${s.dash}"` : ""} points="${pts}"><title>${escapeHtml(s.name)}</title></polyline>`;
    })
    .join("");
  const legend = series
    .map(
      (s, i) =>
        `<text x="${width - pad.r - 150}" y="${pad.t + 14 + i * 14}" font-size="11" fill="${colors[i % colors.length]}">${escapeHtml(s.name)}</text>`,
    )
    .join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="training loss per step">
<line x1="${pad.l}" y1="${height - pad.b}" x2="${width - pad.r}" y2="${height - pad.b}" stroke="#888"/><line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${height - pad.b}" stroke="#888"/>
<text x="${pad.l - 6}" y="${pad.t + 10}" font-size="11" text-anchor="end">${fmt(maxLoss, 2)}</text><text x="${pad.l - 6}" y="${height - pad.b}" font-size="11" text-anchor="end">${fmt(minLoss, 2)}</text>
<text x="${pad.l}" y="${height - 8}" font-size="11">step 0</text><text x="${width - pad.r}" y="${height - 8}" font-size="11" text-anchor="end">step ${maxStep}</text>
${lines}${legend}</svg>`;
}

/** A horizontal bar chart of one evaluator's mean per variant. */
function barsSvg(data: ReportData, evaluator: string): string {
  const rows = data.variants.map((v) => ({ name: v.name, value: data.leaderboard[v.name]?.[evaluator]?.mean ?? null }));
  const max = Math.max(...rows.map((r) => r.value ?? 0), 1e-9);
  const h = 22 * rows.length + 8;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="360" height="${h}" role="img" aria-label="${escapeHtml(evaluator)} per variant">${rows
    .map(
      (r, i) =>
        `<text x="0" y="${i * 22 + 16}" font-size="12">${escapeHtml(r.name)}</text><rect x="90" y="${i * 22 + 4}" width="${(((r.value ?? 0) / max) * 200).toFixed(1)}" height="16" fill="#4c78a8"/><text x="${95 + ((r.value ?? 0) / max) * 200}" y="${i * 22 + 16}" font-size="11">${fmt(r.value)}</text>`,
    )
    .join("")}</svg>`;
}

const CSS = `body{font:14px/1.45 system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}
th{background:#f3f3f3}.ex td{max-width:380px;white-space:pre-wrap}pre{background:#f7f7f7;padding:1em;overflow:auto;max-height:400px}
.note{color:#8a5a00}.flags{border:2px solid #d08700;background:#fff8e6;padding:.5em 1em;margin:1em 0}.charts{display:flex;flex-wrap:wrap;gap:2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em}`;

/** Evaluators whose scored values are all equal (over at least 2 answers): they carry no information. */
export function constantEvaluators(d: ReportData): string[] {
  return d.evaluators
    .map((x) => x.id)
    .filter((id) => {
      const values = d.examples
        .flatMap((ex) => ex.answers.map((a) => a.scores[id]))
        .filter((v): v is number => typeof v === "number");
      return values.length >= 2 && values.every((v) => v === values[0]);
    });
}

function humanHtml(d: ReportData): string {
  const e = escapeHtml;
  const h = d.human;
  if (!h) {
    return `<p>No human ratings yet, so no evaluator can be called trustworthy. Create blind rating tasks with <code>wayfarer human create --experiment ${e(d.experiment)} --raters alice,bob</code>, send each rater their link from <code>wayfarer serve</code>, then rerun <code>wayfarer report</code>.</p>`;
  }
  const agreement = h.agreement
    .map(
      (a) =>
        `<tr><td>${e(a.criterion)}</td><td>${a.itemsWithTwoRatings}</td><td>${a.raters}</td><td>${fmt(a.alphaOrdinal)}</td><td>${fmt(a.alphaInterval)}</td><td>${fmt(a.cohenQuadratic)}</td><td>${fmt(a.fleiss)}</td><td>${a.sufficient ? "" : "too few items to conclude"}</td></tr>`,
    )
    .join("");
  return `<p>${h.ratings} ratings from ${h.raters} raters.</p>
<table><tr><th>criterion</th><th>items rated twice</th><th>raters</th><th>Krippendorff α ordinal</th><th>α interval</th><th>Cohen κ (quadratic)</th><th>Fleiss κ</th><th></th></tr>${agreement}</table>
${h.trust ? `${trustTableHtml(h.trust)}${h.trustChartSvg}` : ""}
${h.notes.length ? `<ul class="note">${h.notes.map((n) => `<li>${e(n)}</li>`).join("")}</ul>` : ""}`;
}

/** "0.667 (8/12)": a rate with its counts, or "–" when the denominator is 0. */
const rateText = (k: number, n: number) => `${n > 0 ? fmt(k / n) : "–"} (${k}/${n})`;

/** The columns of the pairwise table, as text (shared by HTML and Markdown). */
export function pairwiseTableRows(d: ReportData): string[][] {
  return (d.pairwise?.rows ?? []).map((r) => [
    r.variantA,
    r.variantB,
    String(r.n),
    String(r.winsA),
    String(r.winsB),
    String(r.ties),
    String(r.nUnparseable + r.nError),
    rateText(r.winsA, r.winsA + r.winsB + r.ties),
    rateText(r.winsB, r.winsA + r.winsB + r.ties),
    rateText(r.winsA + r.ties / 2, r.winsA + r.winsB + r.ties),
    rateText(r.nConsistent, r.nBothParsed),
  ]);
}

const PAIRWISE_HEAD = [
  "A",
  "B",
  "comparisons",
  "A wins",
  "B wins",
  "ties",
  "no verdict",
  "A win rate",
  "B win rate",
  "A win rate, ties ½",
  "position consistency",
];
const PAIRWISE_TEXT =
  "LLM judge, MT-Bench pairwise, each comparison in both orders: a win only when both orders agree, otherwise a tie. Win rates are over the comparisons with a verdict; <i>no verdict</i> (unparseable judge output or a failed call) is counted on its own and left out of them; <i>ties ½</i> is MT-Bench's adjusted win rate (wins + ties/2); position consistency = comparisons whose two orders agree, of those where both parsed.";

function pairwiseHtml(d: ReportData): string {
  if (!d.pairwise) return "";
  const e = escapeHtml;
  const rows = pairwiseTableRows(d)
    .map((r) => `<tr>${r.map((c, i) => (i < 2 ? `<td><b>${e(c)}</b></td>` : `<td>${e(c)}</td>`)).join("")}</tr>`)
    .join("");
  return `<h2>Pairwise comparisons</h2>
<p>${PAIRWISE_TEXT} Reference answer shown to the judge: ${d.pairwise.reference ? "yes" : "no"}.</p>
<table><tr>${PAIRWISE_HEAD.map((h) => `<th>${e(h)}</th>`).join("")}</tr>${rows}</table>
<details><summary>Pairwise judge signature</summary>${d.pairwise.signatures.map((s) => `<code>${e(s)}</code>`).join("<br>")}</details>`;
}

/** The self-contained HTML report (no external assets, all text escaped). */
export function renderHtml(d: ReportData): string {
  const e = escapeHtml;
  const evalIds = d.evaluators.map((x) => x.id);
  const stageRows = d.stages
    .map(
      (s) =>
        `<tr><td>${e(s.stage)}</td><td>${s.seconds.toFixed(1)}</td><td>${e(
          Object.entries(s.counts)
            .map(([k, v]) => `${k}: ${Number.isInteger(v) ? v : v.toFixed(3)}`)
            .join(", "),
        )}</td><td class="note">${s.notes.map(e).join("<br>")}</td></tr>`,
    )
    .join("");
  const board = d.variants
    .map(
      (v) =>
        `<tr><td><b>${e(v.name)}</b></td><td>${e(v.model)}${v.adapter ? ` + ${e(v.adapter)}` : ""}</td>${evalIds.map((id) => `<td>${e(cellText(d.leaderboard[v.name]?.[id]))}</td>`).join("")}<td>${v.meanLatencySeconds.toFixed(2)}</td><td>${v.meanCompletionTokens.toFixed(0)}</td></tr>`,
    )
    .join("");
  const examples = d.examples
    .map(
      (x) =>
        `<tr><td>${e(x.itemId)}</td><td>${e(x.question)}</td><td>${e(x.reference)}</td>${x.answers
          .map(
            (a) =>
              `<td>${e(a.answer)}<br><small>${e(evalIds.map((id) => `${id} ${fmt(a.scores[id] ?? null, 2)}`).join(" · "))}</small></td>`,
          )
          .join("")}</tr>`,
    )
    .join("");
  const training = d.training
    .map(
      (t) =>
        `<tr><td>${e(t.adapter)}</td><td>${e(t.method)}</td><td>${e(t.base)}</td><td>${t.trainExamples}</td><td>${t.steps}</td><td>${t.seconds.toFixed(0)}</td><td>${epochMeans(
          t.losses,
        )
          .map((x) => fmt(x.loss))
          .join(
            " → ",
          )}</td><td>${fmt(t.evalLossFirst)} → ${fmt(t.evalLossLast)}</td><td>${e(methodMetricsParts(t, "→").join("; "))}</td></tr>`,
    )
    .join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Wayfarer report: ${e(d.experiment)}</title><style>${CSS}</style></head><body>
<h1>Wayfarer report: ${e(d.experiment)}</h1>
<p>${d.description ? `${e(d.description)} ` : ""}Generated ${e(d.generatedAt)}.</p>
${flagsHtml(d.flags, e)}
<h2>Leaderboard</h2>
<p>Mean of each evaluator over the answers it could measure; <i>not measured</i> answers (e.g. judge output that did not parse) are counted, never averaged in.</p>
${constantEvaluators(d)
  .map(
    (id) =>
      `<p class="note">${e(id)} gave the same value to every answer: it does not tell the variants apart here (a judge this small cannot judge).</p>`,
  )
  .join("")}
<table><tr><th>variant</th><th>model</th>${d.evaluators.map((x) => `<th>${e(x.id)}<br><small>${e(scaleText(x.scale))}</small></th>`).join("")}<th>latency s</th><th>tokens</th></tr>${board}</table>
<div class="charts">${evalIds.map((id) => `<figure>${barsSvg(d, id)}<figcaption>${e(id)}</figcaption></figure>`).join("")}</div>
<details><summary>Evaluator signatures</summary><table>${d.evaluators.map((x) => `<tr><td>${e(x.id)}</td><td><code>${e(x.signature)}</code></td></tr>`).join("")}</table></details>
${pairwiseHtml(d)}
<h2>Human evaluation: which evaluator to trust</h2>
${humanHtml(d)}
<h2>Training</h2>
${d.training.length ? `<table><tr><th>adapter</th><th>method</th><th>base</th><th>examples</th><th>steps</th><th>seconds</th><th>mean train loss per epoch</th><th>eval loss (first → last eval)</th><th>method metrics (first → last logged step; held-out)</th></tr>${training}</table>${lossChartSvg(d.training)}` : "<p>No adapters trained.</p>"}
<h2>Stages</h2>
<table><tr><th>stage</th><th>seconds</th><th>counts</th><th>notes</th></tr>${stageRows}</table>
<h2>Answers side by side</h2>
<table class="ex"><tr><th>#</th><th>question</th><th>golden answer</th>${d.variants.map((v) => `<th>${e(v.name)}</th>`).join("")}</tr>${examples}</table>
${provenanceHtml(d.provenance, d.pipelineSeconds, e)}
<h2>Settings</h2>
<pre>${e(stringify(d.settings))}</pre>
</body></html>
`;
}

/** Markdown escaping for table cells (pipes and newlines). */
function md(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
}

/** The Markdown report (same content as the HTML, tables only). */
export function renderMarkdown(d: ReportData): string {
  const evalIds = d.evaluators.map((x) => x.id);
  const lines: string[] = [
    `# Wayfarer report: ${d.experiment}`,
    "",
    `${d.description ? `${d.description} ` : ""}Generated ${d.generatedAt}.`,
    "",
    ...basicsMarkdown(d.flags, d.provenance, d.pipelineSeconds).flags,
    "## Leaderboard",
    "",
  ];
  lines.push(
    `| variant | model | ${d.evaluators.map((x) => `${x.id} (${scaleText(x.scale)})`).join(" | ")} | latency s | tokens |`,
    `|---|---|${evalIds.map(() => "---|").join("")}---|---|`,
  );
  for (const v of d.variants) {
    lines.push(
      `| ${md(v.name)} | ${md(v.model)}${v.adapter ? ` + ${md(v.adapter)}` : ""} | ${evalIds.map((id) => cellText(d.leaderboard[v.name]?.[id])).join(" | ")} | ${v.meanLatencySeconds.toFixed(2)} | ${v.meanCompletionTokens.toFixed(0)} |`,
    );
  }
  for (const id of constantEvaluators(d))
    lines.push("", `Note: ${id} gave the same value to every answer: it does not tell the variants apart here.`);
  if (d.pairwise) {
    lines.push(
      "",
      "## Pairwise comparisons",
      "",
      `${PAIRWISE_TEXT.replace(/<\/?i>/g, "*")} Reference answer shown to the judge: ${d.pairwise.reference ? "yes" : "no"}.`,
      "",
    );
    lines.push(`| ${PAIRWISE_HEAD.join(" | ")} |`, `|${PAIRWISE_HEAD.map(() => "---|").join("")}`);
    for (const r of pairwiseTableRows(d)) lines.push(`| ${r.map(md).join(" | ")} |`);
  }
  lines.push("", "## Human evaluation: which evaluator to trust", "");
  if (!d.human)
    lines.push(
      "No human ratings yet, so no evaluator can be called trustworthy (`wayfarer human create`, then `wayfarer serve`).",
    );
  else {
    lines.push(
      `${d.human.ratings} ratings from ${d.human.raters} raters.`,
      "",
      "| criterion | items rated twice | alpha ordinal | alpha interval | Cohen kappa (quadratic) | Fleiss kappa | |",
      "|---|---|---|---|---|---|---|",
    );
    for (const a of d.human.agreement)
      lines.push(
        `| ${md(a.criterion)} | ${a.itemsWithTwoRatings} | ${fmt(a.alphaOrdinal)} | ${fmt(a.alphaInterval)} | ${fmt(a.cohenQuadratic)} | ${fmt(a.fleiss)} | ${a.sufficient ? "" : "too few items to conclude"} |`,
      );
    lines.push("", d.human.trustMarkdown, ...d.human.notes.map((n) => `- ${md(n)}`));
  }
  lines.push("", "## Training", "");
  for (const t of d.training) {
    lines.push(
      `- ${t.adapter}: ${t.method} on ${t.base}, ${t.trainExamples} examples, ${t.steps} steps in ${t.seconds.toFixed(0)} s; mean train loss per epoch ${epochMeans(
        t.losses,
      )
        .map((x) => fmt(x.loss))
        .join(" -> ")}; eval loss ${fmt(t.evalLossFirst)} -> ${fmt(t.evalLossLast)}${methodMetricsParts(t)
        .map((p) => `; ${p}`)
        .join("")}`,
    );
  }
  lines.push("", "## Stages", "", "| stage | seconds | counts |", "|---|---|---|");
  for (const s of d.stages)
    lines.push(
      `| ${s.stage} | ${s.seconds.toFixed(1)} | ${md(
        Object.entries(s.counts)
          .map(([k, v]) => `${k}: ${Number.isInteger(v) ? v : v.toFixed(3)}`)
          .join(", "),
      )} |`,
    );
  lines.push(
    "",
    "## Answers side by side",
    "",
    `| # | question | golden | ${d.variants.map((v) => md(v.name)).join(" | ")} |`,
    `|---|---|---|${d.variants.map(() => "---|").join("")}`,
  );
  for (const x of d.examples)
    lines.push(
      `| ${md(x.itemId)} | ${md(x.question)} | ${md(x.reference)} | ${x.answers.map((a) => md(a.answer)).join(" | ")} |`,
    );
  lines.push("", ...basicsMarkdown(d.flags, d.provenance, d.pipelineSeconds).provenance);
  lines.push("", "## Settings", "", "```yaml", stringify(d.settings).trimEnd(), "```", "");
  return lines.join("\n");
}
