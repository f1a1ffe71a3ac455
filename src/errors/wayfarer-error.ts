const MARKER = Symbol.for("wayfarer.error");

/**
 * Base class of every error Wayfarer raises on purpose. The CLI prints `message` as one line
 * (never a stack trace) for any `WayfarerError`; anything else is a bug and shows its stack.
 */
export class WayfarerError extends Error {
  readonly [MARKER] = true;
  override name = "WayfarerError";

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }

  /** True for any WayfarerError, across module copies (checks a `Symbol.for` marker). */
  static isInstance(error: unknown): error is WayfarerError {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}
