/**
 * HTML and Markdown of the study sections: findings, leaderboard with intervals and paired tests,
 * evaluator agreement heatmap, training curves, selections, time and cost per artifact, and the
 * example browser (every variant's answer side by side, each score with its reason, a filter for
 * questions where the evaluators disagree). No script: the filter is a checkbox and CSS; charts are
 * inline SVG. Each section has an id (`study-<name>`) so tests and links can reach it.
 */
import { stringify } from "yaml";
import { MIN_PAIRED_N } from "../evaluation/stats/variant-stats.ts";
import type { Chart } from "./charts.ts";
import { escapeHtml } from "./render.ts";
import type { StudyData } from "./study-data.ts";

const f3 = (x: number | null | undefined) => (x === null || x === undefined ? "–" : x.toFixed(3));
const ci = (lo: number | null, hi: number | null) => (lo === null || hi === null ? "" : ` [${f3(lo)}, ${f3(hi)}]`);

/** The CSS of the study sections (scoped by class names; appended to the report's style). */
export const STUDY_CSS = `
.study section{margin:2rem 0}
.study table{border-collapse:collapse;margin:.5rem 0}
.study td,.study th{border:1px solid #ccc;padding:.25rem .5rem;vertical-align:top;font-size:.9rem}
.study .settings{font-size:.75rem;color:#555;white-space:pre-wrap;margin:0}
.study .side{display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));gap:.5rem}
.study .side>div{border:1px solid #ddd;padding:.5rem;border-radius:4px}
.study .reason{font-size:.8rem;color:#444}
.study .chart svg{max-width:100%;height:auto}
#only-disagree:checked ~ .examples .ex:not(.disagree){display:none}
`;

function settingsDetails(label: string, value: unknown): string {
  return `<details><summary>${escapeHtml(label)}</summary><pre class="settings">${escapeHtml(stringify(value ?? null))}</pre></details>`;
}

function chartHtml(chart: Chart | undefined, empty: string): string {
  return chart
    ? `<div class="chart" role="img" aria-label="${escapeHtml(chart.title)}">${chart.svg}</div>`
    : `<p>${escapeHtml(empty)}</p>`;
}

/** The study sections as HTML (a `<div class="study">` to put in the report's body). */
export function renderStudyHtml(s: StudyData, charts: Record<string, Chart>): string {
  const parts: string[] = [`<div class="study">`];
  parts.push(
    `<section id="study-findings"><h2>Findings</h2><p>Generated from the numbers below (95% percentile-bootstrap intervals; "not enough data" where the data cannot support a claim).</p><ul>${s.findings
      .map((f) => `<li data-topic="${f.topic}">${escapeHtml(f.text)}</li>`)
      .join("")}</ul></section>`,
  );
  if (s.stats) {
    const st = s.stats;
    const head = `<tr><th>variant</th>${st.evaluators
      .map((e) => `<th>${escapeHtml(e)}${settingsDetails("signature", s.evaluatorSignatures[e] ?? [])}</th>`)
      .join("")}</tr>`;
    const rows = st.variants
      .map(
        (v) =>
          `<tr><td>${escapeHtml(v)}${settingsDetails("settings", s.variantSettings[v])}</td>${st.evaluators
            .map((e) => {
              const c = st.cells[v]?.[e];
              return `<td>${c ? `${f3(c.value)}${ci(c.low, c.high)} <small>n=${c.n}${c.nUnscored ? `, ${c.nUnscored} unscored` : ""}</small>` : "–"}</td>`;
            })
            .join("")}</tr>`,
      )
      .join("");
    const paired = st.paired
      .map(
        (p) =>
          `<tr><td>${escapeHtml(p.evaluator)}</td><td>${escapeHtml(p.a)} − ${escapeHtml(p.b)}</td><td>${p.n}</td><td>${f3(p.difference.value)}${ci(p.difference.low, p.difference.high)}</td><td>${p.pValue === null ? "–" : p.pValue.toPrecision(3)}</td><td>${p.n < MIN_PAIRED_N ? `not enough data (n < ${MIN_PAIRED_N})` : p.better === "none" ? "no difference shown" : `${p.better === "A" ? escapeHtml(p.a) : escapeHtml(p.b)} higher`}</td></tr>`,
      )
      .join("");
    parts.push(
      `<section id="study-leaderboard"><h2>Leaderboard with 95% intervals</h2><p>${escapeHtml(st.method.interval)}; ${st.method.resamples} resamples, seed ${st.method.seed}.</p><table>${head}${rows}</table>${chartHtml(charts.leaderboard, "No scores to chart.")}<h3>Paired comparisons</h3><p>${escapeHtml(st.method.pairedTest)}.</p><table><tr><th>evaluator</th><th>difference</th><th>paired n</th><th>mean difference [95% CI]</th><th>p</th><th>verdict</th></tr>${paired}</table></section>`,
    );
    parts.push(
      `<section id="study-agreement"><h2>Evaluator agreement</h2><p>${escapeHtml(st.method.correlation)}.</p>${chartHtml(charts.heatmap, "Fewer than two evaluators: nothing to correlate.")}<table><tr><th>evaluator A</th><th>evaluator B</th><th>n</th><th>Spearman rho [95% CI]</th></tr>${st.agreement
        .map(
          (a) =>
            `<tr><td>${escapeHtml(a.a)}</td><td>${escapeHtml(a.b)}</td><td>${a.n}</td><td>${f3(a.rho.value)}${ci(a.rho.low, a.rho.high)}</td></tr>`,
        )
        .join("")}</table></section>`,
    );
  }
  parts.push(
    `<section id="study-training"><h2>Training curves</h2><p>Loss per step (train solid, eval dashed).</p>${chartHtml(charts.training, "No adapter was trained in this experiment.")}${
      charts.methodMetrics
        ? `<p>What each method optimises, per logged step on its training batches: the reward model's pairwise accuracy and margin, DPO's rewards/margins and rewards/accuracies, the RL policy's mean reward-model score and KL to its start policy.</p>${chartHtml(charts.methodMetrics, "")}`
        : ""
    }</section>`,
  );
  if (s.selections.length)
    parts.push(
      `<section id="study-selections"><h2>Selections</h2><table><tr><th>rule</th><th>by</th><th>picked</th><th>candidates (mean [95% CI], n)</th></tr>${s.selections
        .map(
          (x) =>
            `<tr><td>${escapeHtml(x.selection)}</td><td>${escapeHtml(x.by)}</td><td><b>${escapeHtml(x.variant)}</b></td><td>${x.candidates
              .map((c) => `${escapeHtml(c.variant)} ${f3(c.value)}${ci(c.low, c.high)} (n=${c.n})`)
              .join("<br>")}</td></tr>`,
        )
        .join("")}</table></section>`,
    );
  const cost = (c: StudyData["artifacts"][number]["cost"]) =>
    c
      ? [
          c.promptTokens !== undefined ? `${c.promptTokens + (c.completionTokens ?? 0)} tokens` : "",
          c.usd != null ? `$${c.usd.toFixed(4)}` : "",
        ]
          .filter(Boolean)
          .join(", ") || "–"
      : "–";
  parts.push(
    `<section id="study-artifacts"><h2>Time and cost per artifact</h2>${chartHtml(charts.time, "No artifact has run.")}<table><tr><th>artifact</th><th>kind</th><th>seconds</th><th>tokens / cost</th><th>counts</th><th>settings</th></tr>${s.artifacts
      .map(
        (a) =>
          `<tr><td>${escapeHtml(a.id)}</td><td>${escapeHtml(a.kind)}</td><td>${a.seconds.toFixed(1)}</td><td>${cost(a.cost)}</td><td>${escapeHtml(
            Object.entries(a.counts)
              .slice(0, 8)
              .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(3)}`)
              .join(", "),
          )}</td><td>${settingsDetails("settings", a.settings)}</td></tr>`,
      )
      .join("")}</table></section>`,
  );
  const nDis = s.examples.filter((e) => e.disagreement).length;
  parts.push(
    `<section id="study-examples"><h2>Example browser</h2><input type="checkbox" id="only-disagree"><label for="only-disagree"> only questions where the evaluators disagree on the best answer (${nDis} of ${s.examples.length})</label><div class="examples">${s.examples
      .map(
        (e) =>
          `<details class="ex${e.disagreement ? " disagree" : ""}"><summary>${escapeHtml(e.question)}${e.disagreement ? " <small>(evaluators disagree)</small>" : ""}</summary><p><b>Golden answer:</b> ${escapeHtml(e.reference)}</p><div class="side">${e.answers
            .map(
              (a) =>
                `<div><h4>${escapeHtml(a.variant)}</h4><p>${escapeHtml(a.answer)}</p><ul>${Object.entries(a.scores)
                  .map(
                    ([ev, sc]) =>
                      `<li>${escapeHtml(ev)}: ${sc.value === null ? escapeHtml(sc.status) : f3(sc.value)}${sc.reason ? ` <span class="reason">— ${escapeHtml(sc.reason)}</span>` : ""}</li>`,
                  )
                  .join("")}</ul></div>`,
            )
            .join("")}</div></details>`,
      )
      .join("")}</div></section>`,
  );
  parts.push(`</div>`);
  return parts.join("\n");
}

/** The study sections as Markdown. */
export function renderStudyMarkdown(s: StudyData): string {
  const out: string[] = ["", "## Findings", "", ...s.findings.map((f) => `- ${f.text}`), ""];
  if (s.stats) {
    const st = s.stats;
    out.push(
      "## Leaderboard with 95% intervals",
      "",
      `${st.method.interval}; ${st.method.resamples} resamples, seed ${st.method.seed}.`,
      "",
    );
    out.push(`| variant | ${st.evaluators.join(" | ")} |`, `|---|${st.evaluators.map(() => "---").join("|")}|`);
    for (const v of st.variants)
      out.push(
        `| ${v} | ${st.evaluators
          .map((e) => {
            const c = st.cells[v]?.[e];
            return c ? `${f3(c.value)}${ci(c.low, c.high)} (n=${c.n})` : "–";
          })
          .join(" | ")} |`,
      );
    out.push(
      "",
      "### Paired comparisons",
      "",
      `${st.method.pairedTest}.`,
      "",
      "| evaluator | A − B | n | mean difference [95% CI] | p |",
      "|---|---|---|---|---|",
    );
    for (const p of st.paired)
      out.push(
        `| ${p.evaluator} | ${p.a} − ${p.b} | ${p.n} | ${f3(p.difference.value)}${ci(p.difference.low, p.difference.high)} | ${p.pValue === null ? "–" : p.pValue.toPrecision(3)} |`,
      );
    out.push("", "## Evaluator agreement", "", "| A | B | n | Spearman rho [95% CI] |", "|---|---|---|---|");
    for (const a of st.agreement)
      out.push(`| ${a.a} | ${a.b} | ${a.n} | ${f3(a.rho.value)}${ci(a.rho.low, a.rho.high)} |`);
  }
  if (s.selections.length) {
    out.push("", "## Selections", "");
    for (const x of s.selections) out.push(`- ${x.selection}: picked **${x.variant}** by ${x.by}`);
  }
  out.push("", "## Time and cost per artifact", "", "| artifact | kind | seconds |", "|---|---|---|");
  for (const a of s.artifacts) out.push(`| ${a.id} | ${a.kind} | ${a.seconds.toFixed(1)} |`);
  out.push("");
  return out.join("\n");
}
