/**
 * RAG in the pipeline: a variant with `retrieval` answers from retrieved documents (a term-overlap retriever over
 * fixed travel snippets), the contexts are stored with the answer (store and answers.jsonl), and the evaluate
 * stage gives Ragas context precision a real value for it — "not applicable" only for the variant without
 * retrieval. SmolLM2-135M as model and judge; one golden question.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadExperiment } from "../../../src/config/load.ts";
import { readJsonlAll } from "../../../src/datasets/jsonl.ts";
import { SILENT_PROGRESS } from "../../../src/experiment/progress.ts";
import { runExperiment } from "../../../src/experiment/runner.ts";
import type { ScoreRecord } from "../../../src/experiment/stages/evaluate-stage.ts";
import type { AnswerRecord } from "../../../src/experiment/stages/generate-stage.ts";
import { Store } from "../../../src/store/store.ts";
import { HAS_SMOLLM2, ROOT } from "../../helpers/paths.ts";
import { TermOverlapRetriever, TRAVEL_DOCS } from "../../helpers/term-overlap-retriever.ts";

const dir = mkdtempSync(join(tmpdir(), "wf-rag-"));

describe.skipIf(!HAS_SMOLLM2)("generate with retrieval (RAG) -> Ragas context metrics", () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("stores the contexts with the answer and scores context precision for the RAG variant only", async () => {
    const file = join(dir, "rag.yaml");
    writeFileSync(
      file,
      `name: rag
workspace: ws
import:
  inputs: [{ path: ${join(ROOT, "examples/quickstart/threads")}, format: reddit-json }]
# the graph builds the experiment's index (artifact retrieval-index) for the RAG variant; BM25 only keeps it quick
retrieval: { dense: false }
datasets:
  golden: { file: ${join(ROOT, "examples/quickstart/golden.csv")}, limit: 1 }
models:
  smol: { provider: llama, path: smollm2-135m-instruct-q4_1, threads: 1, contextSize: 2048 }
generate:
  variants:
    - { name: plain, model: smol }
    - { name: rag, model: smol, retrieval: { k: 1, mode: bm25 }, postprocess: [drop-repeated-sentences] }
  maxTokens: 16
evaluate:
  evaluators: [ragas-context-precision]
  judge: { model: smol }
`,
    );
    const retriever = new TermOverlapRetriever([
      ...TRAVEL_DOCS,
      // matches any golden question (they all ask something "the" / "to" / "in")
      {
        id: "d4",
        text: "Locals say: go early in the day to the places in the guide.",
        source: { threadId: "t3_x", commentIds: [] },
      },
    ]);
    const exp = await loadExperiment(file);
    const outcomes = await runExperiment({ exp, progress: SILENT_PROGRESS, retriever: async () => retriever });
    expect(outcomes.find((o) => o.stage === "evaluate")?.status).toBe("ran");

    const answers = await readJsonlAll<AnswerRecord>(join(exp.runDir, "generate", "answers.jsonl"));
    const plain = answers.find((a) => a.variant === "plain")!;
    const rag = answers.find((a) => a.variant === "rag")!;
    expect(plain.contexts).toBeUndefined();
    expect(rag.contexts).toHaveLength(1);
    expect(retriever.queries).toContain(rag.question);
    expect(rag.sources![0]!.source.threadId.startsWith("t3_")).toBe(true);
    expect(rag.promptTokens).toBeGreaterThan(plain.promptTokens);
    {
      using store = Store.open(exp.storePath);
      const row = store.db
        .prepare("SELECT contexts_json FROM generations WHERE experiment = 'rag' AND variant = 'rag'")
        .get() as { contexts_json: string };
      expect((JSON.parse(row.contexts_json) as Array<{ text: string }>).map((d) => d.text)).toEqual(rag.contexts);
    }

    const scores = await readJsonlAll<ScoreRecord>(join(exp.runDir, "evaluate", "scores.jsonl"));
    const byVariant = Object.fromEntries(scores.map((s) => [s.variant, s]));
    expect(byVariant.plain!.status).toBe("not-applicable");
    expect(byVariant.rag!.status).toBe("scored");
    expect(byVariant.rag!.value).toBeGreaterThanOrEqual(0);
    expect(byVariant.rag!.value).toBeLessThanOrEqual(1);
  }, 600_000);
});
