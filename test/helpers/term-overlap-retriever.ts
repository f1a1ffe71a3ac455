import type { RetrievedDocument, Retriever } from "../../src/retrieval/index.ts";

/**
 * A small real Retriever over fixed documents for tests: ranks by the number of distinct lower-cased word
 * types shared with the query (ties: input order), drops documents sharing none. `mode` is ignored.
 */
export class TermOverlapRetriever implements Retriever {
  readonly #docs: RetrievedDocument[];
  /** Queries seen, in order (what the caller searched for). */
  readonly queries: string[] = [];

  constructor(docs: ReadonlyArray<Omit<RetrievedDocument, "score">>) {
    this.#docs = docs.map((d) => ({ ...d, score: 0 }));
  }

  async search(query: string, opts: { k: number }): Promise<RetrievedDocument[]> {
    this.queries.push(query);
    const words = (s: string) => new Set(s.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);
    const q = words(query);
    return this.#docs
      .map((d, i) => ({ d, i, score: [...words(d.text)].filter((w) => q.has(w)).length }))
      .filter((x) => x.score > 0)
      .sort((a, b) => b.score - a.score || a.i - b.i)
      .slice(0, opts.k)
      .map((x) => ({ ...x.d, score: x.score }));
  }
}

/** Three travel snippets in Reddit's voice (written for the tests), one with markup that must stay text. */
export const TRAVEL_DOCS: ReadonlyArray<Omit<RetrievedDocument, "score">> = [
  {
    id: "d1",
    title: "Lisbon trams",
    text: "Tram 28 in Lisbon gets packed by 10am; ride it early from Martim Moniz.",
    source: { threadId: "t3_lis", commentIds: ["t1_a"] },
  },
  {
    id: "d2",
    title: "<b>Porto</b> <script>window.__pwned=1</script>",
    text: 'In Porto the Andante card covers metro and buses. <img src=x onerror="window.__pwned=2">',
    source: { threadId: "t3_opo", commentIds: ["t1_b", "t1_c"] },
  },
  {
    id: "d3",
    text: "Sintra is an easy day trip from Lisbon by train from Rossio station.",
    source: { threadId: "t3_sin", commentIds: ["t1_d"] },
  },
];
