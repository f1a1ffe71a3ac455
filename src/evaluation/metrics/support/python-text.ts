/**
 * Python `str` semantics the reference implementations depend on, reproduced for JS strings.
 * Python strings index by code point and treat a specific set of characters as whitespace
 * (`str.split()` / `str.isspace()`); JS strings index by UTF-16 unit and `\s` is a different set.
 */

/**
 * Characters Python's `str.split()` / `str.strip()` treat as whitespace (CPython `Py_UNICODE_ISSPACE`):
 * `\t\n\v\f\r`, `\x1c`-`\x1f`, space, `\x85`, NBSP, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F,
 * U+205F, U+3000. Unlike JS `\s` it includes `\x1c`-`\x1f` and `\x85` and excludes U+FEFF.
 */
const PY_WS_CLASS = "\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const PY_WS_RUN = new RegExp(`[${PY_WS_CLASS}]+`, "g");
const HAS_SURROGATE = /[\uD800-\uDFFF]/;

/** Python `s.split()` (no argument): split on runs of Python whitespace, drop empty pieces. */
export function pySplit(s: string): string[] {
  const parts = s.split(PY_WS_RUN);
  // Leading/trailing whitespace produce one empty piece at each end at most.
  if (parts.length > 0 && parts[0] === "") parts.shift();
  if (parts.length > 0 && parts[parts.length - 1] === "") parts.pop();
  return parts;
}

/** True when the UTF-16 code unit `c` is Python whitespace (`str.isspace()` of that character). */
export function isPyWhitespace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c >= 0x1c;
  if (c < 0x85) return false;
  return (
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

/** Python `s.rstrip()` (no argument). */
export function pyRstrip(s: string): string {
  let end = s.length;
  while (end > 0 && isPyWhitespace(s.charCodeAt(end - 1))) end--;
  return end === s.length ? s : s.slice(0, end);
}

/** Python `"".join(s.split())`: the string without any Python whitespace. */
export function pyRemoveWhitespace(s: string): string {
  return s.replace(PY_WS_RUN, "");
}

/** True when the string holds a UTF-16 surrogate, i.e. code points and JS indices differ. */
export function hasSurrogates(s: string): boolean {
  return HAS_SURROGATE.test(s);
}

/** Python `len(s)`: number of code points. */
export function pyLen(s: string): number {
  if (!hasSurrogates(s)) return s.length;
  let n = 0;
  for (const _ of s) n++;
  return n;
}
