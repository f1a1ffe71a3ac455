/**
 * The golden review page of `wayfarer serve --golden FILE`: the same accept / edit / reject review as
 * `wayfarer golden review FILE` (src/datasets/golden-review.ts), in the browser, for anyone with a rater link.
 * Decisions go to the same reviewed file (`FILE` -> `*.reviewed.jsonl`), one atomic write per decision.
 *
 * Routes (the token is the rater's personal link; the server checks it, and the CSRF token on POST):
 * - `GET  /r/<token>/golden`            the page
 * - `GET  /api/r/<token>/golden`        `{items, counts}`
 * - `POST /api/r/<token>/golden`        `{id, action: accept|reject|edit, question?, answer?}` -> `{item, counts}`
 * - `GET  /static/golden.js`
 * Item text (teacher-written from Reddit text) is inserted with `textContent` only.
 */
import { z } from "zod";
import { decide, openReview, reviewCounts } from "../datasets/golden-review.ts";
import { escapeXml } from "../evaluation/meta/chart.ts";

/** A response for the server to send. */
export interface GoldenResponse {
  status: number;
  type: string;
  body: string;
}

const decisionSchema = z.discriminatedUnion("action", [
  z.object({ id: z.string().min(1), action: z.literal("accept") }),
  z.object({ id: z.string().min(1), action: z.literal("reject") }),
  z.object({
    id: z.string().min(1),
    action: z.literal("edit"),
    question: z.string().max(20_000).optional(),
    answer: z.string().max(50_000).optional(),
  }),
]);

const json = (status: number, v: unknown): GoldenResponse => ({
  status,
  type: "application/json; charset=utf-8",
  body: JSON.stringify(v),
});

/**
 * Answers one golden-review request. `body` is the parsed JSON of a POST. The caller has authenticated the
 * rater (`reviewer` = their name) and checked CSRF for POSTs.
 */
export async function goldenReviewResponse(o: {
  file: string;
  what: "page" | "api";
  method: string;
  reviewer: string;
  csrf: string;
  body?: unknown;
}): Promise<GoldenResponse> {
  if (o.what === "page" && o.method === "GET")
    return { status: 200, type: "text/html; charset=utf-8", body: goldenPage(o.csrf, o.reviewer) };
  if (o.what === "api" && o.method === "GET") {
    const { items } = await openReview(o.file);
    return json(200, { items, counts: reviewCounts(items) });
  }
  if (o.what === "api" && o.method === "POST") {
    const parsed = decisionSchema.safeParse(o.body);
    if (!parsed.success)
      return json(400, { error: `invalid decision: ${parsed.error.issues[0]?.message ?? "bad body"}` });
    const { out } = await openReview(o.file);
    try {
      const item = await decide(o.file, out, parsed.data, o.reviewer);
      const { items } = await openReview(o.file);
      return json(200, { item, counts: reviewCounts(items) });
    } catch (e) {
      if (e instanceof RangeError) return json(400, { error: e.message });
      throw e;
    }
  }
  return json(405, { error: "method not allowed" });
}

/** The page shell (only the CSRF token and the name are interpolated, escaped). */
export function goldenPage(csrf: string, name: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${escapeXml(csrf)}">
<meta name="referrer" content="no-referrer">
<title>Wayfarer golden review — ${escapeXml(name)}</title>
<link rel="stylesheet" href="/static/rater.css">
<script src="/static/golden.js" defer></script>
</head>
<body>
<header><span>Golden review</span><span id="progress" aria-live="polite"></span></header>
<main id="app"><p>Loading…</p></main>
<footer id="status" role="status" aria-live="polite"></footer>
</body>
</html>`;
}

/** Client script: one pending item at a time; accept, reject, or edit the two fields and save. */
export const GOLDEN_JS = `
"use strict";
(() => {
  const token = location.pathname.split("/")[2] || "";
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const app = document.getElementById("app");
  const status = document.getElementById("status");
  const progress = document.getElementById("progress");
  let items = [];
  const el = (tag, attrs, text) => { const e = document.createElement(tag); Object.assign(e, attrs || {}); if (text !== undefined) e.textContent = text; return e; };
  const pending = () => items.filter((i) => !i.reviewed || i.status === "draft");
  async function load() {
    const r = await fetch("/api/r/" + token + "/golden");
    const j = await r.json();
    items = j.items;
    show(j.counts);
  }
  function show(c) {
    progress.textContent = "accepted " + c.accepted + " · edited " + c.edited + " · rejected " + c.rejected + " · to review " + c.pending;
    app.textContent = "";
    const item = pending()[0];
    if (!item) { app.append(el("p", {id: "done"}, "Every item is reviewed.")); return; }
    app.append(el("div", {className: "label"}, "Item " + item.id + (item.source && item.source.subreddit ? " · r/" + item.source.subreddit : "")));
    app.append(el("div", {className: "label"}, "Question"));
    const q = el("textarea", {id: "question", rows: 3, style: "width:100%"}); q.value = item.question; app.append(q);
    app.append(el("div", {className: "label"}, "Golden answer"));
    const a = el("textarea", {id: "answer", rows: 10, style: "width:100%"}); a.value = item.answer; app.append(a);
    const actions = el("div", {className: "actions"});
    const btn = (id, label, fn) => { const b = el("button", {id, type: "button"}, label); b.addEventListener("click", fn); actions.append(b); };
    btn("accept", "Accept", () => send({id: item.id, action: "accept"}));
    btn("save-edit", "Save edit", () => send({id: item.id, action: "edit", question: q.value, answer: a.value}));
    btn("reject", "Reject", () => send({id: item.id, action: "reject"}));
    app.append(actions);
  }
  async function send(d) {
    const r = await fetch("/api/r/" + token + "/golden", {method: "POST", headers: {"content-type": "application/json", "x-csrf-token": csrf}, body: JSON.stringify(d)});
    const j = await r.json();
    if (!r.ok) { status.textContent = j.error || "failed"; return; }
    status.textContent = "saved " + j.item.id + " (" + j.item.status + ")";
    items = items.map((i) => i.id === j.item.id ? j.item : i);
    show(j.counts);
  }
  load().catch((e) => { status.textContent = String(e); });
})();
`;
