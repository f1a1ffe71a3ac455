/**
 * What model calls cost, metered as they happen. A caller that wants to watch (the experiment runner, for its
 * live view) runs work inside {@link meterSpend}; code that makes a model call and knows its usage reports it
 * with {@link reportSpend}. The meter follows the async context (Node's AsyncLocalStorage), so reports from
 * concurrent workers, awaits and nested helpers reach the meter that started them, and reports made outside
 * any meter (library use, tests) go nowhere. Results reused from the store are not reported: they cost
 * nothing now.
 */
import { AsyncLocalStorage } from "node:async_hooks";

/** Tokens and US dollars; `usd` is null when no call so far had a price. */
export interface Spend {
  promptTokens: number;
  completionTokens: number;
  usd: number | null;
}

/** A spend of nothing. */
export const NO_SPEND: Readonly<Spend> = Object.freeze({ promptTokens: 0, completionTokens: 0, usd: null });

/** a + b (dollars add where either is priced; null + null stays null). */
export function addSpend(a: Spend, b: Partial<Spend>): Spend {
  const usd = typeof b.usd === "number" ? (a.usd ?? 0) + b.usd : a.usd;
  return {
    promptTokens: a.promptTokens + (b.promptTokens ?? 0),
    completionTokens: a.completionTokens + (b.completionTokens ?? 0),
    usd,
  };
}

/** True when `s` has any tokens or dollars. */
export function spentAnything(s: Partial<Spend> | null | undefined): boolean {
  return !!s && ((s.promptTokens ?? 0) > 0 || (s.completionTokens ?? 0) > 0 || typeof s.usd === "number");
}

const meter = new AsyncLocalStorage<(s: Spend) => void>();

/**
 * Runs `fn` with `sink` receiving every {@link reportSpend} made in its async context (one call per model
 * call, with that call's usage). Meters nest: the innermost one receives.
 */
export function meterSpend<T>(sink: (s: Spend) => void, fn: () => T): T {
  return meter.run(sink, fn);
}

/** Reports one model call's usage to the current meter (nothing happens outside one). Zero usage is not reported. */
export function reportSpend(s: Partial<Spend> | null | undefined): void {
  if (!spentAnything(s)) return;
  meter.getStore()?.({
    promptTokens: s!.promptTokens ?? 0,
    completionTokens: s!.completionTokens ?? 0,
    usd: s!.usd ?? null,
  });
}
