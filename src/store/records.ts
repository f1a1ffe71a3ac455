/**
 * The file formats of the artifacts that several layers read (stages write them, the experiment
 * runner gathers them, the report and the server show them). Types only, plus pure helpers on them.
 */

/** One row of `generate/answers.jsonl`. */
export interface AnswerRecord {
  variant: string;
  itemId: string;
  question: string;
  /** The answer after post-processing (what evaluators see). */
  answer: string;
  /** The model's text before post-processing. */
  rawAnswer: string;
  reference: string;
  latencySeconds: number;
  promptTokens: number;
  completionTokens: number;
  finishReason: string;
  modelId: string;
  /** RAG variants: the retrieved documents' texts, in the order they were put in the prompt. */
  contexts?: string[];
  /** RAG variants: the retrieved documents without their text (src/retrieval's RetrievedDocument: id, title, score, source). */
  sources?: Array<{
    id: string;
    title?: string;
    score: number;
    source: { threadId: string; commentIds: string[] };
  }>;
  /** Post-processing rules that changed this answer. */
  postprocessed?: string[];
}

/** One row of `evaluate/scores.jsonl`. */
export interface ScoreRecord {
  variant: string;
  itemId: string;
  evaluator: string;
  status: "scored" | "error" | "not-applicable";
  value: number | null;
  reason: string | null;
  signature: string;
}

/** A point of the training loss curve (from the trainer's progress events). */
export interface LossPoint {
  step: number;
  loss: number;
  epoch?: number;
}

/** `train/<adapter>/summary.json`: what ran and how it went, for the report. */
export interface TrainSummary {
  adapter: string;
  /** The training method (sft, raft, reward, dpo, rlhf). */
  trainingMethod?: string;
  /** What ran underneath: lora or qlora. */
  method: string;
  base: string;
  steps: number;
  seconds: number;
  trainLossFirst: number | null;
  trainLossLast: number | null;
  evalLossFirst: number | null;
  evalLossLast: number | null;
  trainExamples: number;
  /** Mean training loss per epoch (1-based epoch -> mean of the logged step losses in it): the trend per-step noise hides. */
  epochMeanLoss: { epoch: number; loss: number; steps: number }[];
  losses: LossPoint[];
  evalLosses: LossPoint[];
  /** Per logging step, the method's other metrics under TRL's names (rewards/margins, accuracy, reward, kl...). */
  metrics?: { step: number; metrics: Record<string, unknown> }[];
  /** rlhf: sampled completions with their reward-model scores (null = not scored). */
  samples?: unknown[];
  /** The trainer's `done` event (eval accuracy/margin, DPO metrics, RL rewards...). */
  done?: Record<string, unknown>;
  spec: unknown;
}

/** Mean logged loss per epoch (epoch = ceil of the trainer's fractional epoch; 1 when absent). */
export function epochMeans(losses: readonly LossPoint[]): { epoch: number; loss: number; steps: number }[] {
  const by = new Map<number, { sum: number; n: number }>();
  for (const l of losses) {
    const e = Math.max(1, Math.ceil((l.epoch ?? 1) - 1e-9));
    const b = by.get(e) ?? { sum: 0, n: 0 };
    b.sum += l.loss;
    b.n++;
    by.set(e, b);
  }
  return [...by.entries()].sort((a, b) => a[0] - b[0]).map(([epoch, b]) => ({ epoch, loss: b.sum / b.n, steps: b.n }));
}
