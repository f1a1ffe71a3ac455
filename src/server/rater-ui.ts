/**
 * The rater UI: one HTML shell, one script and one stylesheet, served as static strings. All task
 * text (Reddit-derived questions and model answers) is inserted with `textContent`, never as HTML,
 * and the Content-Security-Policy forbids inline scripts, so a `<script>` in a question shows as text.
 *
 * Keys: 1–5 score the highlighted criterion and move to the next; ↑/↓ move between criteria;
 * Enter saves the item (when complete) and opens the next unrated one; ←/→ previous/next item;
 * in a comparison, A / B / T choose the first answer, the second, or a tie.
 */
import { escapeXml } from "../evaluation/meta/chart.ts";

/**
 * Rater guidelines: what each default criterion (DEFAULT_CRITERIA in evaluation/human/tasks.ts) means, with
 * what a 1 and a 5 look like. Shown above the first item and under each criterion's name; a criterion not
 * listed here (`human create --criteria`) is shown as having no written definition.
 */
export const CRITERION_GUIDELINES: Readonly<Record<string, { means: string; low: string; high: string }>> = {
  helpfulness: {
    means:
      "Could the traveller act on this answer? Specific, practical advice (what to buy, book, take, avoid) counts; generic tips do not.",
    low: "no usable advice",
    high: "they could act on it right away",
  },
  relevance: {
    means:
      "Does it answer the question that was asked — the place, dates, budget and constraints in it — without drifting to other topics?",
    low: "about something else",
    high: "every part addresses the question",
  },
  accuracy: {
    means:
      "Are the facts right (prices, rules, names, routes, times), as far as you know or can check in a minute? Judge what is stated; do not reward or punish what you cannot verify.",
    low: "wrong or misleading on a key fact",
    high: "no error found",
  },
  coherence: {
    means: "Is it clear and well ordered, with no contradictions, repetition or broken or cut-off sentences?",
    low: "confused, self-contradicting or cut off",
    high: "reads clearly from start to end",
  },
  conciseness: {
    means:
      "Is it as short as it can be while still complete? Filler, repetition and disclaimers count against it; length the question needs does not.",
    low: "mostly padding",
    high: "nothing to cut",
  },
};

/** The 1–5 scale in words (the same for every criterion). */
export const SCALE_ANCHORS = ["1 poor", "2 weak", "3 acceptable", "4 good", "5 excellent"] as const;

/** The page for a rater (or admin) link. Only the CSRF token and the name are interpolated, escaped. */
export function raterPage(options: { csrf: string; name: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${escapeXml(options.csrf)}">
<meta name="referrer" content="no-referrer">
<title>Wayfarer rating — ${escapeXml(options.name)}</title>
<link rel="stylesheet" href="/static/rater.css">
<script src="/static/rater.js" defer></script>
</head>
<body>
<header><span id="who"></span><span id="progress" aria-live="polite"></span></header>
<details id="guidelines" open><summary>Rating guidelines</summary><p>Rate each criterion on its own, 1–5 (${SCALE_ANCHORS.join(" · ")}). You do not see which model wrote an answer; do not try to guess.</p><dl id="criteria-guide"></dl></details>
<main id="app"><p>Loading…</p></main>
<footer id="status" role="status" aria-live="polite"></footer>
<details id="help"><summary>Keyboard</summary><p>1–5 score · ↑/↓ criterion · Enter save and next · ←/→ previous/next · A/B/T choose in a comparison</p></details>
</body>
</html>`;
}

/** Stylesheet: readable on a phone (single column, large touch targets). */
export const RATER_CSS = `
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;padding:0 12px 40px;max-width:860px;margin-inline:auto;line-height:1.45;color:#1b1b1b;background:#fafafa}
header{display:flex;justify-content:space-between;align-items:center;padding:10px 0;border-bottom:1px solid #ddd;position:sticky;top:0;background:#fafafa}
#progress{font-weight:600}
.block{background:#fff;border:1px solid #ddd;border-radius:8px;padding:12px;margin:12px 0;white-space:pre-wrap;overflow-wrap:anywhere}
.label{font-size:.8rem;text-transform:uppercase;letter-spacing:.05em;color:#666;margin-top:14px}
.crit{display:flex;flex-wrap:wrap;align-items:center;gap:6px;padding:6px;border-radius:8px;border:2px solid transparent}
.crit.focus{border-color:#1f6feb}
.crit .name{flex:1 1 140px;font-weight:600}
button{font:inherit;min-width:44px;min-height:44px;border:1px solid #bbb;border-radius:8px;background:#fff;cursor:pointer}
button.on{background:#1f6feb;color:#fff;border-color:#1f6feb}
.actions{display:flex;gap:8px;flex-wrap:wrap;margin-top:12px}
.actions button{flex:1 1 120px}
.pair{display:grid;grid-template-columns:1fr;gap:8px}
@media (min-width:700px){.pair{grid-template-columns:1fr 1fr}}
#guidelines{background:#fff;border:1px solid #ddd;border-radius:8px;padding:8px 12px;margin:12px 0}
#guidelines dt{font-weight:600;margin-top:6px}#guidelines dd{margin:0 0 0 1em}
.crit .def{flex:1 1 100%;font-size:.85rem;color:#555}
#status{position:fixed;bottom:0;left:0;right:0;padding:8px 12px;background:#222;color:#fff;font-size:.9rem;min-height:1em}
#status:empty{display:none}
table{border-collapse:collapse;width:100%;font-size:.85rem}td,th{border:1px solid #ddd;padding:4px;vertical-align:top;text-align:left}
`;

/** Client script (plain ES2020, no framework). */
export const RATER_JS = `
"use strict";
(() => {
  const GUIDE = ${JSON.stringify(CRITERION_GUIDELINES)};
  function guideText(c) {
    const g = GUIDE[c];
    return g ? g.means + " 1 = " + g.low + "; 5 = " + g.high + "." : "No written definition for this criterion: ask whoever sent you the link.";
  }
  function renderGuide(criteria) {
    const dl = document.getElementById("criteria-guide");
    if (!dl) return;
    dl.replaceChildren();
    for (const c of criteria) { const dt = document.createElement("dt"); dt.textContent = c; const dd = document.createElement("dd"); dd.textContent = guideText(c); dl.append(dt, dd); }
  }
  const token = location.pathname.split("/")[2] || "";
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const api = "/api/r/" + encodeURIComponent(token);
  const app = document.getElementById("app");
  const status = document.getElementById("status");
  const progress = document.getElementById("progress");
  let tasks = [];
  let index = 0;
  let focus = 0;
  let draft = {};
  let saving = false;

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "onclick") e.addEventListener("click", v);
      else e.setAttribute(k, v);
    }
    for (const c of children) e.append(typeof c === "string" ? document.createTextNode(c) : c);
    return e;
  }
  function text(tag, cls, s) { const e = el(tag, { class: cls }); e.textContent = s; return e; }
  function say(s) { status.textContent = s; }

  async function load() {
    const res = await fetch(api + "/tasks", { headers: { accept: "application/json" } });
    if (!res.ok) { app.textContent = "This link is not valid."; return; }
    const data = await res.json();
    document.getElementById("who").textContent = data.rater.name;
    if (data.rater.role === "admin") return renderAdmin(data.all);
    tasks = data.tasks;
    renderGuide([...new Set(tasks.flatMap((t) => t.criteria))]);
    const next = tasks.findIndex((t) => !t.done);
    index = next === -1 ? Math.max(0, tasks.length - 1) : next;
    open(index);
  }

  function open(i) {
    index = Math.max(0, Math.min(tasks.length - 1, i));
    const t = tasks[index];
    draft = t ? { scores: Object.assign({}, t.scores), choice: t.choice } : {};
    focus = 0;
    if (t) { const firstOpen = t.criteria.findIndex((c) => draft.scores[c] === undefined); focus = firstOpen === -1 ? 0 : firstOpen; }
    render();
  }

  function complete(t) {
    return t.criteria.every((c) => draft.scores[c] !== undefined) && (t.kind !== "pair" || draft.choice !== undefined);
  }

  function render() {
    const done = tasks.filter((t) => t.done).length;
    progress.textContent = done + " / " + tasks.length + " rated";
    app.replaceChildren();
    if (tasks.length === 0) { app.append(text("p", "", "You have no items to rate.")); return; }
    if (done === tasks.length && tasks[index].done && !app.dataset.review) {
      app.append(text("p", "all-done", "All done — thank you! Use ←/→ to review or change your ratings."));
    }
    const t = tasks[index];
    const card = el("section", { "data-task": String(t.id), class: t.done ? "done" : "" });
    card.append(text("div", "label", "Item " + (index + 1) + " of " + tasks.length + (t.done ? " · saved" : "")));
    card.append(text("div", "label", "Question"), text("div", "block question", t.question));
    if (t.kind === "pair") {
      const pair = el("div", { class: "pair" });
      pair.append(el("div", {}, text("div", "label", "Answer A"), text("div", "block answer", t.answer)));
      pair.append(el("div", {}, text("div", "label", "Answer B"), text("div", "block answer", t.answerB)));
      card.append(pair, text("div", "label", "Which answer is better?"));
      const row = el("div", { class: "actions" });
      for (const [key, label] of [["a", "A is better (A)"], ["tie", "Tie (T)"], ["b", "B is better (B)"]]) {
        row.append(el("button", { type: "button", class: draft.choice === key ? "on" : "", "data-choice": key, onclick: () => { draft.choice = key; render(); } }, label));
      }
      card.append(row);
    } else {
      card.append(text("div", "label", "Answer"), text("div", "block answer", t.answer));
    }
    if (t.golden !== undefined) card.append(text("div", "label", "Reference answer"), text("div", "block golden", t.golden));
    if (t.criteria.length) card.append(text("div", "label", "Rate 1 (poor) – 5 (excellent)"));
    t.criteria.forEach((c, ci) => {
      const row = el("div", { class: "crit" + (ci === focus ? " focus" : ""), "data-criterion": c });
      row.append(text("span", "name", c));
      for (let v = 1; v <= 5; v++) {
        row.append(el("button", { type: "button", class: draft.scores[c] === v ? "on" : "", "aria-label": c + " " + v, onclick: () => { draft.scores[c] = v; focus = ci; render(); } }, String(v)));
      }
      row.append(text("span", "def", guideText(c)));
      card.append(row);
    });
    const actions = el("div", { class: "actions" });
    actions.append(el("button", { type: "button", onclick: () => open(index - 1) }, "← Previous"));
    actions.append(el("button", { type: "button", id: "save", onclick: save }, "Save and next (Enter)"));
    actions.append(el("button", { type: "button", onclick: () => open(index + 1) }, "Next →"));
    card.append(actions);
    app.append(card);
  }

  async function save() {
    const t = tasks[index];
    if (!t || saving) return;
    if (!complete(t)) { say("Please rate every criterion" + (t.kind === "pair" ? " and choose A, B or tie" : "") + " first."); return; }
    saving = true;
    say("Saving…");
    try {
      const body = { assignmentId: t.id, scores: draft.scores };
      if (t.kind === "pair") body.choice = draft.choice;
      const res = await fetch(api + "/ratings", { method: "POST", headers: { "content-type": "application/json", "x-csrf-token": csrf }, body: JSON.stringify(body) });
      if (!res.ok) { const e = await res.json().catch(() => ({})); say("Not saved: " + (e.error || res.status) + ". Press Enter to retry."); return; }
      const data = await res.json();
      tasks[index] = data.task;
      say("Saved.");
      const next = tasks.findIndex((x, i) => i > index && !x.done);
      const wrap = tasks.findIndex((x) => !x.done);
      open(next !== -1 ? next : wrap !== -1 ? wrap : index);
    } catch (err) {
      say("Not saved (server unreachable). Your answers are kept here; press Enter to retry.");
    } finally {
      saving = false;
    }
  }

  document.addEventListener("keydown", (ev) => {
    if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const t = tasks[index];
    if (!t) return;
    const k = ev.key;
    if (k >= "1" && k <= "5" && t.criteria.length) {
      draft.scores[t.criteria[focus]] = Number(k);
      if (focus < t.criteria.length - 1) focus++;
      render();
    } else if (k === "ArrowDown") { focus = Math.min(t.criteria.length - 1, focus + 1); render(); }
    else if (k === "ArrowUp") { focus = Math.max(0, focus - 1); render(); }
    else if (k === "ArrowRight") open(index + 1);
    else if (k === "ArrowLeft") open(index - 1);
    else if (k === "Enter") { ev.preventDefault(); save(); }
    else if (t.kind === "pair" && (k === "a" || k === "b" || k === "t")) { draft.choice = k === "t" ? "tie" : k; render(); }
    else return;
    ev.preventDefault();
  });

  function renderAdmin(all) {
    progress.textContent = all.filter((a) => a.done).length + " / " + all.length + " assignments rated";
    const table = el("table", {});
    const head = el("tr", {});
    for (const h of ["rater", "item", "variant", "question", "answer", "scores", "done"]) head.append(text("th", "", h));
    table.append(head);
    for (const a of all) {
      const tr = el("tr", {});
      for (const v of [a.rater, a.itemId, a.variant + (a.variantB ? " vs " + a.variantB : ""), a.question, a.answer, JSON.stringify(a.scores) + (a.choice ? " " + a.choice : ""), a.done ? "yes" : "no"]) tr.append(text("td", "", v));
      table.append(tr);
    }
    app.replaceChildren(table);
  }

  load().catch(() => say("Could not load your tasks."));
})();
`;
