/**
 * A hand-written run folder for stage tests: upstream stages' manifests and generate's answers (3 variants x 4
 * travel questions), so evaluate and report run without a model.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { StageManifest } from "../../../src/experiment/stage.ts";
import type { AnswerRecord } from "../../../src/experiment/stages/generate-stage.ts";

/** Questions by item id. */
export const Q = {
  q1: "Paris airport to city?",
  q2: "Best time for Kyoto?",
  q3: "Rome on a budget?",
  q4: "Lisbon trams?",
};
export const TEXT: Record<string, Record<string, string>> = {
  base: { q1: "RER B.", q2: "Spring.", q3: "Walk a lot.", q4: "Tram 28." },
  tuned: {
    q1: "Take the RER B to Gare du Nord.",
    q2: "Late March for the blossoms.",
    q3: "Walk, eat al taglio.",
    q4: "Tram 28!",
  },
  short: { q1: "RER", q2: "Mar", q3: "Go", q4: "Tram 29." },
};

/**
 * Writes a stage folder with a manifest. For `generate` with an answers.jsonl, also the per-variant
 * answer artifacts the graph reads (`generate/variants/<v>/`, artifact `answers:<v>`).
 */
export function writeStage(runDir: string, stage: string, files: Record<string, string> = {}, artifactId = stage) {
  if (stage === "generate" && files["answers.jsonl"]) {
    const byVariant = new Map<string, string[]>();
    for (const line of files["answers.jsonl"].trim().split("\n")) {
      const v = (JSON.parse(line) as AnswerRecord).variant;
      byVariant.set(v, [...(byVariant.get(v) ?? []), line]);
    }
    for (const [v, lines] of byVariant)
      writeStage(runDir, `generate/variants/${v}`, { "answers.jsonl": `${lines.join("\n")}\n` }, `answers:${v}`);
  }
  mkdirSync(join(runDir, stage), { recursive: true });
  for (const [f, text] of Object.entries(files)) writeFileSync(join(runDir, stage, f), text);
  const m: StageManifest = {
    stage: artifactId as StageManifest["stage"],
    inputHash: "x",
    outputHash: `fixed-${stage}`,
    counts: {},
    outputs: Object.keys(files),
    notes: [],
    startedAt: "2024-01-01T00:00:00.000Z",
    durationSeconds: 0,
  };
  writeFileSync(join(runDir, stage, "manifest.json"), JSON.stringify(m));
}

export function answersJsonl(): string {
  const rows: AnswerRecord[] = [];
  for (const variant of ["base", "tuned", "short"])
    for (const [itemId, question] of Object.entries(Q))
      rows.push({
        variant,
        itemId,
        question,
        answer: TEXT[variant]![itemId]!,
        rawAnswer: TEXT[variant]![itemId]!,
        reference: `gold ${itemId}`,
        latencySeconds: 1,
        promptTokens: 10,
        completionTokens: 5,
        finishReason: "stop",
        modelId: "m",
      });
  return `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`;
}
