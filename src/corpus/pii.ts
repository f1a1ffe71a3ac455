/**
 * PII scrubbing: finds usernames, emails, phone numbers, street addresses and personal URLs in text
 * and replaces each with a typed placeholder (`[USER]`, `[EMAIL]`, `[PHONE]`, `[ADDRESS]`, `[URL]`).
 * Rule based (regular expressions plus checks), no model; measured on the labelled snippets in
 * `test/fixtures/pii/` with {@link evaluatePii} (precision/recall per type, in the corpus card).
 *
 * What counts (and what deliberately does not):
 * - USER: Reddit mentions `u/name`, `/u/name`, `reddit.com/user/name` (subreddits `r/x` are kept).
 * - EMAIL: `a.b+c@host.tld`, and the spelled-out `name at gmail dot com` / `name [at] host [dot] com`.
 * - PHONE: 9-15 digits with phone-like grouping, optional `+`/`00` country code, `(0)`,
 *   parentheses, spaces, dots or dashes. Not: prices, years and year ranges, ISO dates, times,
 *   numbers with thousands separators, flight/train numbers.
 * - ADDRESS: house number + 1-4 capitalised words + a street suffix (`Street`, `St`, `Ave`, `Rd`,
 *   `Blvd`, `Lane`, ...), or the continental forms `Rue/Calle/Via/Avenida/Rua ... 12`,
 *   `12 rue de ...`, `Hauptstraße 5`/`...str. 5`/`...gasse 5`/`...weg 5`, optional `Apt 4B`.
 * - URL: links to a person's profile or payment page (facebook, instagram, twitter/x, tiktok,
 *   linkedin/in, youtube/@ or /c/ or /user/, t.me, wa.me, venmo, paypal.me, cash.app, onlyfans,
 *   github, medium/@, couchsurfing people pages). Links to businesses, guides and maps are kept.
 */

export const PII_TYPES = ["USER", "EMAIL", "PHONE", "ADDRESS", "URL"] as const;
export type PiiType = (typeof PII_TYPES)[number];

/** One PII occurrence: `[start, end)` in UTF-16 code units of the input text. */
export interface PiiSpan {
  type: PiiType;
  start: number;
  end: number;
  text: string;
}

const PROFILE_HOSTS =
  "(?<![\\w.-])(?:[a-z]{2,3}\\.)?(?:facebook\\.com(?!\\/(?:groups|events|notes|media|pages)\\/)|fb\\.com|instagram\\.com|twitter\\.com|x\\.com|tiktok\\.com|linkedin\\.com\\/in|youtube\\.com\\/(?:@|c\\/|user\\/|channel\\/)|t\\.me|wa\\.me|venmo\\.com|paypal\\.me|cash\\.app|onlyfans\\.com|github\\.com|medium\\.com\\/@|couchsurfing\\.com\\/people|reddit\\.com\\/(?:u|user)\\/)";
const URL_RE = new RegExp(
  `(?:https?:\\/\\/)?(?:www\\.)?(?<![\\w-])${PROFILE_HOSTS}[^\\s)\\]>"',;]*[A-Za-z0-9_/-]`,
  "gi",
);
const EMAIL_RE = /[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
const EMAIL_SPELLED_RE =
  /\b[A-Za-z0-9][A-Za-z0-9._%+-]*(?:\s*(?:\[dot\]|\(dot\)|\sdot\s)\s*[A-Za-z0-9_%+-]+)*\s*(?:\[at\]|\(at\)|\sat\s)\s*[A-Za-z0-9-]+\s*(?:(?:\[dot\]|\(dot\)|\sdot\s)\s*[A-Za-z0-9-]+\s*)*(?:\[dot\]|\(dot\)|\sdot\s)\s*(?:com|net|org|de|fr|co\.uk|uk|edu|io|me)\b/gi;
const USER_RE = /(?<![\w/.-])\/?u\/[A-Za-z0-9_-]{3,20}\b/g;
const PHONE_RE = /(?<![\w$€£¥.,/:#-])(?:\+|00)?\(?\d[\d\s().-]{6,20}\d(?![\w%€$£]|[.,]\d|-\d|:\d)/g;
const SUFFIX =
  "(?:Street|St\\.?|Avenue|Ave\\.?|Road|Rd\\.?|Boulevard|Blvd\\.?|Lane|Ln\\.?|Drive|Dr\\.?|Court|Ct\\.?|Place|Pl\\.?|Terrace|Crescent|Close|Square|Sq\\.?|Highway|Hwy\\.?|Parkway|Pkwy\\.?|Way)";
const APT = "(?:,?\\s+(?:Apt\\.?|Apartment|Unit|Suite|Flat|#)\\s*[0-9A-Za-z-]+)?";
const ADDRESS_RES = [
  new RegExp(`\\b\\d{1,5}[A-Za-z]?\\s+(?:[A-Z][A-Za-z'.-]*\\s+){1,4}${SUFFIX}(?![A-Za-z])${APT}`, "g"),
  /\b(?:Rue|Calle|Carrer|Via|Viale|Avenida|Rua|Corso|Piazza|Plaza|Avenue)\s+(?:(?:de|del|de la|des|du|da|do|dos|della|di|d'|la|le|les)\s*)?(?:[A-ZÀ-Ý][\p{L}'-]*[ \t]*){1,4},?[ \t]*\d{1,4}[a-z]?\b/gu,
  /\b\d{1,4}(?:\s?bis)?,?\s+(?:[Rr]ue|[Aa]venue|[Bb]oulevard|[Bb]d|[Pp]lace|[Qq]uai|[Cc]alle|[Vv]ia|[Rr]ua)\s+(?:(?:de la|de|del|des|du|da|do|della|di|d')\s*)?(?:[A-ZÀ-Ý][\p{L}'-]*[ \t]*){1,4}/gu,
  /\b[A-ZÄÖÜ][\p{L}-]*(?:straße|strasse|str\.|gasse|weg|allee|platz|gracht|straat|laan|plein|vej|gatan|gade)\s+\d{1,4}[a-z]?\b/gu,
];

function digitsOf(s: string): number {
  let n = 0;
  for (const ch of s) if (ch >= "0" && ch <= "9") n++;
  return n;
}

/** True when a digit run looks like a phone number rather than a date, range, price or id. */
function isPhone(candidate: string): boolean {
  const s = candidate.trim();
  const d = digitsOf(s);
  if (d < 9 || d > 15) return false;
  if (/^\d{4}[-./]\d{1,2}[-./]\d{1,2}$/.test(s) || /^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$/.test(s)) return false; // dates
  if (/^(1[89]|20)\d{2}\s*-\s*(1[89]|20)\d{2}$/.test(s)) return false; // year ranges
  const groups = s.split(/[\s().-]+/).filter(Boolean);
  if (groups.length === 1) return /^(?:\+|00)?\d{9,13}$/.test(s) && (s.startsWith("+") || s.startsWith("0"));
  if (groups.some((g) => g.replace("+", "").length > 8)) return false;
  // Long groups only after a trunk or country prefix: "07700 900461", "030 12345678", "+44 7911 123456".
  const prefixed = /^(?:\+|00|\(|0)/.test(s);
  return prefixed || groups.every((g) => g.length <= 4);
}

/** Finds PII spans, non-overlapping, sorted by start; earlier types in the list win overlaps. */
export function findPii(text: string, types: readonly PiiType[] = PII_TYPES): PiiSpan[] {
  const found: PiiSpan[] = [];
  const add = (type: PiiType, re: RegExp, check?: (s: string) => boolean) => {
    if (!types.includes(type)) return;
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      let s = m[0];
      let start = m.index;
      // Trim whitespace and trailing punctuation captured by the generous patterns.
      const lead = s.length - s.trimStart().length;
      start += lead;
      s = s.trim().replace(/[.,;:]+$/, "");
      if (s.length === 0 || (check && !check(s))) continue;
      found.push({ type, start, end: start + s.length, text: s });
    }
  };
  add("URL", URL_RE);
  add("EMAIL", EMAIL_RE);
  add("EMAIL", EMAIL_SPELLED_RE);
  add("USER", USER_RE);
  for (const re of ADDRESS_RES) add("ADDRESS", re);
  add("PHONE", PHONE_RE, isPhone);
  const order = (t: PiiType) => ["URL", "EMAIL", "USER", "ADDRESS", "PHONE"].indexOf(t);
  found.sort((a, b) => a.start - b.start || order(a.type) - order(b.type) || b.end - a.end);
  const out: PiiSpan[] = [];
  for (const f of found) {
    const last = out[out.length - 1];
    if (last && f.start < last.end) {
      if (order(f.type) < order(last.type) || (order(f.type) === order(last.type) && f.end > last.end))
        out[out.length - 1] = f;
      continue;
    }
    out.push(f);
  }
  return out;
}

/** Replaces every span found by {@link findPii} with `[TYPE]`; returns the text and counts per type. */
export function scrubPii(
  text: string,
  types: readonly PiiType[] = PII_TYPES,
): { text: string; counts: Partial<Record<PiiType, number>> } {
  const spans = findPii(text, types);
  if (spans.length === 0) return { text, counts: {} };
  const counts: Partial<Record<PiiType, number>> = {};
  let out = "";
  let at = 0;
  for (const s of spans) {
    out += `${text.slice(at, s.start)}[${s.type}]`;
    at = s.end;
    counts[s.type] = (counts[s.type] ?? 0) + 1;
  }
  return { text: out + text.slice(at), counts };
}

/** A labelled snippet: the text and the exact substrings that are PII, with their type. */
export interface LabelledSnippet {
  text: string;
  pii: { type: PiiType; text: string }[];
}

/**
 * Precision and recall per type over labelled snippets. A predicted span is a true positive when a
 * gold span of the same type overlaps it (each gold span matched at most once); support = gold
 * spans of the type. Precision is 1 when nothing of a type was predicted.
 */
export function evaluatePii(
  snippets: readonly LabelledSnippet[],
): { type: PiiType; support: number; precision: number; recall: number }[] {
  const tp: Record<string, number> = {};
  const fp: Record<string, number> = {};
  const fn: Record<string, number> = {};
  for (const sn of snippets) {
    const gold: { type: PiiType; start: number; end: number; used: boolean }[] = [];
    for (const g of sn.pii) {
      let from = 0;
      let idx = sn.text.indexOf(g.text, from);
      while (idx !== -1 && gold.some((x) => x.start === idx)) {
        from = idx + 1;
        idx = sn.text.indexOf(g.text, from);
      }
      if (idx === -1) throw new Error(`labelled PII "${g.text}" not found in snippet "${sn.text}"`);
      gold.push({ type: g.type, start: idx, end: idx + g.text.length, used: false });
    }
    for (const p of findPii(sn.text)) {
      const hit = gold.find((g) => !g.used && g.type === p.type && p.start < g.end && g.start < p.end);
      if (hit) {
        hit.used = true;
        tp[p.type] = (tp[p.type] ?? 0) + 1;
      } else fp[p.type] = (fp[p.type] ?? 0) + 1;
    }
    for (const g of gold) if (!g.used) fn[g.type] = (fn[g.type] ?? 0) + 1;
  }
  return PII_TYPES.map((type) => {
    const t = tp[type] ?? 0;
    const p = fp[type] ?? 0;
    const n = fn[type] ?? 0;
    return { type, support: t + n, precision: t + p === 0 ? 1 : t / (t + p), recall: t + n === 0 ? 1 : t / (t + n) };
  });
}
