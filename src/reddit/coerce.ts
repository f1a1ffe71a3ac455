/**
 * Turns loosely typed source records (CSV rows, Reddit API JSON, Pushshift dump lines) into the
 * thread model. Sources disagree on types (reddit.md, "Dumps"): `created_utc` may be a number, a
 * float string or an int string; booleans may be `true`/`"True"`/`"1"`; `edited` is `false`, `true`
 * or an epoch. Every helper throws {@link FieldProblem} naming the field when a required value is
 * unusable, so readers can skip and count the record with its location.
 */
import type { Comment, Post } from "./thread.ts";

/** A record's field could not be read; readers turn it into a skipped record (file, line, field). */
export class FieldProblem extends Error {
  override name = "FieldProblem";
  readonly field: string;
  constructor(field: string, reason: string) {
    super(reason);
    this.field = field;
  }
}

/** A record with unknown values, as read from JSON or a CSV row mapped by header. */
export type RawRecord = Record<string, unknown>;

function show(value: unknown): string {
  const s = typeof value === "string" ? value : JSON.stringify(value);
  return s === undefined ? String(value) : s.length > 40 ? `${s.slice(0, 40)}...` : s;
}

/** A finite number from a number or numeric string; `undefined` when absent or empty. Throws when not numeric. */
export function optionalNumber(rec: RawRecord, field: string): number | undefined {
  const v = rec[field];
  if (v === undefined || v === null || v === "") return undefined;
  const n = typeof v === "number" ? v : typeof v === "string" ? Number(v.trim()) : Number.NaN;
  if (!Number.isFinite(n)) throw new FieldProblem(field, `not a number (${show(v)})`);
  return n;
}

/** Like {@link optionalNumber} but the field must be present. */
export function requiredNumber(rec: RawRecord, field: string): number {
  const n = optionalNumber(rec, field);
  if (n === undefined) throw new FieldProblem(field, "missing");
  return n;
}

/** A non-empty string (numbers are stringified); throws when missing or empty. */
export function requiredString(rec: RawRecord, field: string): string {
  const v = rec[field];
  if (typeof v === "number") return String(v);
  if (typeof v !== "string" || v.length === 0)
    throw new FieldProblem(field, v === undefined ? "missing" : `not a non-empty string (${show(v)})`);
  return v;
}

/** A string, or null when absent/empty/null. Numbers are stringified; other types are an error. */
export function nullableString(rec: RawRecord, field: string): string | null {
  const v = rec[field];
  if (v === undefined || v === null || v === "") return null;
  if (typeof v === "string") return v;
  if (typeof v === "number") return String(v);
  throw new FieldProblem(field, `not a string (${show(v)})`);
}

/** Text that may be absent (""), e.g. `selftext`; non-strings are an error. */
export function text(rec: RawRecord, field: string): string {
  const v = rec[field];
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v;
  throw new FieldProblem(field, `not a string (${show(v)})`);
}

const TRUE = new Set(["true", "1", "yes", "t"]);
const FALSE = new Set(["false", "0", "no", "f", ""]);

/** A boolean from `true`/`false`, `"True"`/`"False"`, `1`/`0`; `fallback` when absent. */
export function bool(rec: RawRecord, field: string, fallback = false): boolean {
  const v = rec[field];
  if (v === undefined || v === null) return fallback;
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0;
  if (typeof v === "string") {
    const s = v.trim().toLowerCase();
    if (TRUE.has(s)) return true;
    if (FALSE.has(s)) return s === "" ? fallback : false;
  }
  throw new FieldProblem(field, `not a boolean (${show(v)})`);
}

/**
 * `edited`: false, or the epoch seconds of the edit. Dumps sometimes carry `true` (time unknown):
 * that becomes the record's `created_utc` as the best lower bound.
 */
export function edited(rec: RawRecord, createdUtc: number): false | number {
  const v = rec.edited;
  if (v === undefined || v === null || v === false || v === "" || v === 0) return false;
  if (v === true) return createdUtc;
  if (typeof v === "string") {
    const s = v.trim().toLowerCase();
    if (s === "false" || s === "0") return false;
    if (s === "true") return createdUtc;
  }
  const n = optionalNumber(rec, "edited");
  return n === undefined ? false : n;
}

/** `https://www.reddit.com/r/x/comments/...` -> `/r/x/comments/...`; relative links unchanged. */
export function relativePermalink(link: string): string {
  const m = /^https?:\/\/[^/]+(\/.*)$/i.exec(link.trim());
  return m ? m[1]! : link.trim();
}

/** Subreddit name from a permalink (`/r/<name>/...`), or null. */
export function subredditFromPermalink(link: string): string | null {
  const m = /\/r\/([A-Za-z0-9_]+)\//.exec(link);
  return m ? m[1]! : null;
}

/** Strips a `t1_`/`t3_` prefix. */
export function baseId(fullnameOrId: string): string {
  return /^t\d_/.test(fullnameOrId) ? fullnameOrId.slice(3) : fullnameOrId;
}

function author(rec: RawRecord): string | null {
  const a = nullableString(rec, "author");
  return a === null || a === "[deleted]" ? null : a;
}

/**
 * A post from an API/dump/CSV record. Required: `id` (or `name`), `title`, `created_utc`, and a
 * subreddit (field `subreddit`, else from `permalink`, else `fallbackSubreddit`). `author`
 * `[deleted]` becomes null. Throws {@link FieldProblem}.
 */
export function postFromRecord(rec: RawRecord, fallbackSubreddit?: string): Post {
  const id =
    rec.id !== undefined && rec.id !== "" ? baseId(requiredString(rec, "id")) : baseId(requiredString(rec, "name"));
  const createdUtc = requiredNumber(rec, "created_utc");
  const permalinkRaw = nullableString(rec, "permalink");
  const permalink = permalinkRaw === null ? "" : relativePermalink(permalinkRaw);
  const subreddit = nullableString(rec, "subreddit") ?? subredditFromPermalink(permalink) ?? fallbackSubreddit;
  if (subreddit === undefined) throw new FieldProblem("subreddit", "missing (and no /r/<name>/ in permalink)");
  const title = requiredString(rec, "title");
  const ratio = optionalNumber(rec, "upvote_ratio");
  if (ratio !== undefined && (ratio < 0 || ratio > 1))
    throw new FieldProblem("upvote_ratio", `outside 0..1 (${ratio})`);
  return {
    id,
    name: `t3_${id}`,
    subreddit,
    title,
    selftext: text(rec, "selftext"),
    author: author(rec),
    score: Math.round(optionalNumber(rec, "score") ?? 0),
    upvote_ratio: ratio ?? null,
    num_comments: Math.round(optionalNumber(rec, "num_comments") ?? 0),
    created_utc: createdUtc,
    permalink,
    url: nullableString(rec, "url"),
    over_18: bool(rec, "over_18"),
    link_flair_text: nullableString(rec, "link_flair_text"),
    removed_by_category: nullableString(rec, "removed_by_category"),
    is_self: bool(rec, "is_self", permalink !== "" && (nullableString(rec, "url") ?? "").includes(permalink)),
    stickied: bool(rec, "stickied"),
    distinguished: nullableString(rec, "distinguished"),
    edited: edited(rec, createdUtc),
  };
}

/**
 * A comment from an API/dump record. Required: `id`, `parent_id`, `link_id` (fullnames or ids),
 * `created_utc`. `depth` is taken from the record when numeric, else -1 (computed later by
 * {@link orderComments}). Throws {@link FieldProblem}.
 */
export function commentFromRecord(rec: RawRecord): Comment {
  const id = baseId(requiredString(rec, "id"));
  const createdUtc = requiredNumber(rec, "created_utc");
  const parent = requiredString(rec, "parent_id");
  const link = requiredString(rec, "link_id");
  const depth = optionalNumber(rec, "depth");
  return {
    id,
    name: `t1_${id}`,
    parent_id: /^t\d_/.test(parent) ? parent : `t1_${parent}`,
    link_id: /^t3_/.test(link) ? link : `t3_${link}`,
    body: text(rec, "body"),
    author: author(rec),
    score: Math.round(optionalNumber(rec, "score") ?? 0),
    created_utc: createdUtc,
    depth: depth === undefined ? -1 : depth,
    distinguished: nullableString(rec, "distinguished"),
    stickied: bool(rec, "stickied"),
    is_submitter: bool(rec, "is_submitter"),
    edited: edited(rec, createdUtc),
  };
}
