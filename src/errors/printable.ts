/**
 * `s` with control characters (terminal escape sequences, carriage returns...) written as `\u001b`
 * etc., so a message quoting a hostile input line cannot drive the terminal. Newlines and tabs stay.
 */
export function printable(s: string): string {
  let out = "";
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    out +=
      (c < 0x20 && c !== 0x0a && c !== 0x09) || (c >= 0x7f && c <= 0x9f) ? `\\u${c.toString(16).padStart(4, "0")}` : ch;
  }
  return out;
}
