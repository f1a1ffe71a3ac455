/** Helpers around `GeneratorV1.doStream` (see generator.ts). */
import { WayfarerError } from "../errors/wayfarer-error.ts";
import type { GenerateResult, GenerateStreamPart } from "./generator.ts";

/**
 * Reads a generator stream to its end and returns the `GenerateResult` it amounts to (text = the concatenated
 * deltas). @throws what errored the stream; WayfarerError when it ended without a `finish` part.
 */
export async function readGenerateStream(stream: ReadableStream<GenerateStreamPart>): Promise<GenerateResult> {
  let text = "";
  let warnings: string[] = [];
  for await (const part of stream) {
    switch (part.type) {
      case "stream-start":
        warnings = part.warnings;
        break;
      case "text-delta":
        text += part.delta;
        break;
      case "finish":
        return {
          text,
          promptTokens: part.usage.promptTokens,
          completionTokens: part.usage.completionTokens,
          latencySeconds: part.latencySeconds,
          finishReason: part.finishReason,
          warnings,
        };
      default:
        part satisfies never;
    }
  }
  throw new WayfarerError("generate: the stream ended without a finish part");
}

/**
 * A counting semaphore with a FIFO wait list: at most `size` holders at once. `acquire` resolves with a release
 * function (call it exactly once); an aborted `signal` rejects a waiter with `signal.reason` and removes it.
 */
export class Semaphore {
  readonly size: number;
  #held = 0;
  readonly #waiters: Array<() => void> = [];

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1)
      throw new WayfarerError(`semaphore size ${size}: expected an integer >= 1`);
    this.size = size;
  }

  /** Holders now. */
  get held(): number {
    return this.#held;
  }

  /** Callers waiting for a slot. */
  get waiting(): number {
    return this.#waiters.length;
  }

  acquire(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    const release = () => {
      const next = this.#waiters.shift();
      if (next) next();
      else this.#held--;
    };
    if (this.#held < this.size) {
      this.#held++;
      return Promise.resolve(once(release));
    }
    return new Promise((resolve, reject) => {
      const waiter = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve(once(release));
      };
      const onAbort = () => {
        const i = this.#waiters.indexOf(waiter);
        if (i !== -1) this.#waiters.splice(i, 1);
        reject(signal!.reason);
      };
      this.#waiters.push(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}

function once(f: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    f();
  };
}
