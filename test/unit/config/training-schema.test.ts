import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadExperiment } from "../../../src/config/load.ts";
import { jobJsonSchema, TrainAdapterSchema } from "../../../src/config/training.ts";
import { ROOT } from "../../helpers/paths.ts";

const dir = mkdtempSync(join(tmpdir(), "wf-train-schema-"));

/** An experiment whose train/generate sections are `train` and `variants` (YAML flow text). */
async function loadError(train: string, variants = "[{ name: base, model: m }]", extra = ""): Promise<string> {
  const f = join(dir, `e${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    f,
    `name: t
import: { inputs: [{ path: data }] }
datasets: { golden: { file: golden.csv } }
models:
  m: { provider: llama, path: smollm2-135m-instruct-q4_1 }
  g: { provider: llama, path: gemma-3-270m-q4_k_m }
train:
  adapters: ${train}
generate:
  variants: ${variants}
${extra}`,
  );
  const err = await loadExperiment(f).catch((e: unknown) => e);
  return err instanceof Error ? err.message : "(loaded without error)";
}

describe("training schema: one JSON Schema for TypeScript and Python", () => {
  it("trainer/schema/job.schema.json is what src/config/training.ts generates (run npm run gen:training-schema)", () => {
    const committed = JSON.parse(readFileSync(join(ROOT, "trainer/schema/job.schema.json"), "utf8"));
    expect(committed).toEqual(jobJsonSchema());
  });

  it("carries the study defaults and ranges the trainer enforces", () => {
    const s = jobJsonSchema() as { $defs: Record<string, { properties: Record<string, Record<string, unknown>> }> };
    const lora = s.$defs.Lora!.properties;
    expect([lora.r!.default, lora.alpha!.default, lora.dropout!.default]).toEqual([64, 16, 0.1]);
    expect(lora.dropout!.exclusiveMaximum).toBe(1);
    expect(s.$defs.DpoLora!.properties.r!.default).toBe(16);
    expect(s.$defs.DpoOptions!.properties.beta!.default).toBe(0.1);
    const t = s.$defs.Training!.properties;
    expect([t.lr_scheduler!.default, t.warmup_ratio!.default, t.max_grad_norm!.default]).toEqual(["cosine", 0.03, 0.3]);
    expect(t.early_stopping_patience!.default).toBe(3);
    expect(t.lr_scheduler!.enum).toEqual(["linear", "cosine", "constant", "constant_with_warmup"]);
  });

  // each of these used to pass the TypeScript schema and fail only once training started
  it.each([
    [{ training: { max_steps: 0 } }, "max_steps"],
    [{ lora: { dropout: 1 } }, "dropout"],
    [{ training: { lr_scheduler: "warmup_stable_decay" } }, "lr_scheduler"],
    [{ lora: { target_modules: ["q_proj", "lm_head"] } }, "target_modules"],
  ])("rejects %j before any job starts", (over, field) => {
    const r = TrainAdapterSchema.safeParse({ name: "a", base: "m", ...over });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toContain(field);
  });

  it("names lm_head with the fix", async () => {
    const msg = await loadError("[{ name: a, base: m, lora: { target_modules: [q_proj, lm_head] } }]");
    expect(msg).toContain('field "train.adapters.0.lora.target_modules.1": embeddings and lm_head cannot be adapted');
  });

  it("applies per-method defaults: sft r 64, dpo r 16 beta 0.1", () => {
    const sft = TrainAdapterSchema.parse({ name: "a", base: "m" });
    expect(sft.method).toBe("sft");
    expect([sft.lora.r, sft.lora.alpha, sft.lora.dropout]).toEqual([64, 16, 0.1]);
    const dpo = TrainAdapterSchema.parse({ name: "d", base: "m", method: "dpo", from: "a" });
    expect(dpo.method === "dpo" && [dpo.lora.r, dpo.dpo.beta, dpo.dpo.loss_type]).toEqual([16, 0.1, "sigmoid"]);
  });

  it("unknown method: one message listing the methods", async () => {
    expect(await loadError("[{ name: a, base: m, method: ppo }]")).toContain(
      'field "train.adapters.0.method": unknown training method: use one of sft, raft, reward, dpo, rlhf',
    );
  });

  it("DPO without an SFT start", async () => {
    expect(await loadError("[{ name: d, base: m, method: dpo }]")).toContain(
      'field "train.adapters.0.from": DPO starts from a supervised adapter: add `from: <name of an sft or raft adapter>`',
    );
    expect(
      await loadError("[{ name: r, base: m, method: reward }, { name: d, base: m, method: dpo, from: r }]"),
    ).toContain('adapter "r" is a reward adapter; DPO starts from an sft or raft adapter');
  });

  it("DPO from a selection: every candidate must be an sft/raft adapter on the DPO's base", async () => {
    const selections = (among: string) => `
selections:
  best: { among: ${among}, by: bleu }
`;
    const variants =
      "[{ name: vs, model: m, adapter: s }, { name: vg, model: g, adapter: sg }, { name: base, model: m }]";
    const train = "[{ name: s, base: m }, { name: sg, base: g }, { name: d, base: m, method: dpo, from: best }]";
    const f = (among: string) => loadError(train, variants, `evaluate: { evaluators: [bleu] }\n${selections(among)}`);
    expect(await f("[vs]")).toBe("(loaded without error)");
    const err = await f("[vs, vg, base]");
    expect(err).toContain(
      'selection "best" may pick variant "vg", which is not an sft or raft adapter on "m" (DPO starts from one)',
    );
    expect(err).toContain('selection "best" may pick variant "base", which is not an sft or raft adapter');
  });

  it("an adapter for another base", async () => {
    expect(await loadError("[{ name: s, base: g }, { name: d, base: m, method: dpo, from: s }]")).toContain(
      'field "train.adapters.1.from": adapter "s" was trained on "g", not "m"',
    );
  });

  it("RLHF needs a reward model, and a reward model is never a chat variant", async () => {
    expect(await loadError("[{ name: s, base: m }, { name: p, base: m, method: rlhf, from: s }]")).toContain(
      'field "train.adapters.1.rewardModel": RLHF needs a trained reward model',
    );
    expect(
      await loadError("[{ name: s, base: m }, { name: p, base: m, method: rlhf, from: s, rewardModel: s }]"),
    ).toContain('adapter "s" is a sft adapter, not a reward model');
    expect(
      await loadError(
        "[{ name: r, base: m, method: reward }]",
        "[{ name: base, model: m }, { name: x, model: m, adapter: r }]",
      ),
    ).toContain('field "generate.variants.1.adapter": adapter "r" is a reward model');
  });

  it("a full chain of methods loads", async () => {
    expect(
      await loadError(
        `[{ name: s, base: m }, { name: f, base: m, method: raft }, { name: r, base: m, method: reward },
          { name: d, base: m, method: dpo, from: s }, { name: p, base: m, method: rlhf, from: f, rewardModel: r }]`,
        "[{ name: base, model: m }, { name: x, model: m, adapter: p }]",
      ),
    ).toContain("(loaded without error)");
  });
});
