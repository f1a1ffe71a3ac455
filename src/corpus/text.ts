/**
 * Text normalisation for Reddit bodies: HTML entities, Reddit markdown to plain text, whitespace.
 * Pure functions, no state. Meaning is kept: link text stays (bare URLs stay), list items keep a
 * `- ` marker, numbers and Unicode are never altered beyond what is listed here.
 */
import { decodeHTML } from "entities";

/** Decodes HTML entities (`&amp;`, `&gt;`, `&#39;`, `&nbsp;`...). Double-encoded `&amp;gt;` is decoded twice. */
export function decodeEntities(s: string): string {
  let out = decodeHTML(s);
  // Reddit JSON without raw_json=1 double-encodes user-typed entities: `&amp;gt;` -> `&gt;` -> `>`.
  if (/&(?:amp|lt|gt|quot|#\d+|#x[0-9a-f]+);/i.test(out) && /&amp;(?:amp|lt|gt|quot|#)/i.test(s)) out = decodeHTML(out);
  return out;
}

/**
 * Reddit-flavoured markdown to plain text:
 * - fenced and indented code keep their content; inline code loses its backticks;
 * - `[text](url)` -> `text` (or the URL when text is empty or equal to it); `![alt](url)` -> `alt`;
 * - `**b**`, `__b__`, `*i*`, `_i_`, `~~s~~`, `>!spoiler!<`, `^sup`/`^(sup)` lose their markers
 *   (underscores inside words such as snake_case are kept);
 * - `#` headings, `>` quotes and horizontal rules lose their markers; `*`/`+`/`-` bullets become `- `;
 * - table rows become cells joined by ` | `; alignment rows are dropped;
 * - HTML tags are removed (`<br>` becomes a newline); backslash escapes are resolved.
 */
export function markdownToText(s: string): string {
  const lines = s.replace(/\r\n?/g, "\n").split("\n");
  const out: string[] = [];
  let inFence = false;
  for (const raw of lines) {
    if (/^\s*(```|~~~)/.test(raw)) {
      inFence = !inFence;
      continue;
    }
    if (inFence) {
      out.push(raw);
      continue;
    }
    let line = raw;
    if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) continue; // horizontal rule
    if (/^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/.test(line) && line.includes("|")) continue; // table alignment row
    line = line.replace(/^\s*(?:>\s?)+/, ""); // quotes (after entity decoding `&gt;` is `>`)
    line = line.replace(/^\s{0,3}#{1,6}\s+/, "").replace(/\s+#+\s*$/, ""); // headings
    line = line.replace(/^(\s*)[*+-]\s+/, "$1- "); // bullets
    if (/^\s*\|.*\|\s*$/.test(line)) {
      line = line
        .trim()
        .replace(/^\||\|$/g, "")
        .split("|")
        .map((c) => c.trim())
        .join(" | ");
    }
    out.push(inline(line));
  }
  return out.join("\n");
}

function inline(s: string): string {
  // Protect backslash escapes from the marker rules; restored at the end.
  let t = s.replace(/\\([\\`*_{}[\]()#+\-.!>~^|])/g, (_m, ch: string) => `\uE000${ch.charCodeAt(0)}\uE001`);
  t = t.replace(/<br\s*\/?>/gi, "\n").replace(/<\/?[a-z][a-z0-9]*(?:\s[^<>]*)?\/?>/gi, "");
  t = t.replace(/`([^`]+)`/g, "$1");
  t = t.replace(/!\[([^\]]*)\]\([^)\s]*(?:\s+"[^"]*")?\)/g, "$1");
  t = t.replace(/\[([^\]]*)\]\((<?)([^)\s>]*)>?(?:\s+"[^"]*")?\)/g, (_m, text: string, _lt: string, url: string) =>
    text.trim() === "" ? url : text,
  );
  t = t.replace(/>!(.+?)!</g, "$1");
  t = t.replace(/~~(.+?)~~/g, "$1");
  t = t
    .replace(/\*\*\*(.+?)\*\*\*/g, "$1")
    .replace(/\*\*(.+?)\*\*/g, "$1")
    .replace(/__(.+?)__/g, "$1");
  t = t.replace(/(^|[^\w*])\*(?!\s)(.+?)(?<!\s)\*(?!\w)/g, "$1$2");
  t = t.replace(/(^|[^\w])_(?!\s)(.+?)(?<!\s)_(?!\w)/g, "$1$2");
  t = t.replace(/\^\(([^)]*)\)/g, "$1").replace(/\^(\S)/g, "$1");
  return t.replace(/\uE000(\d+)\uE001/g, (_m, code: string) => String.fromCharCode(Number(code)));
}

/**
 * Whitespace: CRLF -> LF; tabs, NBSP and other Unicode spaces -> space; zero-width characters and
 * soft hyphens removed; runs of spaces collapsed; spaces at line ends trimmed; 3+ newlines -> 2;
 * the whole string trimmed.
 */
export function normaliseWhitespace(s: string): string {
  return s
    .replace(/\r\n?/g, "\n")
    .replace(/[\u200B-\u200D\u2060\uFEFF\u00AD]/g, "")
    .replace(/[\t\v\f\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]/g, " ")
    .replace(/ {2,}/g, " ")
    .replace(/ *\n */g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/**
 * Chat-template control tokens of the model families Wayfarer trains and serves: ChatML / Llama-3 /
 * Qwen style `<|name|>` (`<|im_start|>`, `<|im_end|>`, `<|endoftext|>`, `<|eot_id|>`), Gemma's
 * `<start_of_turn>`, `<end_of_turn>`, `<bos>`, `<eos>`, `<pad>`, and Llama-2 / Mistral `[INST]`,
 * `[/INST]`, `<<SYS>>`, `<</SYS>>`. In Reddit text they are never markup, and left in they would
 * end or open a turn inside a training example (the trainer refuses answers that contain the
 * end-of-turn text, trainer/chat_format.py) or inject a turn at serving time.
 */
export const CHAT_CONTROL_TOKEN =
  /<\|[A-Za-z0-9_]{1,40}\|>|<\/?(?:start_of_turn|end_of_turn|bos|eos|pad|unk)>|\[\/?INST\]|<<\/?SYS>>/g;

/**
 * Removes chat-template control tokens ({@link CHAT_CONTROL_TOKEN}) from untrusted text.
 * Returns the text and how many were removed (0 when none).
 */
export function stripControlTokens(s: string): { text: string; removed: number } {
  let removed = 0;
  const text = s.replace(CHAT_CONTROL_TOKEN, () => {
    removed++;
    return " ";
  });
  return removed === 0 ? { text: s, removed } : { text, removed };
}

/** Which steps {@link cleanText} runs; all default to on. */
export interface CleanTextOptions {
  decodeEntities: boolean;
  markdownToText: boolean;
  normaliseWhitespace: boolean;
}

/** Entities, then markdown, then whitespace (entities first so `&gt;` quotes are seen as quotes). */
export function cleanText(s: string, opts: CleanTextOptions): string {
  let t = s;
  if (opts.decodeEntities) t = decodeEntities(t);
  if (opts.markdownToText) t = markdownToText(t);
  if (opts.normaliseWhitespace) t = normaliseWhitespace(t);
  return t;
}
