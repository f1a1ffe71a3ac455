import type { Stage } from "./stage.ts";
import { collectStage } from "./stages/collect-stage.ts";
import { corpusStage } from "./stages/corpus-stage.ts";
import { datasetsStage } from "./stages/datasets-stage.ts";
import { evaluateStage } from "./stages/evaluate-stage.ts";
import { generateStage } from "./stages/generate-stage.ts";
import { importStage } from "./stages/import-stage.ts";
import { reportStage } from "./stages/report-stage.ts";
import { trainStage } from "./stages/train-stage.ts";

/** The pipeline, in order (ARCHITECTURE.md). */
export const STAGES: readonly Stage[] = [
  collectStage,
  importStage,
  corpusStage,
  datasetsStage,
  trainStage,
  generateStage,
  evaluateStage,
  reportStage,
];
