/**
 * The TypeScript half of scripts/fixtures/ragas_fixtures.py: rebuilds the fixture rows from
 * ../shared/data/wanderchat (the fixtures keep only specs and sha256: the shared data must not be copied
 * into the project) and reproduces the script's deterministic fake LLM, so parity.test.ts can serve
 * exactly the replies ragas got. Each function mirrors the Python function of the same name; every
 * text is checked against the recorded sha256, so a drift in this port fails loudly, never silently.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "csv-parse/sync";

const HERE = dirname(fileURLToPath(import.meta.url));
export const DATA_DIR = resolve(HERE, "../../../../../shared/data/wanderchat");
export const HAVE_DATA = existsSync(DATA_DIR);

export function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

// ------------------------------------------------------------------------------------------- rows

export interface FixtureRow {
  id: string;
  question: string;
  response: string;
  contexts: string[] | null;
  reference: string;
}

interface RowSpec {
  id: string;
  kind: "raft" | "thread" | "golden" | "edge";
  index: number;
  column?: string;
  response?: string;
  reference?: string | null;
  sha256: { question: string; response: string; reference: string; contexts: string[] | null };
}

/** Python `str.strip()` (close enough for this data; the sha256 checks catch any difference). */
const strip = (s: string) => s.trim();

function readCsv(name: string): Array<Record<string, string>> {
  // Python: open(encoding="utf-8", errors="replace", newline="") + csv.DictReader
  const text = new TextDecoder("utf-8").decode(readFileSync(join(DATA_DIR, name)));
  return parse(text, { columns: true, relax_column_count: true }) as Array<Record<string, string>>;
}

/** Python `chunks`: greedy word packing to <= size code points, first `limit` chunks. */
export function chunks(text: string, size = 450, limit = 4): string[] {
  const out: string[] = [];
  let cur = "";
  let curLen = 0;
  for (const w of text.split(/\s+/).filter((x) => x !== "")) {
    const wl = [...w].length;
    if (cur && curLen + 1 + wl > size) {
      out.push(cur);
      cur = w;
      curLen = wl;
    } else if (cur) {
      cur = `${cur} ${w}`;
      curLen += 1 + wl;
    } else {
      cur = w;
      curLen = wl;
    }
  }
  if (cur) out.push(cur);
  return out.slice(0, limit);
}

interface RaftRecord {
  id: string;
  question: string;
  cot_answer: string;
  context: { sentences: string[][] };
}

function raftTexts(r: RaftRecord): Omit<FixtureRow, "id"> {
  const cot = r.cot_answer.replaceAll("##begin_quote##", "").replaceAll("##end_quote##", "");
  const at = cot.indexOf("<ANSWER>:");
  return {
    question: r.question,
    response: strip(cot.replaceAll("<ANSWER>:", "Answer:")),
    contexts: r.context.sentences[0]!,
    reference: strip(cot.slice(at + "<ANSWER>:".length)),
  };
}

/** Rebuilds rows.json's rows; throws naming the row and field whose text differs from the fixture script's. */
export function loadRows(specs: RowSpec[]): FixtureRow[] {
  const raft = readFileSync(join(DATA_DIR, "raft_reddit_openai_cot.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as RaftRecord);
  const threads = readCsv("golden_reddit_threads.csv");
  const golden = readCsv("golden_answers.csv");
  const outputs = readCsv("golden_model_outputs.csv");
  return specs.map((s) => {
    let t: Omit<FixtureRow, "id">;
    if (s.kind === "raft") t = raftTexts(raft[s.index]!);
    else if (s.kind === "thread") {
      const r = threads[s.index]!;
      const cc = chunks(r.comments!, 450, 6);
      const extractive = [...cc.slice(1, 2), ...cc.slice(4, 5)].join(" ");
      t = {
        question: strip(`${r.title}\n${r.selftext}`),
        response: s.index % 2 === 0 || !extractive ? strip(r["GPT SUMMARY"]!) : extractive,
        contexts: cc.slice(0, 4),
        reference: strip(r["Golden Answer - SM"]!),
      };
    } else if (s.kind === "golden") {
      t = {
        question: strip(golden[s.index]!["Golden Question"]!),
        response: strip(outputs[s.index]![s.column!]!),
        contexts: null,
        reference: strip(golden[s.index]!["Golden Answer"]!),
      };
    } else {
      const base = raftTexts(raft[s.index]!);
      t = { ...base, response: s.response!, reference: s.reference ?? base.reference };
    }
    const check = (field: string, text: string, want: string) => {
      if (sha256(text) !== want)
        throw new Error(`rows.json ${s.id}: ${field} rebuilt from ../shared/data differs from the fixture script's`);
    };
    check("question", t.question, s.sha256.question);
    check("response", t.response, s.sha256.response);
    check("reference", t.reference, s.sha256.reference);
    if (
      (t.contexts === null) !== (s.sha256.contexts === null) ||
      (t.contexts?.length ?? 0) !== (s.sha256.contexts?.length ?? 0)
    )
      throw new Error(`rows.json ${s.id}: contexts count differs`);
    for (const [i, c] of (t.contexts ?? []).entries()) check(`contexts[${i}]`, c, s.sha256.contexts![i]!);
    return { id: s.id, ...t };
  });
}

// ------------------------------------------------------------------------------------------- fake LLM

const STOP = new Set(
  `a an the and or but if then than so of to in on at by for with from into onto over under about as is are
    was were be been being am do does did done have has had having i me my mine we us our you your yours he him
    his she her hers it its they them their theirs this that these those there here what which who whom whose
    when where why how all any both each few more most other some such no nor not only own same too very can
    will would should could may might must just also get got like one up out off down again further once s t
    don doesn didn isn aren wasn weren won wouldn shouldn couldn ll re ve d m o y im ive youre dont`
    .split(/\s+/)
    .filter(Boolean),
);
const HEDGES = [
  "not sure",
  "don't know",
  "do not know",
  "unsure",
  "i think",
  "maybe",
  "it depends",
  "hard to say",
  "no idea",
];
const PROMPT_TAIL = "\n-----------------------------\n\nNow perform the same with the following input\n";

const words = (text: string) => text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
const content = (text: string) => words(text).filter((w) => !STOP.has(w) && w.length > 1);
const intersect = (a: Set<string>, b: Set<string>) => new Set([...a].filter((x) => b.has(x)));

function overlap(a: string, b: Set<string>): number {
  const c = new Set(content(a));
  return c.size ? intersect(c, b).size / c.size : 0;
}

function sentences(text: string, minWords: number): string[] {
  const out: string[] = [];
  for (const part of text.split(/(?<=[.!?])\s+|\n+/)) {
    const p = strip(part.replace(/^[\s\-*#>\d.)]+/, "").replaceAll("**", ""));
    if (words(p).length >= minWords) out.push(p);
  }
  return out.slice(0, 12);
}

function parseInput(prompt: string): Record<string, unknown> {
  const i = prompt.lastIndexOf(`${PROMPT_TAIL}input: `);
  const body = prompt.slice(i + PROMPT_TAIL.length + "input: ".length);
  return JSON.parse(body.slice(0, -"\nOutput: ".length)) as Record<string, unknown>;
}

const FIX_INSTRUCTION = "The output string did not satisfy the constraints given in the prompt.";
const PROSE = "Sorry, I cannot give that in the requested format; here is my answer in plain words instead.";

/** Python `fake_reply`: the reply objects (n of them for the question generation). */
function fakeReply(prompt: string, n: number): object[] {
  const d = parseInput(prompt) as {
    answer: string & string[];
    context: string;
    statements: string[];
    response: string;
    ground_truth: string[];
    prompt_value: string;
  };
  if (prompt.startsWith(FIX_INSTRUCTION)) return [{ text: pyDumps(fakeReply(d.prompt_value, 1)[0]) }];
  if (prompt.startsWith("Given a question and an answer, analyze the complexity"))
    return [{ statements: sentences(d.answer, 3) }];
  if (prompt.startsWith("Your task is to judge the faithfulness")) {
    const ctx = new Set(content(d.context));
    return [
      {
        statements: d.statements.map((s) => {
          const c = new Set(content(s));
          return {
            statement: s,
            reason: `${intersect(c, ctx).size} of ${c.size} content words of the statement appear in the context.`,
            verdict: overlap(s, ctx) >= 0.5 ? 1 : 0,
          };
        }),
      },
    ];
  }
  if (prompt.startsWith("Generate a question for the given answer")) {
    const answer = d.response;
    const u = [...new Set(content(answer))];
    const w = u.length ? u : ["this"];
    const lower = answer.toLowerCase();
    const h = HEDGES.reduce((a, x) => a + lower.split(x).length - 1, 0);
    const or = (a: string[], b: string[]) => (a.length ? a : b);
    const forms = [
      () => `What is ${w.slice(0, 5).join(" ")}?`,
      () => `How does ${or(w.slice(2, 8), w.slice(0, 3)).join(" ")} work?`,
      () => `Why ${or(w.slice(4, 9), w.slice(0, 2)).join(" ")}?`,
    ];
    return Array.from({ length: n }, (_, k) => ({ question: forms[k % 3]!(), noncommittal: k < h ? 1 : 0 }));
  }
  if (prompt.startsWith("Given question, answer and context verify if the context was useful")) {
    const ref = new Set(content(d.answer));
    const ctx = new Set(content(d.context));
    const shared = intersect(ref, ctx);
    const useful = ref.size > 0 && shared.size / Math.min(ref.size, ctx.size || 1) >= 0.3;
    return [
      {
        reason: `The context shares ${shared.size} content words with the answer${useful ? ", which supports it." : ", not enough to arrive at it."}`,
        verdict: useful ? 1 : 0,
      },
    ];
  }
  if (prompt.startsWith("Given a context, and an answer, analyze each sentence")) {
    const ctx = new Set(content(d.context));
    return [
      {
        classifications: sentences(d.answer, 1).map((s) => {
          const ok = overlap(s, ctx) >= 0.5;
          return {
            statement: s,
            reason: ok ? "The context contains this information." : "Not found in the context.",
            attributed: ok ? 1 : 0,
          };
        }),
      },
    ];
  }
  if (prompt.startsWith("Given a ground truth and an answer statements")) {
    const gt = new Set(content(d.ground_truth.join(" ")));
    const ans = new Set(content(d.answer.join(" ")));
    const tp = d.answer.filter((s) => overlap(s, gt) >= 0.5);
    const fp = d.answer.filter((s) => overlap(s, gt) < 0.5);
    const fn = d.ground_truth.filter((s) => overlap(s, ans) < 0.5);
    return [
      {
        TP: tp.map((s) => ({ statement: s, reason: "Supported by the ground truth." })),
        FP: fp.map((s) => ({ statement: s, reason: "Not supported by the ground truth." })),
        FN: fn.map((s) => ({ statement: s, reason: "Missing from the answer." })),
      },
    ];
  }
  throw new Error(`unknown prompt: ${prompt.slice(0, 80)}`);
}

/** Python `json.dumps(v, ensure_ascii=False)` for strings, integers, lists and dicts (", " and ": "). */
function pyDumps(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(pyDumps).join(", ")}]`;
  if (v !== null && typeof v === "object")
    return `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}: ${pyDumps(x)}`)
      .join(", ")}}`;
  return JSON.stringify(v);
}

/** Python `render`. */
function render(obj: object, counter: number): string {
  const style = counter % 7;
  if (style === 6) return pyDumps(obj).slice(0, -1);
  if (style % 3 === 0) return pyDumps(obj);
  if (style % 3 === 1) return `\`\`\`json\n${JSON.stringify(obj, null, 2)}\n\`\`\``;
  return `Here is the output in the requested JSON format:\n${pyDumps(obj)}`;
}

/** A row's fault (Python `FAULTS`): which chat call gets a prose reply, and how the fix calls are answered. */
export interface Fault {
  kind: "fix" | "fix-fenced" | "fix-lead-in" | "fix-twice" | "unfixable";
  call: number;
}

/**
 * Python `fake_replies`: the fake LLM's replies to `prompt` (n samples), starting at reply number `counter`
 * of the metric run; `chatIndex`: the call's number among the row's chat calls; `fixIndex`: its number
 * among the row's FixOutputFormat calls (-1: not one).
 */
export function fakeReplies(
  prompt: string,
  n: number,
  counter: number,
  fault: Fault | null = null,
  chatIndex = 0,
  fixIndex = -1,
): string[] {
  const out = fakeReply(prompt, n).map((o, k) => render(o, counter + k));
  if (fault === null) return out;
  if (fixIndex < 0) {
    if (chatIndex === fault.call) out[0] = PROSE;
    return out;
  }
  if (fault.kind === "unfixable" || (fault.kind === "fix-twice" && fixIndex === 0)) return [PROSE];
  if (fault.kind === "fix-fenced" || fault.kind === "fix-lead-in") {
    const inner = fakeReply((parseInput(prompt) as { prompt_value: string }).prompt_value, 1)[0]!;
    const text =
      fault.kind === "fix-fenced"
        ? `\`\`\`json\n${JSON.stringify(inner, null, 2)}\n\`\`\``
        : `Here is the corrected output:\n${pyDumps(inner)}`;
    return [render({ text }, counter)];
  }
  return out;
}
