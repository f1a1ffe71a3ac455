/** Computes, with our implementations, every value key that scripts/fixtures/metrics.py writes. */
import { hfBleu, sentenceBleu } from "../../../../src/evaluation/metrics/bleu.ts";
import { sentenceChrf } from "../../../../src/evaluation/metrics/chrf.ts";
import { meteor, type WordNet } from "../../../../src/evaluation/metrics/meteor.ts";
import { ROUGE_TYPES, rougeScores } from "../../../../src/evaluation/metrics/rouge.ts";

export function computeAll(hyp: string, refs: string[], wordnet: WordNet): Record<string, number> {
  const out: Record<string, number> = {};
  for (const sm of ["exp", "floor", "add-k", "none"] as const) {
    const b = sentenceBleu(hyp, refs, { smooth: sm });
    out[`bleu.${sm}`] = b.score;
    if (sm === "exp") {
      out["bleu.bp"] = b.bp;
      out["bleu.sysLen"] = b.sysLen;
      out["bleu.refLen"] = b.refLen;
      b.precisions.forEach((p, i) => {
        out[`bleu.p${i + 1}`] = p;
      });
    }
  }
  out["bleu.exp.noeff"] = sentenceBleu(hyp, refs, { effectiveOrder: false }).score;
  out.hfbleu = hfBleu([hyp], [refs]).bleu;
  out["hfbleu.smooth"] = hfBleu([hyp], [refs], { smooth: true }).bleu;
  out.chrf = sentenceChrf(hyp, refs).score;
  out["chrf++"] = sentenceChrf(hyp, refs, { wordOrder: 2 }).score;
  const stem = rougeScores(hyp, refs, { stemmer: true });
  const nostem = rougeScores(hyp, refs, { stemmer: false });
  for (const t of ROUGE_TYPES) {
    out[`${t}.p`] = stem[t].precision;
    out[`${t}.r`] = stem[t].recall;
    out[`${t}.f`] = stem[t].fmeasure;
    out[`${t}.f.nostem`] = nostem[t].fmeasure;
  }
  out.meteor = meteor(hyp, refs, { wordnet }).score;
  return out;
}

export interface Mismatch {
  key: string;
  ours: number | undefined;
  reference: number;
}

/** Keys whose values differ by more than `tol` (or are missing on our side). */
export function mismatches(ours: Record<string, number>, reference: Record<string, number>, tol: number): Mismatch[] {
  const out: Mismatch[] = [];
  for (const [key, ref] of Object.entries(reference)) {
    const v = ours[key];
    if (v === undefined || !(Math.abs(v - ref) <= tol)) out.push({ key, ours: v, reference: ref });
  }
  return out;
}
