import type { Comment } from "./thread.ts";

/**
 * Puts a thread's comments in the thread model's stable order and fills in `depth`.
 *
 * Order: breadth first, the way PRAW's `comments.list()` flattens a tree — all top-level comments
 * (parent `t3_...`) by descending score, then their replies level by level, each parent's children
 * together in the parent's order and by descending score (ties: older first, then id). A parent
 * therefore always precedes its children, and any prefix of the list is a tree (so "keep the first
 * N" never orphans a reply).
 *
 * Depth: 0 for top-level, parent depth + 1 otherwise, overriding whatever the source said.
 * Orphans (parent comment absent, common in dumps) are appended after the tree as roots of their
 * own subtrees; an orphan keeps its source depth when it had one (>= 1), else 1.
 * Duplicate ids: the first occurrence wins. Input is not mutated.
 */
export function orderComments(comments: readonly Comment[]): Comment[] {
  const byId = new Map<string, Comment>();
  for (const c of comments) if (!byId.has(c.name)) byId.set(c.name, c);
  const children = new Map<string, Comment[]>();
  const roots: Comment[] = [];
  const orphans: Comment[] = [];
  for (const c of byId.values()) {
    if (c.parent_id.startsWith("t3_")) roots.push(c);
    else if (byId.has(c.parent_id) && c.parent_id !== c.name) {
      const list = children.get(c.parent_id);
      if (list) list.push(c);
      else children.set(c.parent_id, [c]);
    } else orphans.push(c);
  }
  const cmp = (a: Comment, b: Comment) =>
    b.score - a.score || a.created_utc - b.created_utc || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const out: Comment[] = [];
  const seen = new Set<string>();
  const walk = (level: Comment[], depthOf: (c: Comment) => number) => {
    let current = level.map((c) => ({ ...c, depth: depthOf(c) }));
    while (current.length > 0) {
      const next: Comment[] = [];
      for (const c of current) {
        if (seen.has(c.name)) continue;
        seen.add(c.name);
        out.push(c);
        const kids = [...(children.get(c.name) ?? [])].sort(cmp);
        for (const k of kids) next.push({ ...k, depth: c.depth + 1 });
      }
      current = next;
    }
  };
  walk([...roots].sort(cmp), () => 0);
  orphans.sort(cmp);
  for (const o of orphans) walk([o], (c) => Math.max(c.depth, 1));
  // Cycles (a -> b -> a) are unreachable from any root: append them as orphans too.
  for (const c of byId.values()) if (!seen.has(c.name)) walk([c], (x) => Math.max(x.depth, 1));
  return out;
}
