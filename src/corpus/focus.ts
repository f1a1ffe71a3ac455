/**
 * City or region focus (`corpus.focus`): keep threads from named subreddits plus threads whose title or body
 * mentions the place or one of its aliases. Names match as whole words, case- and accent-insensitively
 * ("belem" matches "Belém", "London" does not match "Londonderry"); a multi-word alias ("notre dame")
 * matches across any run of spaces or punctuation.
 */
import type { FocusConfig } from "../config/datasets-recipes.ts";

/** Why a thread was kept (or not) by the focus. */
export type FocusMatch = "subreddit" | "mention" | null;

/** Lower case, accents stripped (NFD, combining marks removed). */
export function foldText(s: string): string {
  return s
    .normalize("NFD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase();
}

/** A compiled focus: `match(subreddit, title, body)` says whether and why a thread is kept. */
export interface FocusMatcher {
  readonly place: string;
  match(subreddit: string, title: string, body: string): FocusMatch;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Compiles a focus setting (see the module doc). Aliases are deduplicated after folding. */
export function compileFocus(focus: FocusConfig): FocusMatcher {
  const names = [...new Set([focus.place, ...focus.aliases].map((n) => foldText(n).trim()).filter(Boolean))];
  const alternatives = names
    .sort((a, b) => b.length - a.length)
    .map((n) =>
      n
        .split(/[^\p{L}\p{N}]+/u)
        .filter(Boolean)
        .map(escapeRegExp)
        .join("[^\\p{L}\\p{N}]+"),
    );
  const re = new RegExp(`(?<![\\p{L}\\p{N}])(?:${alternatives.join("|")})(?![\\p{L}\\p{N}])`, "u");
  const subs = new Set(focus.subreddits.map((s) => s.replace(/^\/?r\//i, "").toLowerCase()));
  return {
    place: focus.place,
    match(subreddit, title, body) {
      if (subs.has(subreddit.toLowerCase())) return "subreddit";
      if (re.test(foldText(title)) || re.test(foldText(body))) return "mention";
      return null;
    },
  };
}
