/** `wayfarer score` end to end through `main` (files on disk, a loopback judge), and as a spawned CLI. */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../../src/cli/main.ts";
import { corpusBleu, sentenceBleu } from "../../../src/evaluation/metrics/bleu.ts";
import { corpusChrf } from "../../../src/evaluation/metrics/chrf.ts";
import { rougeScores } from "../../../src/evaluation/metrics/rouge.ts";
import { defaultMiniLmDir } from "../../../src/evaluation/metrics/support/minilm.ts";
import { ROOT } from "../../helpers/paths.ts";
import { type FakeOpenAI, startFakeOpenAI, userPrompt } from "../../unit/evaluation/judge/fake-openai-server.ts";

function capture(cwd: string) {
  const o = { out: "", err: "" };
  return {
    o,
    ctx: { cwd, env: {}, out: (s: string) => (o.out += s), err: (s: string) => (o.err += s), interactive: false },
  };
}

const preds = [
  { id: "a", question: "Airport to Paris?", answer: "Take the RER B train to Gare du Nord." },
  { id: "b", question: "Cheap food in Lyon?", answer: "Try a bouchon at lunch; the set menu is cheap." },
  { id: "c", question: "Is Lisbon hilly?", answer: "Yes." },
];
const refs = [
  { id: "a", reference: "The RER B train goes to Gare du Nord." },
  { id: "b", references: ["Bouchons have cheap lunch menus.", "Eat at a bouchon at lunch."] },
  { id: "c", reference: "Very hilly; wear good shoes." },
];

let dir: string;
let fake: FakeOpenAI;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "wf-score-"));
  writeFileSync(join(dir, "pred.jsonl"), `${preds.map((p) => JSON.stringify(p)).join("\n")}\n\n`);
  writeFileSync(join(dir, "ref.jsonl"), `${refs.map((p) => JSON.stringify(p)).join("\n")}\n`);
  fake = await startFakeOpenAI((req) => ({ content: userPrompt(req).includes("bouchon") ? "[[8]]" : "[[3]]" }));
});
afterAll(async () => {
  await fake.close();
});

describe("wayfarer score", () => {
  it("reads files that start with a byte order mark", async () => {
    writeFileSync(join(dir, "bom-pred.jsonl"), `\ufeff${JSON.stringify(preds[0])}\n`);
    writeFileSync(join(dir, "bom-ref.jsonl"), `\ufeff${JSON.stringify(refs[0])}\r\n`);
    const c = capture(dir);
    const code = await main(
      ["score", "--metric", "rougeL", "--pred", "bom-pred.jsonl", "--ref", "bom-ref.jsonl", "--json"],
      c.ctx,
    );
    expect(c.o.err).toBe("");
    expect(code).toBe(0);
    expect(JSON.parse(c.o.out).metrics[0].items[0]).toMatchObject({ line: 1, id: "a", status: "scored" });
  });

  it("per-item and corpus scores as JSON", async () => {
    const c = capture(dir);
    const code = await main(
      ["score", "--metric", "bleu,rougeL", "--metric", "chrf", "--pred", "pred.jsonl", "--ref", "ref.jsonl", "--json"],
      c.ctx,
    );
    expect(c.o.err).toBe("");
    expect(code).toBe(0);
    const out = JSON.parse(c.o.out) as {
      items: number;
      metrics: Array<{
        metric: string;
        corpus: { value: number; kind: string; nScored: number };
        items: Array<{ line: number; id: string; value: number }>;
      }>;
    };
    expect(out.items).toBe(3);
    const [bleu, rougeL, chrf] = out.metrics;
    const R = [
      ["The RER B train goes to Gare du Nord."],
      ["Bouchons have cheap lunch menus.", "Eat at a bouchon at lunch."],
      ["Very hilly; wear good shoes."],
    ];
    const H = preds.map((p) => p.answer);
    expect(bleu!.corpus).toMatchObject({ kind: "corpus-statistic", nScored: 3 });
    expect(bleu!.corpus.value).toBeCloseTo(corpusBleu(H, R).score, 10);
    expect(bleu!.items.map((i) => i.value)).toEqual(H.map((h, i) => sentenceBleu(h, R[i]!).score));
    expect(bleu!.items.map((i) => [i.line, i.id])).toEqual([
      [1, "a"],
      [2, "b"],
      [3, "c"],
    ]);
    expect(rougeL!.corpus.kind).toBe("mean-of-scored");
    expect(rougeL!.corpus.value).toBeCloseTo(
      H.reduce((s, h, i) => s + rougeScores(h, R[i]!).rougeL.fmeasure, 0) / 3,
      12,
    );
    expect(chrf!.corpus.value).toBeCloseTo(corpusChrf(H, R).score, 10);
  });

  it("judge metric through an OpenAI-compatible endpoint; text output", async () => {
    const c = capture(dir);
    const code = await main(
      [
        "score",
        "--metric",
        "judge-single",
        "--pred",
        "pred.jsonl",
        "--judge-url",
        fake.baseURL,
        "--judge-model",
        "fake",
        "--options",
        '{"structured":false}',
      ],
      c.ctx,
    );
    expect(c.o.err).toBe("");
    expect(code).toBe(0);
    expect(c.o.out).toMatch(
      /^judge-single\t4\.6667\t\(mean-of-scored; scored 3, error 0, not-applicable 0; tokens \d+\+\d+\)\tjudge-single\|/,
    );
  });

  it.each([
    [["--metric", "bleux"], /--metric bleux: unknown metric; known: bleu, /],
    [["--metric", "bleu"], /--metric bleu compares with reference answers: give --ref FILE/],
    [["--metric", "bleu", "--ref", "short.jsonl"], /short\.jsonl: has 1 JSON lines but pred\.jsonl has 3/],
    [["--metric", "bleu", "--ref", "bad.jsonl"], /bad\.jsonl:2: not valid JSON/],
    [
      ["--metric", "bleu", "--ref", "badfield.jsonl"],
      /badfield\.jsonl:3 field "references": must be an array of strings/,
    ],
    [
      ["--metric", "bleu", "--ref", "wrongid.jsonl"],
      /wrongid\.jsonl:1 field "id": is "z" but line 1 of pred\.jsonl has id "a"/,
    ],
    [
      ["--metric", "judge-single"],
      /--metric judge-single needs an LLM judge: give --judge-url URL and --judge-model ID/,
    ],
    [
      ["--metric", "ragas-answer-correctness", "--ref", "ref.jsonl"],
      /--metric ragas-answer-correctness needs an LLM judge: .*or --judge-gguf FILE/,
    ],
    [
      ["--metric", "ragas-context-recall", "--ref", "ref.jsonl", "--judge-gguf", "j.gguf"],
      /--metric ragas-context-recall reads the retrieved contexts: give --contexts FILE/,
    ],
    [["--metric", "rougeL", "--ref", "ref.jsonl", "--options", "{nope"], /--options: not valid JSON/],
    [["--metric", "perplexity"], /^wayfarer: --metric perplexity needs a reference LM: give --lm-gguf FILE/],
    [
      ["--metric", "perplexity", "--lm-gguf", "nope.gguf"],
      /--metric perplexity: the reference LM cannot be loaded \(.*nope\.gguf: model file not found\)/,
    ],
    [
      ["--metric", "rougeL,bleu", "--ref", "ref.jsonl", "--options", '{"stemer":false,"lowercase":true}'],
      /--options: "stemer" is not an option of rougeL, bleu/,
    ],
  ])("%j fails with a clear message", async (args, message) => {
    writeFileSync(join(dir, "short.jsonl"), '"x"\n');
    writeFileSync(join(dir, "bad.jsonl"), '"x"\n{oops\n"z"\n');
    writeFileSync(join(dir, "badfield.jsonl"), '"x"\n"y"\n{"references": "z"}\n');
    writeFileSync(join(dir, "wrongid.jsonl"), '{"id": "z", "reference": "x"}\n"y"\n"z"\n');
    const c = capture(dir);
    const code = await main(["score", "--pred", "pred.jsonl", ...args], c.ctx);
    expect(code).toBe(1);
    expect(c.o.err).toMatch(message);
    expect(c.o.err.split("\n").filter(Boolean)).toHaveLength(1);
  });

  it("ROUGE on Japanese text: 0 as rouge-score, said on stderr; the unicode tokenizer scores it", async () => {
    writeFileSync(
      join(dir, "ja-pred.jsonl"),
      `${JSON.stringify("新幹線で京都へ行く")}\n${JSON.stringify("Take the metro")}\n`,
    );
    writeFileSync(
      join(dir, "ja-ref.jsonl"),
      `${JSON.stringify("京都へは新幹線で行く")}\n${JSON.stringify("Take a bus")}\n`,
    );
    const c = capture(dir);
    expect(await main(["score", "--metric", "rouge1", "--pred", "ja-pred.jsonl", "--ref", "ja-ref.jsonl"], c.ctx)).toBe(
      0,
    );
    expect(c.o.out).toMatch(/^rouge1\t0\.1667\t/); // (0 + 1/3) / 2
    expect(c.o.err).toBe(
      `rouge1: 1 of 2 rows score 0 because the tokenizer left no tokens (non-Latin text?); --options '{"tokenizer":"unicode"}' scores them\n`,
    );
    const u = capture(dir);
    const args = ["score", "--metric", "rouge1", "--pred", "ja-pred.jsonl", "--ref", "ja-ref.jsonl"];
    expect(await main([...args, "--options", '{"tokenizer":"unicode"}'], u.ctx)).toBe(0);
    expect(u.o.err).toBe("");
    // (2·0.9/1.9 + 1/3) / 2
    expect(u.o.out).toMatch(/^rouge1\t0\.6404\t/);
  });

  // issue 14, case 9: bertscore used to fail with "needs a token encoder" (the command never built one)
  it.skipIf(!existsSync(join(defaultMiniLmDir(), "onnx", "model.onnx")))(
    "the spawned CLI scores bertscore with the MiniLM token encoder; values equal bert_score's (fixture)",
    () => {
      const fx = JSON.parse(readFileSync(join(ROOT, "test/fixtures/metrics/bertscore.json"), "utf8")) as {
        edge: Array<{ hyp: string; refs: string[]; values: { plain: { P: number; R: number; F: number } } }>;
      };
      const cases = fx.edge.filter((c) => c.hyp.trim() !== "" && c.refs[0] !== "");
      expect(cases.length).toBe(4);
      const d = mkdtempSync(join(tmpdir(), "wf-score-bert-"));
      writeFileSync(join(d, "p.jsonl"), cases.map((c) => JSON.stringify({ answer: c.hyp })).join("\n"));
      writeFileSync(join(d, "r.jsonl"), cases.map((c) => JSON.stringify({ references: c.refs })).join("\n"));
      const r = spawnSync(
        process.execPath,
        [
          join(ROOT, "bin/wayfarer.js"),
          "score",
          "--metric",
          "bertscore",
          "--pred",
          "p.jsonl",
          "--ref",
          "r.jsonl",
          "--json",
        ],
        {
          cwd: d,
          encoding: "utf8",
          env: {
            PATH: process.env.PATH ?? "",
            HOME: process.env.HOME ?? "",
            ...(process.env.WAYFARER_HOME ? { WAYFARER_HOME: process.env.WAYFARER_HOME } : {}),
          },
          timeout: 60_000,
        },
      );
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const out = JSON.parse(r.stdout) as {
        metrics: Array<{
          metric: string;
          corpus: { value: number; nScored: number; signature: string };
          items: Array<{ value: number }>;
        }>;
      };
      const m = out.metrics[0]!;
      expect(m.corpus.nScored).toBe(4);
      expect(m.corpus.signature).toMatch(/^bertscore\|.*all-minilm-l6-v2/);
      for (const [i, it] of m.items.entries()) expect(Math.abs(it.value - cases[i]!.values.plain.F)).toBeLessThan(1e-4);
      const mean = cases.reduce((a, c) => a + c.values.plain.F, 0) / cases.length;
      expect(Math.abs(m.corpus.value - mean)).toBeLessThan(1e-4);
    },
    60_000,
  );
});
