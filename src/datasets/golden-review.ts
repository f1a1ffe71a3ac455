/**
 * Reviewing golden drafts, one item at a time, in the terminal (`wayfarer golden review FILE`) and in the
 * server's review page. Both write the same reviewed file (`x.reviewed.jsonl` next to `x.jsonl`, every item,
 * reviewed or not), after every decision, so a review can stop at any point and resume later: when the
 * reviewed file exists it is the starting point.
 */
import { existsSync } from "node:fs";
import {
  applyDecision,
  type GoldenDecision,
  type GoldenDraft,
  readGoldenDrafts,
  reviewedPath,
  saveGolden,
} from "./golden-build.ts";

/** Opens a review: the reviewed file when it exists (resume), else the drafts. */
export async function openReview(
  file: string,
  out = reviewedPath(file),
): Promise<{ items: GoldenDraft[]; out: string }> {
  return { items: await readGoldenDrafts(existsSync(out) ? out : file), out };
}

/** Counts of a review's items by status. */
export function reviewCounts(
  items: readonly GoldenDraft[],
): Record<"pending" | "accepted" | "edited" | "rejected", number> {
  const c = { pending: 0, accepted: 0, edited: 0, rejected: 0 };
  for (const i of items) {
    if (!i.reviewed || i.status === "draft") c.pending++;
    else c[i.status]++;
  }
  return c;
}

/**
 * Applies one decision to the review in `out` (read, change, write atomically) and returns the changed item.
 * @throws RangeError for an unknown id or an edit that empties a field.
 */
export async function decide(file: string, out: string, d: GoldenDecision, reviewer: string): Promise<GoldenDraft> {
  const { items } = await openReview(file, out);
  const i = items.findIndex((x) => x.id === d.id);
  if (i < 0) throw new RangeError(`no golden item "${d.id}"`);
  items[i] = applyDecision(items[i]!, d, reviewer);
  await saveGolden(out, items);
  return items[i]!;
}

/** Line-oriented terminal I/O of {@link reviewInTerminal}. */
export interface ReviewIO {
  /** The next input line (without newline), or null at end of input. */
  readLine(): Promise<string | null>;
  write(text: string): void;
}

/**
 * The terminal review loop: for each item not yet reviewed, shows the question and answer and reads one of
 * `a` (accept), `e` (edit: a new question on one line, empty keeps it; then a new answer over several lines
 * ending with a line `.`, a lone `.` keeps it), `r` (reject), `s` (skip for now), `q` (quit). The reviewed file
 * is written after every decision. End of input is a quit. Returns the counts at the end.
 */
export async function reviewInTerminal(
  o: { file: string; out?: string; reviewer: string },
  io: ReviewIO,
): Promise<{ out: string; counts: ReturnType<typeof reviewCounts>; decided: number }> {
  const { items, out } = await openReview(o.file, o.out);
  const pending = items.filter((i) => !i.reviewed || i.status === "draft");
  let decided = 0;
  io.write(`${pending.length} of ${items.length} item(s) to review; decisions are saved to ${out} as you go.\n`);
  loop: for (const [n, item] of pending.entries()) {
    io.write(
      `\n[${n + 1}/${pending.length}] ${item.id} (${item.source?.subreddit ? `r/${item.source.subreddit}, ` : ""}${item.source?.thread ?? "?"})\nQ: ${item.question}\nA: ${item.answer}\n`,
    );
    for (;;) {
      io.write("[a]ccept  [e]dit  [r]eject  [s]kip  [q]uit > ");
      const line = await io.readLine();
      if (line === null) break loop;
      const key = line.trim().toLowerCase();
      let d: GoldenDecision | null = null;
      if (key === "a" || key === "accept") d = { id: item.id, action: "accept" };
      else if (key === "r" || key === "reject") d = { id: item.id, action: "reject" };
      else if (key === "s" || key === "skip") continue loop;
      else if (key === "q" || key === "quit") break loop;
      else if (key === "e" || key === "edit") {
        io.write("New question (empty line keeps it): ");
        const q = await io.readLine();
        if (q === null) break loop;
        io.write("New answer, end with a line '.' (a lone '.' keeps it):\n");
        const lines: string[] = [];
        for (;;) {
          const l = await io.readLine();
          if (l === null || l.trim() === ".") break;
          lines.push(l);
        }
        const answer = lines.join("\n").trim();
        d = { id: item.id, action: "edit", ...(q.trim() ? { question: q.trim() } : {}), ...(answer ? { answer } : {}) };
      } else {
        io.write(`"${line.trim()}": type a, e, r, s or q\n`);
        continue;
      }
      await decide(o.file, out, d, o.reviewer);
      decided++;
      continue loop;
    }
  }
  const { items: now } = await openReview(o.file, out);
  if (!existsSync(out)) await saveGolden(out, now);
  const counts = reviewCounts(now);
  io.write(
    `\naccepted ${counts.accepted}, edited ${counts.edited}, rejected ${counts.rejected}, still to review ${counts.pending} -> ${out}\n`,
  );
  return { out, counts, decided };
}
