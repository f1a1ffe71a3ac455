/**
 * The method metrics of the training section: the chart's data (reward accuracy and margin, DPO
 * margins and accuracies, RL reward and KL, per logged step) and the text line with first -> last and
 * the held-out values, from train summaries shaped like the train stage writes them.
 */
import { describe, expect, it } from "vitest";
import { methodMetricsSpec, renderVegaLite } from "../../../src/report/charts.ts";
import { methodMetricsParts } from "../../../src/report/render.ts";
import type { TrainSummary } from "../../../src/store/records.ts";

const summary = (
  adapter: string,
  trainingMethod: string,
  metrics: Record<string, unknown>[],
  done = {},
): TrainSummary =>
  ({
    adapter,
    trainingMethod,
    method: "lora",
    base: "smol",
    steps: metrics.length,
    seconds: 1,
    trainLossFirst: 0.69,
    trainLossLast: 0.6,
    evalLossFirst: null,
    evalLossLast: null,
    trainExamples: 30,
    epochMeanLoss: [],
    losses: metrics.map((_, i) => ({ step: i + 1, loss: 0.69 })),
    evalLosses: [],
    metrics: metrics.map((m, i) => ({ step: i + 1, metrics: m })),
    done,
    spec: {},
  }) as unknown as TrainSummary;

const reward = summary(
  "rm",
  "reward",
  [
    { accuracy: 0.5, margin: 0.1, num_tokens: 9 },
    { accuracy: 1, margin: 0.4 },
  ],
  {
    eval_accuracy: 1,
    eval_margin: 0.3,
  },
);
const dpo = summary(
  "d",
  "dpo",
  [
    { "rewards/margins": 0, "rewards/accuracies": 0 },
    { "rewards/margins": 0.25, "rewards/accuracies": 0.5 },
  ],
  { eval_metrics_last: { "rewards/margins": 0.0095, "rewards/accuracies": 1 } },
);
const rl = summary("p", "rlhf", [
  { reward: -0.29, kl: 0 },
  { reward: -0.2, kl: 0.0002 },
]);
const sft = summary("s", "sft", [{ mean_token_accuracy: 0.4 }]);

describe("method metrics", () => {
  it("chart data: one point per logged step of each method's metrics, none for SFT", async () => {
    const spec = methodMetricsSpec([reward, dpo, rl, sft]) as { data: { values: Record<string, unknown>[] } };
    const values = spec.data.values;
    expect(values).toHaveLength(12);
    expect(values.filter((v) => v.metric === "reward: accuracy").map((v) => v.value)).toEqual([0.5, 1]);
    expect(values.filter((v) => v.metric === "dpo: rewards/margins").map((v) => [v.step, v.value])).toEqual([
      [1, 0],
      [2, 0.25],
    ]);
    expect(values.filter((v) => v.metric === "rlhf: kl").map((v) => v.value)).toEqual([0, 0.0002]);
    expect(values.some((v) => v.adapter === "s")).toBe(false);
    expect(methodMetricsSpec([sft])).toBeNull();
    const svg = await renderVegaLite(methodMetricsSpec([reward, dpo, rl])!);
    for (const label of ["reward: margin", "dpo: rewards/accuracies", "rlhf: reward"]) expect(svg).toContain(label);
  });

  it("text: first -> last logged value and the held-out values", () => {
    expect(methodMetricsParts(reward)).toEqual([
      "accuracy 0.500 -> 1.000",
      "margin 0.100 -> 0.400",
      "held-out accuracy 1.000, margin 0.300",
    ]);
    expect(methodMetricsParts(dpo)).toEqual([
      "rewards/margins 0.000 -> 0.250",
      "rewards/accuracies 0.000 -> 0.500",
      "held-out rewards/margins 0.0095, rewards/accuracies 1.000",
    ]);
    expect(methodMetricsParts(rl, "→")).toEqual(["reward -0.290 → -0.200", "kl 0.000 → 0.0002"]);
    expect(methodMetricsParts(sft)).toEqual([]);
  });
});
