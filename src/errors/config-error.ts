import { WayfarerError } from "./wayfarer-error.ts";

/** An experiment file or CLI option that cannot work; the message says what, why and the fix. */
export class ConfigError extends WayfarerError {
  override name = "ConfigError";
}
