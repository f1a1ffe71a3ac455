import { existsSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { z } from "zod";
import { ConfigError } from "../../errors/config-error.ts";
import { InputError } from "../../errors/input-error.ts";
import { agreementByCriterion, type CriterionAgreement } from "../../evaluation/human/summary.ts";
import {
  type CreatedRatingTasks,
  createRatingTasks,
  DEFAULT_CRITERIA,
  exportPairChoices,
  type GoldItemInput,
  type HumanPreferenceExport,
  preferencePairsWithCounts,
  type RaterAttention,
  type RatingItemInput,
  raterAttention,
  ratingsAsJudgments,
} from "../../evaluation/human/tasks.ts";
import { Store } from "../../store/store.ts";
import type { CliContext, CommandDefinition } from "../context.ts";
import { DEFAULT_STORE } from "./serve.ts";

/** Options of `wayfarer human create`. */
export interface HumanCreateOptions {
  experiment: string;
  raters: string[];
  /** JSONL of `{variant, item_id, question, answer, golden?}`; default: the experiment's generations in the store. */
  items?: string;
  criteria?: string[];
  perItem?: number;
  seed?: number;
  showGolden?: boolean;
  pairwise?: boolean;
  /** JSONL of gold / attention items `{question, answer, expected: {criterion: score}, tolerance?, golden?}`. */
  gold?: string;
  store?: string;
  /** Prefix for printed links, e.g. http://192.168.1.5:8080 */
  baseUrl?: string;
}

const itemSchema = z.object({
  variant: z.string().min(1),
  item_id: z.union([z.string().min(1), z.number()]).transform(String),
  question: z.string(),
  answer: z.string(),
  golden: z.string().optional(),
});

const goldSchema = z.object({
  question: z.string(),
  answer: z.string(),
  golden: z.string().optional(),
  expected: z.record(z.string(), z.number().min(1).max(5)),
  tolerance: z.number().min(0).optional(),
});

function readGold(file: string, text: string): GoldItemInput[] {
  return parseJsonl(file, text, goldSchema).map(({ golden, tolerance, ...rest }) => ({
    ...rest,
    ...(golden === undefined ? {} : { golden }),
    ...(tolerance === undefined ? {} : { tolerance }),
  }));
}

function parseJsonl<S extends z.ZodTypeAny>(file: string, text: string, schema: S): Array<z.output<S>> {
  const out: Array<z.output<S>> = [];
  text.split("\n").forEach((raw, i) => {
    if (!raw.trim()) return;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch (cause) {
      throw new InputError({ file, line: i + 1 }, `not valid JSON (${(cause as Error).message})`, { cause });
    }
    const p = schema.safeParse(v);
    if (!p.success) {
      const issue = p.error.issues[0]!;
      throw new InputError({ file, line: i + 1, field: issue.path.join(".") }, issue.message);
    }
    out.push(p.data);
  });
  return out;
}

async function readText(cwd: string, name: string): Promise<string> {
  const { readFileSync } = await import("node:fs");
  try {
    return readFileSync(resolve(cwd, name), "utf8");
  } catch (cause) {
    throw new InputError({ file: name }, `cannot read the file (${(cause as Error).message})`, { cause });
  }
}

function readItems(file: string, text: string): RatingItemInput[] {
  return parseJsonl(file, text, itemSchema).map(({ golden, ...rest }) =>
    golden === undefined ? rest : { ...rest, golden },
  );
}

/** Creates rating tasks and prints each rater's link. */
export async function runHumanCreate(opts: HumanCreateOptions, ctx: CliContext): Promise<CreatedRatingTasks> {
  using store = Store.open(resolve(ctx.cwd, opts.store ?? DEFAULT_STORE));
  let items: RatingItemInput[];
  if (opts.items) {
    const file = resolve(ctx.cwd, opts.items);
    const { readFileSync } = await import("node:fs");
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (cause) {
      throw new InputError({ file: opts.items }, `cannot read the file (${(cause as Error).message})`, { cause });
    }
    items = readItems(opts.items, text);
  } else {
    items = store.db
      .prepare(
        "SELECT variant, item_id, question, answer FROM generations WHERE experiment = ? AND id IN (SELECT MAX(id) FROM generations WHERE experiment = ? GROUP BY variant, item_id) ORDER BY item_id, variant",
      )
      .all(opts.experiment, opts.experiment) as RatingItemInput[];
    if (items.length === 0)
      throw new ConfigError(
        `experiment "${opts.experiment}" has no generations in the store; run generate first or pass --items FILE`,
      );
  }
  const gold = opts.gold ? readGold(opts.gold, await readText(ctx.cwd, opts.gold)) : [];
  const created = createRatingTasks(store, {
    experiment: opts.experiment,
    items,
    raters: opts.raters,
    criteria: opts.criteria ?? [...DEFAULT_CRITERIA],
    raterPerItem: opts.perItem ?? 2,
    seed: opts.seed ?? 1,
    showGolden: opts.showGolden ?? false,
    pairwise: opts.pairwise ?? false,
    ...(gold.length > 0 ? { gold } : {}),
  });
  const base = (opts.baseUrl ?? "http://127.0.0.1:8080").replace(/\/$/, "");
  const goldNote = created.gold ? ` (+ ${created.gold} gold items for every rater)` : "";
  ctx.out(
    `${created.tasks} tasks${goldNote}, ${created.assignments} assignments. Personal links (keep them private):\n`,
  );
  for (const r of [...created.raters, created.admin])
    ctx.out(`  ${r.name}${r.role === "admin" ? " (admin)" : ` (${r.tasks} tasks)`}: ${base}${r.link}\n`);
  return created;
}

/** What `wayfarer human export --what` writes, and how its rows are named in the summary line. */
const EXPORTS = {
  judgments: "ratings",
  preferences: "preference pairs",
  choices: "pairwise choices",
} as const;
type ExportKind = keyof typeof EXPORTS;

/**
 * Writes ratings as judgments JSONL (for `wayfarer meta --human`), pairwise choices as preference pairs
 * (prompt/chosen/rejected, for DPO; ties and pairs whose chosen text equals the rejected one are left out
 * and counted on stderr), or pairwise choices with ties (for `wayfarer meta --human-pairwise`). Returns the
 * number of rows written.
 */
export function runHumanExport(
  opts: { experiment: string; what: ExportKind; out: string; store?: string },
  ctx: CliContext,
): number {
  using store = openExistingStore(ctx, opts.store);
  requireRatingTasks(store, opts.store ?? DEFAULT_STORE, opts.experiment);
  const prefs: HumanPreferenceExport | undefined =
    opts.what === "preferences" ? preferencePairsWithCounts(store, opts.experiment) : undefined;
  const rows =
    opts.what === "judgments"
      ? ratingsAsJudgments(store, opts.experiment).map((j) => ({
          input_id: j.inputId,
          system_id: j.systemId,
          rater_id: j.raterId,
          criterion: j.criterion,
          score: j.score,
        }))
      : prefs
        ? prefs.pairs
        : exportPairChoices(store, opts.experiment);
  try {
    writeFileSync(resolve(ctx.cwd, opts.out), rows.map((r) => `${JSON.stringify(r)}\n`).join(""));
  } catch (cause) {
    throw new InputError({ file: opts.out }, `cannot write the file (${(cause as Error).message})`, { cause });
  }
  const left: string[] = [];
  if (prefs && prefs.ties > 0) left.push(`${prefs.ties} tie${prefs.ties === 1 ? "" : "s"} (a tie is no preference)`);
  if (prefs && prefs.identical > 0)
    left.push(
      `${prefs.identical} pair${prefs.identical === 1 ? "" : "s"} whose chosen and rejected answers are the same text (nothing to learn)`,
    );
  ctx.err(
    `${rows.length} ${EXPORTS[opts.what]} written to ${opts.out}${left.length ? `; left out: ${left.join(", ")}` : ""}\n`,
  );
  return rows.length;
}

/**
 * Opens a store that must already exist (export and agreement only read it): a mistyped --store
 * would otherwise create an empty store and export nothing without a word.
 */
function openExistingStore(ctx: CliContext, store: string | undefined): Store {
  const name = store ?? DEFAULT_STORE;
  const path = resolve(ctx.cwd, name);
  if (!existsSync(path))
    throw new InputError(
      { file: name },
      "no such store; create rating tasks first with `wayfarer human create` (or give the store with --store)",
    );
  return Store.open(path);
}

/** ConfigError naming the experiments that do have rating tasks, when `experiment` has none. */
function requireRatingTasks(store: Store, storeName: string, experiment: string): void {
  const has = store.db.prepare("SELECT 1 FROM rating_tasks WHERE experiment = ? LIMIT 1").get(experiment);
  if (has) return;
  const known = (
    store.db.prepare("SELECT DISTINCT experiment FROM rating_tasks ORDER BY experiment").all() as {
      experiment: string;
    }[]
  ).map((r) => r.experiment);
  throw new ConfigError(
    `--experiment ${experiment}: no rating tasks for this experiment in ${storeName} (experiments with rating tasks: ${known.join(", ") || "none"})`,
  );
}

/** Prints inter-rater agreement per criterion. */
export function runHumanAgreement(
  opts: { experiment: string; store?: string; json?: boolean },
  ctx: CliContext,
): CriterionAgreement[] {
  using store = openExistingStore(ctx, opts.store);
  requireRatingTasks(store, opts.store ?? DEFAULT_STORE, opts.experiment);
  const result = agreementByCriterion(ratingsAsJudgments(store, opts.experiment));
  const attention = raterAttention(store, opts.experiment);
  if (opts.json) ctx.out(`${JSON.stringify(result, null, 2)}\n`);
  else {
    const f = (v: number | null) => (v === null ? "n/a" : v.toFixed(3));
    if (result.length === 0) ctx.out("no ratings yet\n");
    for (const r of result) {
      ctx.out(
        `${r.criterion}: alpha ordinal ${f(r.alphaOrdinal)}, interval ${f(r.alphaInterval)}, Cohen quadratic ${f(r.cohenQuadratic)}, Fleiss ${f(r.fleiss)} (${r.itemsWithTwoRatings}/${r.items} items rated twice, ${r.raters} raters)${r.note ? ` — ${r.note}` : ""}\n`,
      );
    }
    if (attention.length > 0) ctx.out(formatAttention(attention));
  }
  return result;
}

/** Text table of the per-rater attention (gold item) summary. */
export function formatAttention(rows: readonly RaterAttention[]): string {
  let out = "attention (gold items, excluded from agreement and exports):\n";
  for (const a of rows) {
    const rate = a.passRate === null ? "n/a" : `${(a.passRate * 100).toFixed(0)}%`;
    out += `  ${a.rater}: ${a.passed}/${a.goldRated} passed (${rate}), ${a.goldRated}/${a.goldAssigned} gold items rated\n`;
  }
  return out;
}

const list = (v: string, prev: string[] | undefined) => [
  ...(prev ?? []),
  ...v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean),
];
const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${name} ${v}: expected a whole number`);
  return n;
};

export const humanCommand: CommandDefinition = {
  name: "human",
  register(program: Command, ctx: CliContext) {
    const human = program.command("human").description("Human evaluation: rating tasks, agreement, exports");
    human
      .command("create")
      .description("Create blind, randomised rating tasks and print each rater's link")
      .requiredOption("--experiment <name>", "experiment name")
      .requiredOption("--raters <names>", "rater names (comma-separated or repeated)", list)
      .option(
        "--items <file>",
        "JSONL {variant, item_id, question, answer, golden?} (default: generations in the store)",
      )
      .option("--criteria <names>", `Likert criteria (default ${DEFAULT_CRITERIA.join(",")})`, list)
      .option("--per-item <n>", "raters per item (≥ 2, default 2)", int("--per-item"))
      .option("--seed <n>", "assignment seed (default 1)", int("--seed"))
      .option("--show-golden", "show the golden answer to raters")
      .option("--pairwise", "also ask pairwise preferences between variants")
      .option(
        "--gold <file>",
        "JSONL gold / attention items {question, answer, expected: {criterion: score}, tolerance? (default 1)}, given to every rater",
      )
      .option("--store <file>", `store file (default ${DEFAULT_STORE})`)
      .option("--base-url <url>", "server URL for the printed links (default http://127.0.0.1:8080)")
      .action(async (o: HumanCreateOptions) => {
        await runHumanCreate(o, ctx);
      });
    human
      .command("export")
      .description(
        "Export ratings as judgments JSONL (for `wayfarer meta --human`), pairwise choices as preference pairs " +
          "(for DPO), or pairwise choices with ties (for `wayfarer meta --human-pairwise`)",
      )
      .requiredOption("--experiment <name>", "experiment name")
      .requiredOption("--what <kind>", "judgments | preferences | choices")
      .requiredOption("--out <file>", "output JSONL")
      .option("--store <file>", `store file (default ${DEFAULT_STORE})`)
      .action((o: { experiment: string; what: string; out: string; store?: string }) => {
        if (!Object.hasOwn(EXPORTS, o.what))
          throw new ConfigError(`--what ${o.what}: use ${Object.keys(EXPORTS).join(", ")}`);
        runHumanExport({ ...o, what: o.what as ExportKind }, ctx);
      });
    human
      .command("agreement")
      .description("Inter-rater agreement per criterion (Krippendorff's alpha, Cohen's and Fleiss' kappa)")
      .requiredOption("--experiment <name>", "experiment name")
      .option("--store <file>", `store file (default ${DEFAULT_STORE})`)
      .option("--json", "print JSON")
      .action((o: { experiment: string; store?: string; json?: boolean }) => {
        runHumanAgreement(o, ctx);
      });
  },
};
