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
/** Read only for the import's subreddit filter (see {@link scannedSubreddit}); not written. */
const SUBREDDIT = 13;
const FIELDS = 14;

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
  ["subreddit", SUBREDDIT],
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

/**
 * Byte classes inside a string token, so that the loop over a string (most of a line's bytes are
 * the body) makes one table look-up per byte instead of three comparisons: 0 plain, 1 `"`, 2 `\`,
 * 3 control character (not allowed raw in JSON).
 */
const STRING_CLASS = new Uint8Array(256);
STRING_CLASS.fill(3, 0, 0x20);
STRING_CLASS[0x22] = 1;
STRING_CLASS[0x5c] = 2;

/** `s[i]` is `"`: the index after the closing quote, or -1 when the string is not valid JSON. */
function scanString(s: Uint8Array, i: number, to: number): number {
  escaped = false;
  let j = i + 1;
  for (;;) {
    let k = 0;
    while (j < to) {
      k = STRING_CLASS[s[j]!]!;
      if (k !== 0) break;
      j++;
    }
    if (j >= to) return -1;
    if (k === 1) return j + 1;
    if (k === 3) return -1;
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

/**
 * `s[a, a + 4)` as one int (little endian): keys and the words true/false/null are compared four
 * bytes at a time (one comparison instead of a loop over a constant).
 */
function w4(s: Uint8Array, a: number): number {
  return s[a]! | (s[a + 1]! << 8) | (s[a + 2]! << 16) | (s[a + 3]! << 24);
}

/** {@link w4} of four characters of a constant. */
function word(text: string, k = 0): number {
  return (
    text.charCodeAt(k) | (text.charCodeAt(k + 1) << 8) | (text.charCodeAt(k + 2) << 16) | (text.charCodeAt(k + 3) << 24)
  );
}

const W_TRUE = word("true");
const W_ALSE = word("alse");
const W_NULL = word("null");

/** Index after the `true` at `i`, or -1. */
function scanTrue(s: Uint8Array, i: number, to: number): number {
  return i + 4 <= to && w4(s, i) === W_TRUE ? i + 4 : -1;
}

/** Index after the `false` at `i` (`s[i]` is `f`), or -1. */
function scanFalse(s: Uint8Array, i: number, to: number): number {
  return i + 5 <= to && w4(s, i + 1) === W_ALSE ? i + 5 : -1;
}

/** Index after the `null` at `i`, or -1. */
function scanNull(s: Uint8Array, i: number, to: number): number {
  return i + 4 <= to && w4(s, i) === W_NULL ? i + 4 : -1;
}

/** Index after the JSON value (any type, nesting validated) at `i`, or -1. */
function skipValue(s: Uint8Array, i: number, to: number, level: number): number {
  const c = s[i];
  if (c === 0x22) return scanString(s, i, to);
  if (c === 0x2d || isDigit(c)) return scanNumber(s, i, to);
  if (c === 0x74) return scanTrue(s, i, to);
  if (c === 0x66) return scanFalse(s, i, to);
  if (c === 0x6e) return scanNull(s, i, to);
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

// Needed keys as words of four bytes (see w4): a key of length n is compared at offsets 0, 4, ...
// and n - 4 (the last word may overlap the one before), so every byte is compared exactly
// (five-byte keys: their first byte, then the word at offset 1).
const K_BODY = word("body");
const K_CORE = word("score", 1);
const K_EPTH = word("depth", 1);
const K_AUTH = word("author");
const K_THOR = word("author", 2);
const K_EDIT = word("edited");
const K_ITED = word("edited", 2);
const K_LINK = word("link_id");
const K_K_ID = word("link_id", 3);
const K_STIC = word("stickied");
const K_KIED = word("stickied", 4);
const K_PARE = word("parent_id");
const K_NT_I = word("parent_id", 4);
const K_T_ID = word("parent_id", 5);
const K_SUBR = word("subreddit");
const K_EDDI = word("subreddit", 4);
const K_DDIT = word("subreddit", 5);
const K_CREA = word("created_utc");
const K_TED_ = word("created_utc", 4);
const K__UTC = word("created_utc", 7);
const K_IS_S = word("is_submitter");
const K_UBMI = word("is_submitter", 4);
const K_TTER = word("is_submitter", 8);
const K_DIST = word("distinguished");
const K_INGU = word("distinguished", 4);
const K_ISHE = word("distinguished", 8);
const K_SHED = word("distinguished", 9);

/** The field code of the key without escapes at `s[a, a + len)`, 0 when not needed. */
function keyCode(s: Uint8Array, a: number, len: number): number {
  switch (len) {
    case 2:
      return s[a] === 0x69 && s[a + 1] === 0x64 ? ID : 0;
    case 4:
      return w4(s, a) === K_BODY ? BODY : 0;
    case 5: {
      const w = w4(s, a + 1);
      return w === K_CORE && s[a] === 0x73 ? SCORE : w === K_EPTH && s[a] === 0x64 ? DEPTH : 0;
    }
    case 6: {
      const w = w4(s, a);
      const x = w4(s, a + 2);
      return w === K_AUTH && x === K_THOR ? AUTHOR : w === K_EDIT && x === K_ITED ? EDITED : 0;
    }
    case 7:
      return w4(s, a) === K_LINK && w4(s, a + 3) === K_K_ID ? LINK_ID : 0;
    case 8:
      return w4(s, a) === K_STIC && w4(s, a + 4) === K_KIED ? STICKIED : 0;
    case 9: {
      const w = w4(s, a);
      if (w === K_PARE) return w4(s, a + 4) === K_NT_I && w4(s, a + 5) === K_T_ID ? PARENT_ID : 0;
      return w === K_SUBR && w4(s, a + 4) === K_EDDI && w4(s, a + 5) === K_DDIT ? SUBREDDIT : 0;
    }
    case 11:
      return w4(s, a) === K_CREA && w4(s, a + 4) === K_TED_ && w4(s, a + 7) === K__UTC ? CREATED_UTC : 0;
    case 12:
      return w4(s, a) === K_IS_S && w4(s, a + 4) === K_UBMI && w4(s, a + 8) === K_TTER ? IS_SUBMITTER : 0;
    case 13:
      return w4(s, a) === K_DIST && w4(s, a + 4) === K_INGU && w4(s, a + 8) === K_ISHE && w4(s, a + 9) === K_SHED
        ? DISTINGUISHED
        : 0;
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
      i = scanTrue(s, i, to);
      t = TRUE;
    } else if (c === 0x66) {
      i = scanFalse(s, i, to);
      t = FALSE;
    } else if (c === 0x6e) {
      i = scanNull(s, i, to);
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

/**
 * The number written in ASCII at `s[a, b)` (a JSON number token, or `String(n)`): short plain
 * integers are read without making a string, anything else through `Number`.
 */
export function numberAt(s: Buffer, a: number, b: number): number {
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
    if (i > (neg ? a + 1 : a)) return neg ? -n : n;
  }
  return Number(s.toString("latin1", a, b));
}

/** Value of the JSON number token of field `f`. */
function num(s: Buffer, f: number): number {
  return numberAt(s, start[f]!, end[f]!);
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

/**
 * Copies `s[a, b)` to `out` at `at`. Short runs (ids, most authors) by a byte loop: a native
 * Buffer.copy costs more per call than the loop below about 64 bytes (measured).
 */
function copy(out: Buffer, at: number, s: Buffer, a: number, b: number): number {
  if (b - a < 64) for (let k = a; k < b; k++) out[at++] = s[k]!;
  else at += s.copy(out, at, a, b);
  return at;
}

/** Writes `${n}` (ASCII). */
function putNum(out: Buffer, at: number, n: number): number {
  // Integers (negative ones too: `depth` is -1 for every comment without one) are written digit by
  // digit; only fractions and huge numbers need `${n}` and a native write.
  if (Math.floor(n) !== n || n > MAX_DIGITS_INT || n < -MAX_DIGITS_INT) return at + out.write(`${n}`, at, "latin1");
  if (n < 0) {
    out[at++] = 0x2d;
    n = -n;
  }
  if (n < 10) {
    out[at] = 0x30 + n; // also -0, written "0" as by `${-0}`
    return at + 1;
  }
  let len = 1;
  for (let p = 10; p <= n; p *= 10) len++;
  if (n <= 0x7fffffff) {
    for (let k = at + len - 1; k >= at; k--) {
      const q = (n / 10) | 0;
      out[k] = 0x30 + (n - q * 10);
      n = q;
    }
  } else {
    // Beyond int32: Math.floor(n / 10) is exact for n < 2^53 (see MAX_DIGITS_INT).
    for (let k = at + len - 1; k >= at; k--) {
      const q = Math.floor(n / 10);
      out[k] = 0x30 + (n - q * 10);
      n = q;
    }
  }
  return at + len;
}

/** Largest |integer| {@link putNum} writes by itself (below 2^53: exact digits, no exponent form). */
const MAX_DIGITS_INT = 2 ** 53 - 1;

/**
 * A writer of the ASCII constant `text` at `out[at]`, returning `at + text.length`. It is made
 * with `new Function` so that its body is a run of stores of immediate bytes (`out[at + 0] = 44;
 * ...`): about 4 times faster than a loop copying from a constant array (measured), and the fixed
 * parts are about a third of a bucket line's bytes. `text` only becomes numbers in the source.
 */
function constWriter(text: string): (out: Uint8Array, at: number) => number {
  let body = "";
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c >= 0x80) throw new Error("constWriter: ASCII only");
    body += `out[at + ${k}] = ${c};\n`;
  }
  return new Function("out", "at", `${body}return at + ${text.length};`) as (out: Uint8Array, at: number) => number;
}

// The fixed parts of the bucket line, each run of constant bytes between two values as one
// writer (fewer calls). The quotes of id, parent_id and link_id are part of them.
const P_T1 = constWriter("t1_");
const P_T3 = constWriter("t3_");
const HEAD = constWriter("c\t");
const Q_TAB_Q = constWriter('"\t"');
const Q_TAB = constWriter('"\t');
const J_ID = constWriter('{"id":"');
const J_NAME = constWriter('","name":"t1_');
const J_PARENT = constWriter('","parent_id":"');
const J_LINK = constWriter('","link_id":"');
const J_BODY = constWriter('","body":');
const J_AUTHOR = constWriter(',"author":');
const J_SCORE = constWriter(',"score":');
const J_CREATED = constWriter(',"created_utc":');
const J_DEPTH = constWriter(',"depth":');
const J_DIST = constWriter(',"distinguished":');
const J_STICKIED_TRUE = constWriter(',"stickied":true');
const J_STICKIED_FALSE = constWriter(',"stickied":false');
const J_IS_SUB_TRUE = constWriter(',"is_submitter":true,"edited":');
const J_IS_SUB_FALSE = constWriter(',"is_submitter":false,"edited":');
const J_FALSE_END = constWriter("false}\n");
const A_NULL = constWriter("null");
const EMPTY = constWriter('""');
const W_DELE = word("[deleted]");
const W_ETED = word("[deleted]", 4);

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
 * The top-level `subreddit` of the comment found by the last successful {@link scanComment} of `s`:
 * its string value, or null when the field is absent, null, "" or not a string (the same reading
 * as the general path's, see `ndjson-dump.ts`).
 */
export function scannedSubreddit(s: Buffer): string | null {
  const t = type[SUBREDDIT];
  if (t !== STR && t !== STR_ESC) return null;
  const v = str(s, SUBREDDIT);
  return v === "" ? null : v;
}

/**
 * Writes the bucket line of the comment found by the last successful {@link scanComment} of `s`
 * into `out` at `at` (room for `bound` bytes); returns the new position.
 */
export function writeFastComment(s: Buffer, out: Buffer, at: number, fileIndex: number, line: number): number {
  // Header: c \t fileIndex \t line \t score \t created_utc \t depth \t "id" \t "parent_id" \t "link_id" \t
  at = HEAD(out, at);
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
  out[at++] = 0x22;
  // The three ids are string tokens without escapes (scanComment): copied without their quotes.
  const idA = start[ID]! + 1 + (hasTPrefix(s, ID) ? 3 : 0);
  const idB = end[ID]! - 1;
  const parentA = start[PARENT_ID]! + 1;
  const parentB = end[PARENT_ID]! - 1;
  const parentPrefix = !hasTPrefix(s, PARENT_ID);
  const linkA = start[LINK_ID]! + 1;
  const linkB = end[LINK_ID]! - 1;
  const linkPrefix = !(hasTPrefix(s, LINK_ID) && s[linkA + 1] === 0x33);
  at = copy(out, at, s, idA, idB);
  at = Q_TAB_Q(out, at);
  if (parentPrefix) at = P_T1(out, at);
  at = copy(out, at, s, parentA, parentB);
  at = Q_TAB_Q(out, at);
  if (linkPrefix) at = P_T3(out, at);
  at = copy(out, at, s, linkA, linkB);
  at = Q_TAB(out, at);
  // JSON.stringify(comment)
  at = J_ID(out, at);
  at = copy(out, at, s, idA, idB);
  at = J_NAME(out, at);
  at = copy(out, at, s, idA, idB);
  at = J_PARENT(out, at);
  if (parentPrefix) at = P_T1(out, at);
  at = copy(out, at, s, parentA, parentB);
  at = J_LINK(out, at);
  if (linkPrefix) at = P_T3(out, at);
  at = copy(out, at, s, linkA, linkB);
  at = J_BODY(out, at);
  const bt = type[BODY];
  if (bt === NULL) at = EMPTY(out, at);
  else if (bt === STR) at = copy(out, at, s, start[BODY]!, end[BODY]!);
  else at += out.write(JSON.stringify(str(s, BODY)), at, "utf8");
  at = J_AUTHOR(out, at);
  at = putNullable(out, at, s, AUTHOR, true);
  at = J_SCORE(out, at);
  at = putNum(out, at, score);
  at = J_CREATED(out, at);
  at = putNum(out, at, createdUtc);
  at = J_DEPTH(out, at);
  at = putNum(out, at, depth);
  at = J_DIST(out, at);
  at = putNullable(out, at, s, DISTINGUISHED, false);
  at = stickied === 1 ? J_STICKIED_TRUE(out, at) : J_STICKIED_FALSE(out, at);
  at = isSubmitter === 1 ? J_IS_SUB_TRUE(out, at) : J_IS_SUB_FALSE(out, at); // ends with ,"edited":
  const et = type[EDITED];
  if (et === TRUE) at = putNum(out, at, createdUtc);
  else {
    const n = et === NUM ? num(s, EDITED) : 0;
    if (n === 0) return J_FALSE_END(out, at); // false}\n
    at = putNum(out, at, n);
  }
  out[at++] = 0x7d;
  out[at++] = 0x0a;
  return at;
}

/** `nullableString` as JSON (`null` for absent/null/""); with `deleted`, "[deleted]" is null too. */
function putNullable(out: Buffer, at: number, s: Buffer, f: number, deleted: boolean): number {
  const t = type[f];
  const a = start[f]!;
  const b = end[f]!;
  if (t === ABSENT || t === NULL || b - a === 2) return A_NULL(out, at);
  if (t === STR) {
    if (deleted && b - a === 11 && w4(s, a + 1) === W_DELE && w4(s, a + 5) === W_ETED && s[a + 9] === 0x5d)
      return A_NULL(out, at); // "[deleted]"
    return copy(out, at, s, a, b);
  }
  const v = str(s, f);
  if (deleted && v === "[deleted]") return A_NULL(out, at);
  return at + out.write(JSON.stringify(v), at, "utf8");
}
