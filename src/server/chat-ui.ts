/**
 * The chat page (`GET /chat`): pick a variant, ask, watch the answer stream in, and see the retrieved sources
 * beside each answer. It talks to the server's own OpenAI-compatible API (`/v1/models`, streaming
 * `/v1/chat/completions`). Every model answer and every Reddit-derived source reaches the page through
 * `textContent`, never as HTML, and the Content-Security-Policy forbids inline scripts. When the API needs a key,
 * the page asks for it once and keeps it in sessionStorage.
 */

/** The page: a static shell (nothing interpolated). */
export function chatPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Wayfarer chat</title>
<link rel="stylesheet" href="/static/chat.css">
<script src="/static/chat.js" defer></script>
</head>
<body>
<header>
<label>Model <select id="variant" aria-label="model"></select></label>
<span id="model-info"></span>
<button type="button" id="new-chat">New chat</button>
</header>
<div id="key-row" hidden><label>API key <input id="api-key" type="password" autocomplete="off"></label><button type="button" id="save-key">Use key</button></div>
<main id="log" aria-live="polite"></main>
<form id="ask">
<textarea id="question" rows="3" placeholder="Ask a travel question…" aria-label="question"></textarea>
<button type="submit" id="send">Send</button>
</form>
<footer id="status" role="status" aria-live="polite"></footer>
</body>
</html>`;
}

/** Stylesheet: one column on a phone, answer and sources side by side on a wide screen. */
export const CHAT_CSS = `
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;padding:0 12px 120px;max-width:1100px;line-height:1.45;color:#1b1b1b;background:#fafafa}
header{display:flex;gap:12px;align-items:center;flex-wrap:wrap;padding:10px 0;border-bottom:1px solid #ddd;position:sticky;top:0;background:#fafafa}
#model-info{color:#666;font-size:.85rem;flex:1}
.turn{margin:14px 0}
.question{font-weight:600;white-space:pre-wrap;overflow-wrap:anywhere}
.exchange{display:grid;grid-template-columns:1fr;gap:10px;align-items:start}
@media (min-width:800px){.exchange.with-sources{grid-template-columns:2fr 1fr}}
.answer{background:#fff;border:1px solid #ddd;border-radius:8px;padding:10px;white-space:pre-wrap;overflow-wrap:anywhere;min-height:2.5em}
.answer.streaming::after{content:"▍";color:#1f6feb}
.answer.error{border-color:#d1242f;color:#d1242f}
.sources{font-size:.85rem}
.sources .label{font-size:.75rem;text-transform:uppercase;letter-spacing:.05em;color:#666;margin-bottom:4px}
.sources ol{margin:0;padding-left:1.3em}
.sources li{margin-bottom:8px;white-space:pre-wrap;overflow-wrap:anywhere}
.sources .src-title{font-weight:600}
.sources .src-meta{color:#666}
form{position:fixed;bottom:0;left:0;right:0;display:flex;gap:8px;padding:10px 12px;background:#fafafa;border-top:1px solid #ddd;max-width:1100px;margin:0 auto}
textarea{flex:1;font:inherit;padding:8px;border-radius:8px;border:1px solid #bbb}
button,select,input{font:inherit;min-height:40px;border:1px solid #bbb;border-radius:8px;background:#fff;padding:0 12px}
#status{color:#666;font-size:.85rem;min-height:1em}
`;

/** Client script (plain ES2020, no framework). */
export const CHAT_JS = `
"use strict";
(() => {
  const select = document.getElementById("variant");
  const info = document.getElementById("model-info");
  const log = document.getElementById("log");
  const form = document.getElementById("ask");
  const question = document.getElementById("question");
  const status = document.getElementById("status");
  const keyRow = document.getElementById("key-row");
  const keyInput = document.getElementById("api-key");
  let models = [];
  let history = [];
  let busy = false;

  function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; }
  function say(s) { status.textContent = s; }
  function headers() {
    const h = { "content-type": "application/json", accept: "text/event-stream" };
    const key = sessionStorage.getItem("wayfarer-api-key");
    if (key) h.authorization = "Bearer " + key;
    return h;
  }
  function needKey() { keyRow.hidden = false; keyInput.focus(); say("This server needs an API key."); }
  document.getElementById("save-key").addEventListener("click", () => { sessionStorage.setItem("wayfarer-api-key", keyInput.value); keyRow.hidden = true; loadModels(); });
  document.getElementById("new-chat").addEventListener("click", () => { history = []; log.replaceChildren(); say(""); });
  select.addEventListener("change", () => { history = []; log.replaceChildren(); showInfo(); });

  function showInfo() {
    const m = models.find((x) => x.id === select.value);
    info.textContent = m ? "base " + m.base + (m.adapter ? " · adapter " + m.adapter : "") + (m.retrieval ? " · retrieval top-" + m.retrieval.k + " " + m.retrieval.mode : "") : "";
  }

  async function loadModels() {
    const res = await fetch("/v1/models", { headers: headers() });
    if (res.status === 401) return needKey();
    if (!res.ok) { say("Could not list the models (HTTP " + res.status + ")."); return; }
    models = (await res.json()).data;
    select.replaceChildren(...models.map((m) => { const o = el("option", "", m.id); o.value = m.id; return o; }));
    showInfo();
    say(models.length ? "" : "This server has no models.");
  }

  function renderSources(aside, sources) {
    aside.replaceChildren(el("div", "label", "Sources"));
    const list = el("ol");
    for (const s of sources) {
      const li = el("li", "source");
      if (s.title) li.append(el("div", "src-title", s.title));
      li.append(el("div", "src-text", s.text));
      li.append(el("div", "src-meta", "thread " + s.thread_id + " · score " + Number(s.score).toFixed(3)));
      list.append(li);
    }
    aside.append(list);
  }

  async function ask(text) {
    const turn = el("section", "turn");
    turn.append(el("div", "question", text));
    const exchange = el("div", "exchange");
    const answer = el("div", "answer streaming");
    const aside = el("aside", "sources");
    exchange.append(answer, aside);
    turn.append(exchange);
    log.append(turn);
    const messages = history.concat([{ role: "user", content: text }]);
    let full = "";
    try {
      const res = await fetch("/v1/chat/completions", { method: "POST", headers: headers(), body: JSON.stringify({ model: select.value, messages, stream: true, stream_options: { include_usage: true } }) });
      if (res.status === 401) { needKey(); throw new Error("an API key is needed"); }
      if (!res.ok) { const e = await res.json().catch(() => ({})); throw new Error((e.error && e.error.message) || "HTTP " + res.status); }
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += value;
        let i;
        while ((i = buffer.indexOf("\\n\\n")) !== -1) {
          const event = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          for (const line of event.split("\\n")) {
            if (!line.startsWith("data:")) continue;
            const data = line.slice(5).trim();
            if (data === "[DONE]") continue;
            const chunk = JSON.parse(data);
            if (chunk.error) throw new Error(chunk.error.message);
            if (chunk.sources) { exchange.classList.add("with-sources"); renderSources(aside, chunk.sources); }
            const c = chunk.choices && chunk.choices[0];
            if (c && c.delta && c.delta.content) { full += c.delta.content; answer.textContent = full; }
            if (chunk.usage) say(chunk.usage.completion_tokens + " tokens");
          }
        }
      }
      history = messages.concat([{ role: "assistant", content: full }]);
      answer.classList.remove("streaming");
      answer.dataset.done = "1";
    } catch (err) {
      answer.classList.remove("streaming");
      answer.classList.add("error");
      answer.textContent = (full ? full + "\\n\\n" : "") + "Error: " + err.message;
    }
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const text = question.value.trim();
    if (!text || busy || !select.value) return;
    busy = true;
    question.value = "";
    try { await ask(text); } finally { busy = false; question.focus(); }
  });
  question.addEventListener("keydown", (ev) => { if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); form.requestSubmit(); } });
  loadModels().catch(() => say("Could not reach the server."));
})();
`;
