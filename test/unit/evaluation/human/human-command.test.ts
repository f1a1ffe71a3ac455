import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../../../src/cli/main.ts";
import { findRater, submitRating, tasksForRater } from "../../../../src/evaluation/human/tasks.ts";
import { Store } from "../../../../src/store/store.ts";

function capture(cwd: string) {
  const o = { out: "", err: "" };
  return {
    o,
    ctx: { cwd, env: {}, out: (s: string) => (o.out += s), err: (s: string) => (o.err += s), interactive: false },
  };
}

describe("wayfarer human", () => {
  it("create prints links; ratings export to JSONL that `wayfarer meta` reads; preferences export", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wf-human-"));
    const lines = ["q1", "q2", "q3"].flatMap((q) =>
      ["base", "dpo"].map((v) => JSON.stringify({ variant: v, item_id: q, question: `Q ${q}`, answer: `${v}:${q}` })),
    );
    writeFileSync(join(dir, "items.jsonl"), `${lines.join("\n")}\n`);
    const c = capture(dir);
    const code = await main(
      [
        "human",
        "create",
        "--experiment",
        "e",
        "--raters",
        "ana,ben",
        "--items",
        "items.jsonl",
        "--criteria",
        "helpfulness",
        "--pairwise",
        "--store",
        "s.sqlite",
        "--base-url",
        "http://h:1/",
      ],
      c.ctx,
    );
    expect(code).toBe(0);
    expect(c.o.out).toMatch(/^9 tasks, 18 assignments/);
    const links = [...c.o.out.matchAll(/http:\/\/h:1\/r\/([\w-]+)/g)].map((m) => m[1]!);
    expect(links).toHaveLength(3);
    {
      using store = Store.open(join(dir, "s.sqlite"));
      for (const token of links.slice(0, 2)) {
        const r = findRater(store, token)!;
        for (const t of tasksForRater(store, r)) {
          if (t.kind === "pair")
            submitRating(store, r, { assignmentId: t.id, choice: t.answer.startsWith("dpo") ? "a" : "b" });
          else
            submitRating(store, r, { assignmentId: t.id, scores: { helpfulness: t.answer.startsWith("dpo") ? 5 : 2 } });
        }
      }
    }
    const e = capture(dir);
    expect(
      await main(
        ["human", "export", "--experiment", "e", "--what", "judgments", "--out", "h.jsonl", "--store", "s.sqlite"],
        e.ctx,
      ),
    ).toBe(0);
    const judgments = readFileSync(join(dir, "h.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(judgments).toHaveLength(12);
    expect(judgments[0]).toEqual({
      input_id: "q1",
      system_id: "base",
      rater_id: "ana",
      criterion: "helpfulness",
      score: 2,
    });
    expect(
      await main(
        ["human", "export", "--experiment", "e", "--what", "preferences", "--out", "p.jsonl", "--store", "s.sqlite"],
        e.ctx,
      ),
    ).toBe(0);
    const prefs = readFileSync(join(dir, "p.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(prefs).toHaveLength(6);
    expect(prefs.every((p) => p.chosen.startsWith("dpo") && p.provenance.source === "human-pairwise")).toBe(true);
    // Pairwise choices (ties kept) feed `wayfarer meta --human-pairwise`.
    expect(
      await main(
        ["human", "export", "--experiment", "e", "--what", "choices", "--out", "c.jsonl", "--store", "s.sqlite"],
        e.ctx,
      ),
    ).toBe(0);
    const choices = readFileSync(join(dir, "c.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(choices).toHaveLength(6);
    expect(new Set(choices.map((c) => c.rater_id))).toEqual(new Set(["ana", "ben"]));
    expect(choices.every((c) => (c.verdict === "A" ? c.model_a : c.model_b) === "dpo")).toBe(true);
    writeFileSync(
      join(dir, "pv.jsonl"),
      ["B", "B", "A"]
        .map((verdict, i) =>
          JSON.stringify({ input_id: `q${i + 1}`, model_a: "base", model_b: "dpo", verdict, evaluator: "judge" }),
        )
        .join("\n"),
    );
    const pm = capture(dir);
    expect(await main(["meta", "--human-pairwise", "c.jsonl", "--pairwise-scores", "pv.jsonl", "--json"], pm.ctx)).toBe(
      0,
    );
    expect(JSON.parse(pm.o.out).pairwise.results[0]).toMatchObject({
      evaluator: "judge",
      agreement: { pairs: 6, agreeWithTies: 4 / 6, pairsWithoutTies: 6, agreeWithoutTies: 4 / 6 },
    });
    const bad = capture(dir);
    expect(
      await main(
        ["human", "export", "--experiment", "e", "--what", "votes", "--out", "x.jsonl", "--store", "s.sqlite"],
        bad.ctx,
      ),
    ).toBe(1);
    expect(bad.o.err).toMatch(/--what votes: use judgments, preferences, choices/);
    const a = capture(dir);
    expect(await main(["human", "agreement", "--experiment", "e", "--store", "s.sqlite", "--json"], a.ctx)).toBe(0);
    const agreement = JSON.parse(a.o.out);
    expect(agreement[0]).toMatchObject({
      criterion: "helpfulness",
      items: 6,
      itemsWithTwoRatings: 6,
      raters: 2,
      alphaInterval: 1,
      sufficient: false,
    });
    // The exported judgments feed `wayfarer meta` (a perfect evaluator here).
    writeFileSync(
      join(dir, "s.jsonl"),
      judgments
        .map((j) =>
          JSON.stringify({ input_id: j.input_id, system_id: j.system_id, evaluator: "oracle", score: j.score }),
        )
        .filter((_, i) => i % 2 === 0)
        .join("\n"),
    );
    const m = capture(dir);
    expect(
      await main(["meta", "--human", "h.jsonl", "--scores", "s.jsonl", "--resamples", "50", "--json"], m.ctx),
    ).toBe(0);
    const meta = JSON.parse(m.o.out).meta;
    expect(meta.results[0].levels.item.correlations.pearson.value).toBe(1);
    expect(meta.results[0].levels.item.sufficient).toBe(false);
    expect(meta.notes.join(" ")).toMatch(/too few ratings to conclude/);
  });
  it("export and agreement: a missing store, an unknown experiment, an unwritable --out and a non-store file are one-line errors", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wf-human-"));
    writeFileSync(
      join(dir, "items.jsonl"),
      ["base", "dpo"].map((v) => JSON.stringify({ variant: v, item_id: "q1", question: "Q", answer: v })).join("\n"),
    );
    const created = capture(dir);
    expect(
      await main(
        [
          "human",
          "create",
          "--experiment",
          "e",
          "--raters",
          "a,b",
          "--items",
          "items.jsonl",
          "--pairwise",
          "--store",
          "s.sqlite",
        ],
        created.ctx,
      ),
    ).toBe(0);
    const run = async (...argv: string[]) => {
      const c = capture(dir);
      const code = await main(argv, c.ctx);
      return { code, err: c.o.err };
    };
    const exportTo = (out: string, store = "s.sqlite", experiment = "e") =>
      run("human", "export", "--experiment", experiment, "--what", "choices", "--out", out, "--store", store);
    // a mistyped store is not created (and nothing is written)
    const missing = await exportTo("x.jsonl", "nope.sqlite");
    expect(missing).toEqual({ code: 1, err: expect.stringMatching(/^wayfarer: nope\.sqlite: no such store/) });
    expect(existsSync(join(dir, "nope.sqlite"))).toBe(false);
    expect(existsSync(join(dir, "x.jsonl"))).toBe(false);
    const missingAgreement = await run("human", "agreement", "--experiment", "e", "--store", "nope.sqlite");
    expect(missingAgreement.code).toBe(1);
    // an experiment without rating tasks names the ones that have some
    const unknown = await exportTo("x.jsonl", "s.sqlite", "ee");
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/--experiment ee: no rating tasks .* \(experiments with rating tasks: e\)/);
    expect((await run("human", "agreement", "--experiment", "ee", "--store", "s.sqlite")).err).toMatch(
      /no rating tasks/,
    );
    // --out in a missing folder, or a folder: the file named, no stack
    for (const out of ["no/such/dir/x.jsonl", "."]) {
      const r = await exportTo(out);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^wayfarer: .*: cannot write the file \(/);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
    // a file that is not a store
    writeFileSync(join(dir, "junk.sqlite"), "not a database at all, just text\n".repeat(10));
    const junk = await exportTo("x.jsonl", "junk.sqlite");
    expect(junk.code).toBe(1);
    expect(junk.err).toMatch(/junk\.sqlite: cannot open the store \(file is not a database\)/);
    // the happy path still works
    expect((await exportTo("ok.jsonl")).code).toBe(0);
  });
  it("explains a bad items file with file:line and field", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wf-human-"));
    writeFileSync(join(dir, "items.jsonl"), '{"variant":"a","item_id":"q","question":"x"}\n');
    const c = capture(dir);
    expect(
      await main(
        ["human", "create", "--experiment", "e", "--raters", "a,b", "--items", "items.jsonl", "--store", "s.sqlite"],
        c.ctx,
      ),
    ).toBe(1);
    expect(c.o.err).toMatch(/items\.jsonl:1 field "answer"/);
  });

  // issue 14, case 8
  it("export --what preferences drops pairs whose chosen equals rejected, and counts them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wf-human-"));
    // q2: both variants gave the same answer (after trimming); q1 and q3 differ; a tie on q3 from ben
    const answers: Record<string, Record<string, string>> = {
      q1: { base: "Take the metro.", dpo: "Take the Aerobus, 35 minutes." },
      q2: { base: "Two hours before.", dpo: "Two hours before.  " },
      q3: { base: "Walk.", dpo: "Tram 28, early." },
    };
    const lines = Object.entries(answers).flatMap(([q, byVariant]) =>
      Object.entries(byVariant).map(([v, answer]) =>
        JSON.stringify({ variant: v, item_id: q, question: `Q ${q}`, answer }),
      ),
    );
    writeFileSync(join(dir, "items.jsonl"), `${lines.join("\n")}\n`);
    const c = capture(dir);
    expect(
      await main(
        [
          "human",
          "create",
          "--experiment",
          "e",
          "--raters",
          "ana,ben",
          "--items",
          "items.jsonl",
          "--criteria",
          "helpfulness",
          "--pairwise",
          "--store",
          "s.sqlite",
        ],
        c.ctx,
      ),
    ).toBe(0);
    const links = [...c.o.out.matchAll(/\/r\/([\w-]+)/g)].map((m) => m[1]!);
    {
      using store = Store.open(join(dir, "s.sqlite"));
      for (const token of links.slice(0, 2)) {
        const r = findRater(store, token)!;
        for (const t of tasksForRater(store, r)) {
          if (t.kind !== "pair") continue;
          const tie = r.name === "ben" && t.question === "Q q3";
          submitRating(store, r, { assignmentId: t.id, choice: tie ? "tie" : "a" });
        }
      }
    }
    const e = capture(dir);
    expect(
      await main(
        ["human", "export", "--experiment", "e", "--what", "preferences", "--out", "p.jsonl", "--store", "s.sqlite"],
        e.ctx,
      ),
    ).toBe(0);
    const prefs = readFileSync(join(dir, "p.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map(
        (l) => JSON.parse(l) as { chosen: string; rejected: string; provenance: { item_id: string; rater: string } },
      );
    // 6 choices: 2 on q2 are identical pairs, 1 on q3 is a tie -> 3 pairs
    expect(prefs.map((p) => `${p.provenance.item_id}/${p.provenance.rater}`)).toEqual(["q1/ana", "q1/ben", "q3/ana"]);
    expect(prefs.every((p) => p.chosen.trim() !== p.rejected.trim())).toBe(true);
    expect(e.o.err).toBe(
      "3 preference pairs written to p.jsonl; left out: 1 tie (a tie is no preference), 2 pairs whose chosen and rejected answers are the same text (nothing to learn)\n",
    );
  });
});
