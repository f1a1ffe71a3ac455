/**
 * `generate.postprocess` (and a variant's `postprocess`): named answer post-processing rules, applied in order
 * (implementations and their guarantees: src/models/postprocess.ts). A rule is its name, or an object with
 * `rule` and that rule's options:
 *
 * ```yaml
 * postprocess:
 *   - { rule: raft-answer, keep: answer }   # text after `<ANSWER>:` (RAFT adapters); keep: reasoning = all of it
 *   - drop-repeated-sentences               # a sentence that repeats an earlier one is dropped
 *   - trim-unfinished-sentence              # when maxTokens cut the answer, drop its unfinished last sentence
 * ```
 */
import { z } from "zod";
import type { PostprocessRule } from "../models/postprocess.ts";

const RaftAnswer = z
  .object({
    rule: z.literal("raft-answer"),
    keep: z
      .enum(["answer", "reasoning"])
      .default("answer")
      .describe("answer = the text after the last `<ANSWER>:` (unchanged when there is none); reasoning = all of it."),
  })
  .strict();
const TrimUnfinished = z
  .object({
    rule: z.literal("trim-unfinished-sentence"),
    minKeep: z
      .number()
      .min(0)
      .max(1)
      .default(0.3)
      .describe("Trim only when at least this share of the characters is kept."),
    onlyWhenCut: z.boolean().default(true).describe("Only answers cut by maxTokens (finish reason length)."),
  })
  .strict();
const DropRepeated = z.object({ rule: z.literal("drop-repeated-sentences") }).strict();

const RULE_OBJECT = z.discriminatedUnion("rule", [RaftAnswer, TrimUnfinished, DropRepeated], {
  error: "expected a rule: raft-answer, trim-unfinished-sentence or drop-repeated-sentences",
});

export const PostprocessRuleSchema = z
  .union([z.enum(["raft-answer", "trim-unfinished-sentence", "drop-repeated-sentences"]), RULE_OBJECT], {
    error:
      "expected a rule name (raft-answer, trim-unfinished-sentence, drop-repeated-sentences) or {rule, ...options}",
  })
  .transform((r): PostprocessRule => RULE_OBJECT.parse(typeof r === "string" ? { rule: r } : r));

export const PostprocessSchema = z
  .array(PostprocessRuleSchema)
  .describe(
    "Answer post-processing rules, in order: raft-answer, trim-unfinished-sentence, drop-repeated-sentences (a name, or {rule, ...options}). None rewrites a word.",
  );

/**
 * The rules for one variant: its own `postprocess`, else `generate.postprocess`, else (the setting from before
 * rules existed) `[trim-unfinished-sentence]` when `generate.trimUnfinishedSentence` is on, else none.
 */
export function postprocessRulesOf(
  generate: { postprocess?: PostprocessRule[] | undefined; trimUnfinishedSentence: boolean },
  variant: { postprocess?: PostprocessRule[] | undefined },
): PostprocessRule[] {
  return (
    variant.postprocess ??
    generate.postprocess ??
    (generate.trimUnfinishedSentence ? [{ rule: "trim-unfinished-sentence", minKeep: 0.3, onlyWhenCut: true }] : [])
  );
}
