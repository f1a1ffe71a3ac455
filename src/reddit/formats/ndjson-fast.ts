/**
 * Fast path of the dump import's pass 1 for comment lines (issue 4). Instead of decoding the line,
 * `JSON.parse`, `commentFromRecord`, `JSON.stringify` and encoding the spill line again, one
 * validating scan over the line's *bytes* finds the (at most 12) fields a Comment needs, and the
 * bucket line (see `ndjson-dump.ts`) is written straight into the bucket buffer, mostly by copying
 * bytes of the source line. No string is made for a usual comment.
 *
 * It is a pure shortcut: {@link writeFastComment} either writes exactly the bytes of
 * `commentLine(fileIndex, line, commentFromRecord(JSON.parse(text)))` (UTF-8), or nothing and
 * returns -1; the caller then takes the general path (which also makes the exact error messages).
 * It gives up whenever it is not sure:
 * - the line is not one JSON object in strict JSON grammar (the scan validates every token, nested
 *   objects and arrays included, so it never accepts what `JSON.parse` rejects);
 * - the record is not a comment (no `body` or no `link_id`: posts and skips go the general way);
 * - a needed field has a type whose coercion is not the plain case (a number as `id` or `author`,
 *   a string as `stickied`, an empty or non-numeric `created_utc`, a number that is not finite...).
 * The bytes must be valid UTF-8 (the caller checks; invalid lines go the general way). A string
 * token without any backslash is copied as-is: it holds no `"`, `\` or control character (those
 * fail the scan) and no lone surrogate (UTF-8), so JSON.stringify of its value is the token itself.
 * A token with escapes is decoded and re-serialised with JSON.stringify. Duplicate keys: the last
 * one wins, as in JSON.parse.
 */

// Field codes (indexes into the scratch arrays).
const ID = 1;
const LINK_ID = 2;
const PARENT_ID = 3;
const BODY = 4;
const AUTHOR = 5;
const SCORE = 6;
const CREATED_UTC = 7;
const DEPTH = 8;
const DISTINGUISHED = 9;
const STICKIED = 10;
const IS_SUBMITTER = 11;
const EDITED = 12;
const FIELDS = 13;

/** Field codes by name, for keys written with escapes (a Map: no inherited names like `constructor`). */
const NAMES = new Map<string, number>([
  ["id", ID],
  ["link_id", LINK_ID],
  ["parent_id", PARENT_ID],
  ["body", BODY],
  ["author", AUTHOR],
  ["score", SCORE],
  ["created_utc", CREATED_UTC],
  ["depth", DEPTH],
  ["distinguished", DISTINGUISHED],
  ["stickied", STICKIED],
  ["is_submitter", IS_SUBMITTER],
  ["edited", EDITED],
]);

// Token types.
const ABSENT = 0;
const STR = 1; // string without escapes
const STR_ESC = 2; // string with escapes
const NUM = 3;
const TRUE = 4;
const FALSE = 5;
const NULL = 6;
const OTHER = 7; // object or array

const type = new Uint8Array(FIELDS);
const start = new Int32Array(FIELDS);
const end = new Int32Array(FIELDS);

/** Set by {@link scanString}: whether the string just scanned had a backslash escape. */
let escaped = false;

function isHex(h: number): boolean {
  return (h >= 0x30 && h <= 0x39) || (h >= 0x41 && h <= 0x46) || (h >= 0x61 && h <= 0x66);
}

/** `s[i]` is `"`: the index after the closing quote, or -1 when the string is not valid JSON. */
function scanString(s: Uint8Array, i: number, to: number): number {
  escaped = false;
  let j = i + 1;
  for (;;) {
    if (j >= to) return -1;
    const c = s[j]!;
    if (c === 0x22) return j + 1;
    if (c < 0x20) return -1;
    if (c === 0x5c) {
      escaped = true;
      const e = s[j + 1];
      if (e === 0x75 /* u */) {
        if (j + 6 > to || !isHex(s[j + 2]!) || !isHex(s[j + 3]!) || !isHex(s[j + 4]!) || !isHex(s[j + 5]!)) return -1;
        j += 6;
      } else if (
        e === 0x22 ||
        e === 0x5c ||
        e === 0x2f ||
        e === 0x62 ||
        e === 0x66 ||
        e === 0x6e ||
        e === 0x72 ||
        e === 0x74
      )
        j += 2;
      else return -1;
    } else j++;
  }
}

function skipWs(s: Uint8Array, i: number, to: number): number {
  while (i < to) {
    const c = s[i]!;
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
    else break;
  }
  return i;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

/** Index after the JSON number at `i` (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`), or -1. */
function scanNumber(s: Uint8Array, i: number, to: number): number {
  if (s[i] === 0x2d) i++;
  if (i >= to) return -1;
  if (s[i] === 0x30) i++;
  else if (isDigit(s[i])) while (i < to && isDigit(s[i])) i++;
  else return -1;
  if (i < to && s[i] === 0x2e) {
    i++;
    if (i >= to || !isDigit(s[i])) return -1;
    while (i < to && isDigit(s[i])) i++;
  }
  if (i < to && (s[i] === 0x65 || s[i] === 0x45)) {
    i++;
    if (i < to && (s[i] === 0x2b || s[i] === 0x2d)) i++;
    if (i >= to || !isDigit(s[i])) return -1;
    while (i < to && isDigit(s[i])) i++;
  }
  return i;
}

function scanWord(s: Uint8Array, i: number, to: number, word: Uint8Array): number {
  if (i + word.length > to) return -1;
  for (let k = 0; k < word.length; k++) if (s[i + k] !== word[k]) return -1;
  return i + word.length;
}

const W_TRUE = Buffer.from("true");
const W_FALSE = Buffer.from("false");
const W_NULL = Buffer.from("null");

/** Index after the JSON value (any type, nesting validated) at `i`, or -1. */
function skipValue(s: Uint8Array, i: number, to: number, level: number): number {
  const c = s[i];
  if (c === 0x22) return scanString(s, i, to);
  if (c === 0x2d || isDigit(c)) return scanNumber(s, i, to);
  if (c === 0x74) return scanWord(s, i, to, W_TRUE);
  if (c === 0x66) return scanWord(s, i, to, W_FALSE);
  if (c === 0x6e) return scanWord(s, i, to, W_NULL);
  if (level > 64) return -1; // deep nesting: left to JSON.parse
  if (c === 0x5b /* [ */) {
    i = skipWs(s, i + 1, to);
    if (s[i] === 0x5d) return i + 1;
    for (;;) {
      i = skipValue(s, i, to, level + 1);
      if (i < 0) return -1;
      i = skipWs(s, i, to);
      if (i >= to) return -1;
      const d = s[i];
      if (d === 0x5d) return i + 1;
      if (d !== 0x2c) return -1;
      i = skipWs(s, i + 1, to);
    }
  }
  if (c === 0x7b /* { */) {
    i = skipWs(s, i + 1, to);
    if (s[i] === 0x7d) return i + 1;
    for (;;) {
      if (i >= to || s[i] !== 0x22) return -1;
      i = scanString(s, i, to);
      if (i < 0) return -1;
      i = skipWs(s, i, to);
      if (i >= to || s[i] !== 0x3a) return -1;
      i = skipValue(s, skipWs(s, i + 1, to), to, level + 1);
      if (i < 0) return -1;
      i = skipWs(s, i, to);
      if (i >= to) return -1;
      const d = s[i];
      if (d === 0x7d) return i + 1;
      if (d !== 0x2c) return -1;
      i = skipWs(s, i + 1, to);
    }
  }
  return -1;
}

function keyIs(s: Uint8Array, a: number, word: Uint8Array): boolean {
  for (let k = 0; k < word.length; k++) if (s[a + k] !== word[k]) return false;
  return true;
}

const K_BODY = Buffer.from("body");
const K_SCORE = Buffer.from("score");
const K_DEPTH = Buffer.from("depth");
const K_AUTHOR = Buffer.from("author");
const K_EDITED = Buffer.from("edited");
const K_LINK_ID = Buffer.from("link_id");
const K_STICKIED = Buffer.from("stickied");
const K_PARENT_ID = Buffer.from("parent_id");
const K_CREATED_UTC = Buffer.from("created_utc");
const K_IS_SUBMITTER = Buffer.from("is_submitter");
const K_DISTINGUISHED = Buffer.from("distinguished");

/** The field code of the key without escapes at `s[a, a + len)`, 0 when not needed. */
function keyCode(s: Uint8Array, a: number, len: number): number {
  switch (len) {
    case 2:
      return s[a] === 0x69 && s[a + 1] === 0x64 ? ID : 0;
    case 4:
      return keyIs(s, a, K_BODY) ? BODY : 0;
    case 5:
      return keyIs(s, a, K_SCORE) ? SCORE : keyIs(s, a, K_DEPTH) ? DEPTH : 0;
    case 6:
      return keyIs(s, a, K_AUTHOR) ? AUTHOR : keyIs(s, a, K_EDITED) ? EDITED : 0;
    case 7:
      return keyIs(s, a, K_LINK_ID) ? LINK_ID : 0;
    case 8:
      return keyIs(s, a, K_STICKIED) ? STICKIED : 0;
    case 9:
      return keyIs(s, a, K_PARENT_ID) ? PARENT_ID : 0;
    case 11:
      return keyIs(s, a, K_CREATED_UTC) ? CREATED_UTC : 0;
    case 12:
      return keyIs(s, a, K_IS_SUBMITTER) ? IS_SUBMITTER : 0;
    case 13:
      return keyIs(s, a, K_DISTINGUISHED) ? DISTINGUISHED : 0;
    default:
      return 0;
  }
}

/**
 * Validates `s[from, to)` as one JSON object and records where the needed fields' values are
 * (scratch arrays). False when it is not strict JSON (or nested too deeply for the scan).
 */
function scanObject(s: Buffer, from: number, to: number): boolean {
  type.fill(ABSENT);
  let i = skipWs(s, from, to);
  if (i >= to || s[i] !== 0x7b) return false;
  i = skipWs(s, i + 1, to);
  if (i < to && s[i] === 0x7d) return skipWs(s, i + 1, to) === to;
  for (;;) {
    if (i >= to || s[i] !== 0x22) return false;
    const k = i;
    i = scanString(s, i, to);
    if (i < 0) return false;
    const code = escaped
      ? (NAMES.get(JSON.parse(s.toString("utf8", k, i)) as string) ?? 0)
      : keyCode(s, k + 1, i - k - 2);
    i = skipWs(s, i, to);
    if (i >= to || s[i] !== 0x3a) return false;
    i = skipWs(s, i + 1, to);
    if (i >= to) return false;
    const v = i;
    const c = s[i]!;
    let t: number;
    if (c === 0x22) {
      i = scanString(s, i, to);
      t = escaped ? STR_ESC : STR;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      i = scanNumber(s, i, to);
      t = NUM;
    } else if (c === 0x74) {
      i = scanWord(s, i, to, W_TRUE);
      t = TRUE;
    } else if (c === 0x66) {
      i = scanWord(s, i, to, W_FALSE);
      t = FALSE;
    } else if (c === 0x6e) {
      i = scanWord(s, i, to, W_NULL);
      t = NULL;
    } else {
      i = skipValue(s, i, to, 0);
      t = OTHER;
    }
    if (i < 0) return false;
    if (code !== 0) {
      type[code] = t;
      start[code] = v;
      end[code] = i;
    }
    i = skipWs(s, i, to);
    if (i >= to) return false;
    const d = s[i];
    if (d === 0x7d) return skipWs(s, i + 1, to) === to;
    if (d !== 0x2c) return false;
    i = skipWs(s, i + 1, to);
  }
}

/** A string field's value (type STR or STR_ESC). */
function str(s: Buffer, f: number): string {
  return type[f] === STR
    ? s.toString("utf8", start[f]! + 1, end[f]! - 1)
    : (JSON.parse(s.toString("utf8", start[f]!, end[f]!)) as string);
}

/** Value of the JSON number token of field `f`. Short integers are read without making a string. */
function num(s: Buffer, f: number): number {
  const a = start[f]!;
  const b = end[f]!;
  if (b - a <= 15) {
    let i = a;
    const neg = s[i] === 0x2d;
    if (neg) i++;
    let n = 0;
    for (; i < b; i++) {
      const c = s[i]!;
      if (c < 0x30 || c > 0x39) return Number(s.toString("latin1", a, b));
      n = n * 10 + (c - 0x30);
    }
    return neg ? -n : n;
  }
  return Number(s.toString("latin1", a, b));
}

/**
 * `optionalNumber` (coerce.ts) of field `f`: undefined when absent/null/"", NaN when the general
 * path must decide (not finite, or neither a number nor a string).
 */
function optNumber(s: Buffer, f: number): number | undefined {
  const t = type[f]!;
  if (t === ABSENT || t === NULL) return undefined;
  let n: number;
  if (t === NUM) n = num(s, f);
  else if (t === STR || t === STR_ESC) {
    const a = start[f]! + 1;
    const b = end[f]! - 1;
    if (b === a) return undefined; // ""
    // Plain digits (how dumps write created_utc): no string needed.
    let k = a;
    let v = 0;
    if (t === STR && b - a <= 15) {
      for (; k < b; k++) {
        const c = s[k]!;
        if (c < 0x30 || c > 0x39) break;
        v = v * 10 + (c - 0x30);
      }
    }
    n = t === STR && b - a <= 15 && k === b ? v : Number(str(s, f).trim());
  } else return Number.NaN;
  return Number.isFinite(n) ? n : Number.NaN;
}

/** `bool` with fallback false: 1 true, 0 false, -1 when the general path must decide. */
function boolOf(s: Buffer, f: number): number {
  const t = type[f]!;
  if (t === ABSENT || t === NULL || t === FALSE) return 0;
  if (t === TRUE) return 1;
  if (t === NUM) return num(s, f) !== 0 ? 1 : 0;
  return -1;
}

/** Writes ASCII bytes of `src` (a constant) at `at`; returns the new position. */
function put(out: Buffer, at: number, src: Uint8Array): number {
  for (let k = 0; k < src.length; k++) out[at + k] = src[k]!;
  return at + src.length;
}

/** Copies `s[a, b)` to `out` at `at`. */
function copy(out: Buffer, at: number, s: Buffer, a: number, b: number): number {
  if (b - a < 64) for (let k = a; k < b; k++) out[at++] = s[k]!;
  else at += s.copy(out, at, a, b);
  return at;
}

/** Writes `${n}` (ASCII). */
function putNum(out: Buffer, at: number, n: number): number {
  if (n >= 0 && n <= 0x7fffffff && (n | 0) === n) {
    if (n < 10) {
      out[at] = 0x30 + n;
      return at + 1;
    }
    let len = 1;
    for (let x = n; x >= 10; x = (x / 10) | 0) len++;
    let x = n;
    for (let k = at + len - 1; k >= at; k--) {
      const q = (x / 10) | 0;
      out[k] = 0x30 + x - q * 10;
      x = q;
    }
    return at + len;
  }
  return at + out.write(`${n}`, at, "latin1");
}

/** Writes a string field as JSON: its token when without escapes (from `skip` bytes in), else JSON.stringify. */
function putStr(out: Buffer, at: number, s: Buffer, f: number, prefix: Uint8Array | null, skip: number): number {
  out[at++] = 0x22;
  if (prefix) at = put(out, at, prefix);
  at = copy(out, at, s, start[f]! + 1 + skip, end[f]! - 1);
  out[at++] = 0x22;
  return at;
}

const P_T1 = Buffer.from("t1_");
const P_T3 = Buffer.from("t3_");
const HEAD = Buffer.from("c\t");
const J_ID = Buffer.from('{"id":');
const J_NAME = Buffer.from(',"name":');
const J_PARENT = Buffer.from(',"parent_id":');
const J_LINK = Buffer.from(',"link_id":');
const J_BODY = Buffer.from(',"body":');
const J_AUTHOR = Buffer.from(',"author":');
const J_SCORE = Buffer.from(',"score":');
const J_CREATED = Buffer.from(',"created_utc":');
const J_DEPTH = Buffer.from(',"depth":');
const J_DIST = Buffer.from(',"distinguished":');
const J_STICKIED = Buffer.from(',"stickied":');
const J_IS_SUB = Buffer.from(',"is_submitter":');
const J_EDITED = Buffer.from(',"edited":');
const EMPTY = Buffer.from('""');
const DELETED = Buffer.from("[deleted]");

/** Longer lines go the general way (so a bucket buffer never has to grow for the fast path). */
const MAX_FAST_LINE = 1 << 20;

/** What {@link scanComment} found: the thread's hash input and the byte bound of the bucket line. */
export interface FastScan {
  /** FNV-1a (as `bucketOf`) of the comment's `link_id`. */
  hash: number;
  /** At most this many bytes will be written. */
  bound: number;
}

/** `/^t\d_/` on the string token of field `f` (type STR). */
function hasTPrefix(s: Buffer, f: number): boolean {
  const a = start[f]! + 1;
  const d = s[a + 1]!;
  return end[f]! - 1 - a >= 3 && s[a] === 0x74 && d >= 0x30 && d <= 0x39 && s[a + 2] === 0x5f;
}

// Values of the last successful scan, for writeFastComment.
let createdUtc = 0;
let depth = -1;
let score = 0;
let stickied = 0;
let isSubmitter = 0;

/**
 * Scans the line `s[from, to)` (valid UTF-8, no newline) and decides whether the fast path can
 * write it: returns its bucket hash and size bound, or null for the general path. Uses the common
 * case only: string tokens of id, parent_id and link_id without escapes (ids are ASCII in dumps;
 * anything else goes the general way, which hashes the decoded string).
 */
export function scanComment(s: Buffer, from: number, to: number, out: FastScan): boolean {
  if (to - from > MAX_FAST_LINE || !scanObject(s, from, to)) return false;
  if (type[BODY] === ABSENT || type[LINK_ID] === ABSENT) return false;
  if (type[ID] !== STR || type[PARENT_ID] !== STR || type[LINK_ID] !== STR) return false;
  if (end[ID]! - start[ID]! === 2 || end[PARENT_ID]! - start[PARENT_ID]! === 2 || end[LINK_ID]! - start[LINK_ID]! === 2)
    return false; // "" is missing for requiredString
  const c = optNumber(s, CREATED_UTC);
  if (c === undefined || Number.isNaN(c)) return false;
  const d = optNumber(s, DEPTH);
  if (d !== undefined && Number.isNaN(d)) return false;
  const sc = optNumber(s, SCORE);
  if (sc !== undefined && Number.isNaN(sc)) return false;
  const bt = type[BODY]!;
  if (bt !== NULL && bt !== STR && bt !== STR_ESC) return false;
  const at = type[AUTHOR]!;
  if (at !== ABSENT && at !== NULL && at !== STR && at !== STR_ESC) return false;
  const dt = type[DISTINGUISHED]!;
  if (dt !== ABSENT && dt !== NULL && dt !== STR && dt !== STR_ESC) return false;
  const st = boolOf(s, STICKIED);
  const is = boolOf(s, IS_SUBMITTER);
  if (st < 0 || is < 0) return false;
  const et = type[EDITED]!;
  if (et === NUM) {
    if (!Number.isFinite(num(s, EDITED))) return false;
  } else if (et === STR) {
    if (end[EDITED]! - start[EDITED]! !== 2) return false; // only "" is plain (false)
  } else if (et !== ABSENT && et !== NULL && et !== FALSE && et !== TRUE) return false;
  // Only ASCII ids: the hash over bytes then equals bucketOf's hash over UTF-16 units.
  let h = 0x811c9dc5;
  if (!hasTPrefix(s, LINK_ID) || s[start[LINK_ID]! + 2] !== 0x33) {
    // link_id gets the "t3_" prefix
    h ^= 0x74;
    h = Math.imul(h, 0x01000193);
    h ^= 0x33;
    h = Math.imul(h, 0x01000193);
    h ^= 0x5f;
    h = Math.imul(h, 0x01000193);
  }
  for (let k = start[LINK_ID]! + 1; k < end[LINK_ID]! - 1; k++) {
    const b = s[k]!;
    if (b >= 0x80) return false;
    h ^= b;
    h = Math.imul(h, 0x01000193);
  }
  for (let k = start[ID]! + 1; k < end[ID]! - 1; k++) if (s[k]! >= 0x80) return false;
  for (let k = start[PARENT_ID]! + 1; k < end[PARENT_ID]! - 1; k++) if (s[k]! >= 0x80) return false;
  createdUtc = c;
  depth = d === undefined ? -1 : d;
  score = Math.round(sc ?? 0);
  stickied = st;
  isSubmitter = is;
  out.hash = h >>> 0;
  // Every string token appears at most three times (id: header, id, name), numbers are at most
  // 25 characters each (written twice), a re-serialised string is never longer than its token.
  out.bound = (to - from) * 3 + 1024;
  return true;
}

/**
 * Writes the bucket line of the comment found by the last successful {@link scanComment} of `s`
 * into `out` at `at` (room for `bound` bytes); returns the new position.
 */
export function writeFastComment(s: Buffer, out: Buffer, at: number, fileIndex: number, line: number): number {
  // Header: c \t fileIndex \t line \t score \t created_utc \t depth \t "id" \t "parent_id" \t "link_id" \t
  at = put(out, at, HEAD);
  at = putNum(out, at, fileIndex);
  out[at++] = 0x09;
  at = putNum(out, at, line);
  out[at++] = 0x09;
  at = putNum(out, at, score);
  out[at++] = 0x09;
  at = putNum(out, at, createdUtc);
  out[at++] = 0x09;
  at = putNum(out, at, depth);
  out[at++] = 0x09;
  const idSkip = hasTPrefix(s, ID) ? 3 : 0;
  const parentPrefix = hasTPrefix(s, PARENT_ID) ? null : P_T1;
  const linkPrefix = hasTPrefix(s, LINK_ID) && s[start[LINK_ID]! + 2] === 0x33 ? null : P_T3;
  at = putStr(out, at, s, ID, null, idSkip);
  out[at++] = 0x09;
  at = putStr(out, at, s, PARENT_ID, parentPrefix, 0);
  out[at++] = 0x09;
  at = putStr(out, at, s, LINK_ID, linkPrefix, 0);
  out[at++] = 0x09;
  // JSON.stringify(comment)
  at = put(out, at, J_ID);
  at = putStr(out, at, s, ID, null, idSkip);
  at = put(out, at, J_NAME);
  at = putStr(out, at, s, ID, P_T1, idSkip);
  at = put(out, at, J_PARENT);
  at = putStr(out, at, s, PARENT_ID, parentPrefix, 0);
  at = put(out, at, J_LINK);
  at = putStr(out, at, s, LINK_ID, linkPrefix, 0);
  at = put(out, at, J_BODY);
  const bt = type[BODY];
  if (bt === NULL) at = put(out, at, EMPTY);
  else if (bt === STR) at = copy(out, at, s, start[BODY]!, end[BODY]!);
  else at += out.write(JSON.stringify(str(s, BODY)), at, "utf8");
  at = put(out, at, J_AUTHOR);
  at = putNullable(out, at, s, AUTHOR, true);
  at = put(out, at, J_SCORE);
  at = putNum(out, at, score);
  at = put(out, at, J_CREATED);
  at = putNum(out, at, createdUtc);
  at = put(out, at, J_DEPTH);
  at = putNum(out, at, depth);
  at = put(out, at, J_DIST);
  at = putNullable(out, at, s, DISTINGUISHED, false);
  at = put(out, at, J_STICKIED);
  at = put(out, at, stickied === 1 ? W_TRUE : W_FALSE);
  at = put(out, at, J_IS_SUB);
  at = put(out, at, isSubmitter === 1 ? W_TRUE : W_FALSE);
  at = put(out, at, J_EDITED);
  const et = type[EDITED];
  if (et === TRUE) at = putNum(out, at, createdUtc);
  else if (et === NUM) {
    const n = num(s, EDITED);
    at = n === 0 ? put(out, at, W_FALSE) : putNum(out, at, n);
  } else at = put(out, at, W_FALSE);
  out[at++] = 0x7d;
  out[at++] = 0x0a;
  return at;
}

/** `nullableString` as JSON (`null` for absent/null/""); with `deleted`, "[deleted]" is null too. */
function putNullable(out: Buffer, at: number, s: Buffer, f: number, deleted: boolean): number {
  const t = type[f];
  const a = start[f]!;
  const b = end[f]!;
  if (t === ABSENT || t === NULL || b - a === 2) return put(out, at, W_NULL);
  if (t === STR) {
    if (deleted && b - a === DELETED.length + 2 && keyIs(s, a + 1, DELETED)) return put(out, at, W_NULL);
    return copy(out, at, s, a, b);
  }
  const v = str(s, f);
  if (deleted && v === "[deleted]") return put(out, at, W_NULL);
  return at + out.write(JSON.stringify(v), at, "utf8");
}
