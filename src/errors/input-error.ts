import { WayfarerError } from "./wayfarer-error.ts";

/** Where in an input file a problem was found. `line` is 1-based; `field` is a column or JSON key. */
export interface InputLocation {
  file: string;
  line?: number;
  field?: string;
}

/** Formats `file:line field "x"` for messages. */
export function formatLocation(loc: InputLocation): string {
  let s = loc.file;
  if (loc.line !== undefined) s += `:${loc.line}`;
  if (loc.field !== undefined) s += ` field "${loc.field}"`;
  return s;
}

/**
 * Bad or missing user input (a data file, an experiment file). The message always names the file,
 * and where known the line and field, e.g. `examples/x.csv:12 field "score": not a number ("abc")`.
 */
export class InputError extends WayfarerError {
  override name = "InputError";
  readonly location: InputLocation;

  constructor(location: InputLocation, problem: string, options?: { cause?: unknown }) {
    super(`${formatLocation(location)}: ${problem}`, options);
    this.location = location;
  }
}
