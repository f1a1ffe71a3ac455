/**
 * The RAFT recipe (Zhang et al. 2024, "RAFT: Adapting Language Model to Domain Specific RAG"; gorilla
 * `raft/raft.py`), on the documents of the retrieval index:
 *
 * 1. For each document (the oracle), the teacher writes `questionsPerChunk` questions (raft.py's
 *    `generate_instructions_gen` prompt).
 * 2. For each question, the teacher writes a chain-of-thought answer from the oracle alone, quoting it between
 *    `##begin_quote##` and `##end_quote##` and ending with `<ANSWER>:` (raft.py's `generate_label` prompt).
 * 3. Each answer is validated (raft-check.ts): markers balanced, every quote found in the oracle, exactly one
 *    `<ANSWER>:` with an answer, and (default) at least one quote. Failures are counted by reason and, by
 *    default, dropped.
 * 4. The context: with probability P the oracle plus `distractors` documents, otherwise `distractors + 1`
 *    documents without it (raft.py), shuffled. Distractors come from other threads: drawn at random, or the
 *    index's best-ranked documents for the question (hard negatives).
 *
 * Determinism: every random draw comes from its own stream seeded by (seed, purpose, example id), so the same
 * settings give byte-identical records, and changing P changes only which contexts carry the oracle (the
 * distractor draws, the shuffles of unchanged contexts and every teacher call stay the same).
 *
 * Records keep raft.py's fields (id, type, question, context {title, sentences}, oracle_context, cot_answer,
 * instruction; context as raft.py nests it: one list of titles, one list of documents) and add TRL's
 * `messages` and `prompt`/`completion`, plus provenance (oracle_id, document_ids, oracle_in_context, failures).
 */
import { createHash } from "node:crypto";
import type { RaftDatasetConfig } from "../config/raft.ts";
import type { ChatMessage } from "../models/generator.ts";
import type { ChunkDocument, RetrievalIndex } from "../retrieval/index.ts";
import { checkCotAnswer, type RaftFailure } from "./raft-check.ts";
import type { Teacher, TeacherUsage } from "./teacher.ts";

/** One RAFT example (a JSONL line). */
export interface RaftRecord {
  /** `raft:<oracle document id>:q<n>`. */
  id: string;
  /** raft.py's type for documents that are not API docs. */
  type: "general";
  question: string;
  /** raft.py's shape: `title: [[title per document]]`, `sentences: [[document text...]]`, in context order. */
  context: { title: string[][]; sentences: string[][] };
  oracle_context: string;
  cot_answer: string;
  /** `<DOCUMENT>doc</DOCUMENT>\n` per context document, then the question (raft.py). */
  instruction: string;
  /** TRL conversational: system, user = instruction, assistant = cot_answer. */
  messages: ChatMessage[];
  /** TRL prompt-completion: prompt = instruction, completion = cot_answer. */
  prompt: string;
  completion: string;
  oracle_id: string;
  document_ids: string[];
  oracle_in_context: boolean;
  /** Validation failures of `cot_answer` (empty when valid; non-empty only with dropInvalid: false). */
  failures: RaftFailure[];
}

/** What the recipe did, for the dataset card. */
export interface RaftCounts {
  /** Documents in the index. */
  documents: number;
  /** Of those, long enough to be an oracle (minChunkTokens). */
  oracleCandidates: number;
  /** Oracle documents asked about (after maxChunks). */
  chunksUsed: number;
  questionReplies: { ok: number; teacherError: number; noQuestions: number };
  /** Questions parsed from the replies (at most questionsPerChunk per document). */
  questions: number;
  answers: {
    teacherError: number;
    valid: number;
    invalid: number;
    /** By reason (an answer may fail several ways). */
    failures: Partial<Record<RaftFailure, number>>;
  };
  /** Records written. */
  examples: number;
  /** Examples dropped because the answer failed validation or the teacher failed. */
  dropped: number;
  /**
   * The dropped examples, each counted once under its first reason (order of RAFT_FAILURES, teacher errors
   * first): the values sum to `dropped`, unlike `answers.failures` where an answer counts under every reason.
   */
  droppedBy: Partial<Record<RaftFailure | "teacher-error", number>>;
  /** Written examples whose context carries the oracle (about P of them). */
  oracleInContext: number;
  /** Written examples with at least one quote. */
  withQuote: number;
  /** Examples that got fewer distractors than asked (too few documents of other threads). */
  shortContexts: number;
  settings: RaftDatasetConfig;
  teacher: { signature: string; usage: TeacherUsage };
}

/** Options of {@link buildRaftDataset}. */
export interface BuildRaftOptions {
  /** The retrieval index: its documents are the oracles and distractors; `search` gives hard negatives. */
  index: Pick<RetrievalIndex, "documents" | "search">;
  teacher: Teacher;
  settings: RaftDatasetConfig;
  /** Experiment seed. */
  seed: number;
  /** System turn of `messages` (the experiment's system prompt). */
  systemPrompt: string;
  /** (phase, done, total) for "questions" and "answers". */
  onProgress?: (phase: "questions" | "answers", done: number, total: number) => void;
}

/** raft.py's question-generation system prompt, with a travel example instead of the Wikipedia one. */
export function questionMessages(chunk: string, n: number): ChatMessage[] {
  return [
    {
      role: "system",
      content: `You are a synthetic question-answer pair generator. Given a chunk of context about some topic(s), generate ${n} example questions a user could ask and would be answered using information from the chunk. For example, if the given context was a traveller's comment about getting from Lisbon airport to the city, an example question could be 'How long does the metro from Lisbon airport to the city centre take?'`,
    },
    {
      role: "user",
      content: `<DOCUMENT>${chunk}</DOCUMENT>\nThe questions should be able to be answered in a few words or less. Include only the questions in your response, one per line.`,
    },
  ];
}

/** raft.py's chain-of-thought answer prompt (generate_label), on the oracle document only. */
export function answerMessages(question: string, chunk: string): ChatMessage[] {
  return [
    {
      role: "system",
      content: "You are a helpful question answerer who can provide an answer given a question and relevant context.",
    },
    {
      role: "user",
      content: `Question: ${question}\nContext: ${chunk}\n
Answer this question using the information given in the context above. Here is things to pay attention to:
- First provide step-by-step reasoning on how to answer the question.
- In the reasoning, if you need to copy paste some sentences from the context, include them in ##begin_quote## and ##end_quote##. This would mean that things outside of ##begin_quote## and ##end_quote## are not directly copy paste from the context.
- End your response with final answer in the form <ANSWER>: $answer, the answer should be succinct.
You MUST begin your final answer with the tag "<ANSWER>:".`,
    },
  ];
}

/**
 * Questions in a teacher reply: one per line, list bullets and numbering removed, wrapping quotes removed,
 * case-insensitive duplicates dropped; when some lines end with "?", only those. At most `n`.
 */
export function parseQuestions(reply: string, n: number): string[] {
  const lines = reply
    .split(/\r?\n/)
    .map((l) =>
      l
        .trim()
        .replace(/^(?:[-*•]+|\(?\d{1,2}[.):]|Q(?:uestion)?\s*\d*\s*[:.)])\s*/i, "")
        .replace(/^["'“]+|["'”]+$/g, "")
        .trim(),
    )
    .filter((l) => l.length >= 8 && /\p{L}/u.test(l));
  const asked = lines.filter((l) => l.endsWith("?"));
  const out: string[] = [];
  const seen = new Set<string>();
  for (const q of asked.length > 0 ? asked : lines) {
    const k = q.toLowerCase();
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(q);
    if (out.length >= n) break;
  }
  return out;
}

/** A uniform [0, 1) stream (mulberry32) seeded by sha256 of its parts. */
export function seededRandom(...parts: (string | number)[]): () => number {
  let a = createHash("sha256").update(parts.join("\u0000")).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: readonly T[], rand: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** `count` distinct documents of other threads than `oracle`, drawn uniformly. */
function randomDistractors(
  all: readonly ChunkDocument[],
  oracle: ChunkDocument,
  count: number,
  rand: () => number,
): ChunkDocument[] {
  const out: ChunkDocument[] = [];
  const taken = new Set<number>();
  const eligible = all.filter((d) => d.source.threadId !== oracle.source.threadId).length;
  const want = Math.min(count, eligible);
  while (out.length < want) {
    const i = Math.floor(rand() * all.length);
    const d = all[i]!;
    if (taken.has(i) || d.source.threadId === oracle.source.threadId) continue;
    taken.add(i);
    out.push(d);
  }
  return out;
}

const bump = <K extends string>(m: Partial<Record<K, number>>, k: K) => {
  m[k] = (m[k] ?? 0) + 1;
};

/**
 * Builds the RAFT set (see the module doc). Teacher failures and answers that break the format are counted,
 * never thrown.
 * @returns records in document order (then question order), and the counts for the card.
 * @throws ConfigError when the teacher's model cannot be created; the abort reason when aborted.
 */
export async function buildRaftDataset(o: BuildRaftOptions): Promise<{ records: RaftRecord[]; counts: RaftCounts }> {
  const s = o.settings;
  const all = o.index.documents;
  const candidates = all.filter((d) => d.tokens >= s.minChunkTokens);
  let oracles = candidates;
  if (s.maxChunks !== null && candidates.length > s.maxChunks) {
    const keep = new Set(
      shuffle(candidates, seededRandom(o.seed, "raft-sample"))
        .slice(0, s.maxChunks)
        .map((d) => d.id),
    );
    oracles = candidates.filter((d) => keep.has(d.id));
  }
  const counts: RaftCounts = {
    documents: all.length,
    oracleCandidates: candidates.length,
    chunksUsed: oracles.length,
    questionReplies: { ok: 0, teacherError: 0, noQuestions: 0 },
    questions: 0,
    answers: { teacherError: 0, valid: 0, invalid: 0, failures: {} },
    examples: 0,
    dropped: 0,
    droppedBy: {},
    oracleInContext: 0,
    withQuote: 0,
    shortContexts: 0,
    settings: s,
    teacher: { signature: o.teacher.signature, usage: o.teacher.usage },
  };

  const qReplies = await o.teacher.completeAll(
    oracles.map((d) => ({
      key: d.id,
      messages: questionMessages(d.text, s.questionsPerChunk),
      maxTokens: s.questionMaxTokens,
      temperature: s.temperature,
    })),
    (done, total) => o.onProgress?.("questions", done, total),
  );
  const asks: { oracle: ChunkDocument; n: number; question: string; key: string }[] = [];
  for (const d of oracles) {
    const r = qReplies.get(d.id)!;
    if (r.text === null) {
      counts.questionReplies.teacherError++;
      continue;
    }
    const qs = parseQuestions(r.text, s.questionsPerChunk);
    if (qs.length === 0) {
      counts.questionReplies.noQuestions++;
      continue;
    }
    counts.questionReplies.ok++;
    qs.forEach((question, n) => {
      asks.push({ oracle: d, n, question, key: `${d.id}\u0000${n}` });
    });
  }
  counts.questions = asks.length;

  const aReplies = await o.teacher.completeAll(
    asks.map((a) => ({
      key: a.key,
      messages: answerMessages(a.question, a.oracle.text),
      maxTokens: s.answerMaxTokens,
      temperature: s.temperature,
    })),
    (done, total) => o.onProgress?.("answers", done, total),
  );

  const records: RaftRecord[] = [];
  for (const a of asks) {
    const r = aReplies.get(a.key)!;
    if (r.text === null) {
      counts.answers.teacherError++;
      counts.dropped++;
      bump(counts.droppedBy, "teacher-error");
      continue;
    }
    const cot = r.text.trim();
    const check = checkCotAnswer(cot, a.oracle.text, { mode: s.quoteMode, requireQuote: s.requireQuote });
    for (const f of check.failures) bump(counts.answers.failures, f);
    if (check.failures.length > 0) {
      counts.answers.invalid++;
      if (s.dropInvalid) {
        counts.dropped++;
        bump(counts.droppedBy, check.failures[0]!);
        continue;
      }
    } else counts.answers.valid++;

    const id = `raft:${a.oracle.id}:q${a.n}`;
    const withOracle = seededRandom(o.seed, "raft-oracle", id)() < s.oracleProbability;
    const need = s.distractors + (withOracle ? 0 : 1);
    const distractorRand = seededRandom(o.seed, "raft-distractors", id);
    let distractors: ChunkDocument[];
    if (s.distractorSource === "hard") {
      const hits = await o.index.search(a.question, { k: s.distractors + 1 + 50, mode: s.hardNegativeMode });
      const byId = new Map(all.map((d) => [d.id, d]));
      distractors = hits
        .map((h) => byId.get(h.id)!)
        .filter((d) => d !== undefined && d.source.threadId !== a.oracle.source.threadId)
        .slice(0, s.distractors + 1);
      if (distractors.length < s.distractors + 1) {
        const have = new Set(distractors.map((d) => d.id));
        const extra = randomDistractors(all, a.oracle, s.distractors + 1 + have.size, distractorRand).filter(
          (d) => !have.has(d.id),
        );
        distractors.push(...extra.slice(0, s.distractors + 1 - distractors.length));
      }
    } else distractors = randomDistractors(all, a.oracle, s.distractors + 1, distractorRand);
    // the (k+1)-th distractor takes the oracle's place when the oracle is left out; same draws either way
    const chosen = distractors.slice(0, need);
    if (chosen.length < need) counts.shortContexts++;
    const docs = shuffle(
      withOracle ? [a.oracle, ...chosen] : chosen,
      seededRandom(o.seed, "raft-shuffle", id, withOracle ? 1 : 0),
    );
    const instruction = `${docs.map((d) => `<DOCUMENT>${d.text}</DOCUMENT>\n`).join("")}${a.question}`;
    records.push({
      id,
      type: "general",
      question: a.question,
      context: { title: [docs.map((d) => d.title)], sentences: [docs.map((d) => d.text)] },
      oracle_context: a.oracle.text,
      cot_answer: cot,
      instruction,
      messages: [
        { role: "system", content: o.systemPrompt },
        { role: "user", content: instruction },
        { role: "assistant", content: cot },
      ],
      prompt: instruction,
      completion: cot,
      oracle_id: a.oracle.id,
      document_ids: docs.map((d) => d.id),
      oracle_in_context: withOracle,
      failures: check.failures,
    });
    counts.examples++;
    if (withOracle) counts.oracleInContext++;
    if (check.quotes.length > 0) counts.withQuote++;
  }
  counts.teacher = { signature: o.teacher.signature, usage: { ...o.teacher.usage } };
  return { records, counts };
}
