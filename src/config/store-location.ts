/**
 * Where the workspace store of an experiment is, for every command that opens it (`run`, `human`,
 * `serve`): one rule, so that ratings created by `human create` are the ones `serve` shows and the
 * `report` of `run` reads, whatever folder each command is started from.
 */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { loadExperiment } from "./load.ts";

/** Store file used when neither an experiment file nor --store is given, relative to the working folder. */
export const DEFAULT_STORE = "runs/wayfarer.sqlite";

/** Where {@link resolveStoreLocation} found the store. */
export interface StoreLocation {
  /** Absolute path of the store file. */
  path: string;
  /** The experiment name: the file's `name:`, or the name given; undefined when neither was given. */
  experiment: string | undefined;
  /** Absolute path of the experiment file, when one was given. */
  experimentFile: string | undefined;
  /**
   * How the path was found: `store` = the --store override; `experiment file` = `<workspace>/wayfarer.sqlite`
   * of the experiment file (what `wayfarer run` uses); `default` = {@link DEFAULT_STORE} in the working folder.
   */
  from: "store" | "experiment file" | "default";
}

/** Options of {@link resolveStoreLocation}. */
export interface StoreLocationOptions {
  /**
   * An experiment file (a path ending in .yaml/.yml/.json, holding a `/`, or naming an existing file) or an
   * experiment name. A file is loaded and validated (errors name its line).
   */
  experiment?: string;
  /** Explicit store file (--store); wins over the experiment file's store. */
  store?: string;
  /** Folder relative paths are resolved against. */
  cwd: string;
}

/** True when `value` names an experiment file rather than an experiment name. */
export function isExperimentFile(value: string, cwd: string): boolean {
  if (/\.(ya?ml|json)$/i.test(value) || value.includes("/") || value.includes("\\")) return true;
  const path = resolve(cwd, value);
  return existsSync(path) && statSync(path).isFile();
}

/**
 * The store of an experiment: `--store` when given; else the store `wayfarer run` uses for the
 * experiment file (`<workspace>/wayfarer.sqlite`, the workspace relative to the file); else
 * {@link DEFAULT_STORE} relative to `cwd` (an experiment given by name only). Throws the loader's
 * InputError/ConfigError for a missing or invalid experiment file.
 */
export async function resolveStoreLocation(opts: StoreLocationOptions): Promise<StoreLocation> {
  let experiment = opts.experiment;
  let experimentFile: string | undefined;
  let fileStore: string | undefined;
  if (opts.experiment !== undefined && isExperimentFile(opts.experiment, opts.cwd)) {
    const exp = await loadExperiment(opts.experiment, opts.cwd);
    experiment = exp.config.name;
    experimentFile = exp.file;
    fileStore = exp.storePath;
  }
  if (opts.store !== undefined)
    return { path: resolve(opts.cwd, opts.store), experiment, experimentFile, from: "store" };
  if (fileStore !== undefined) return { path: fileStore, experiment, experimentFile, from: "experiment file" };
  return { path: resolve(opts.cwd, DEFAULT_STORE), experiment, experimentFile, from: "default" };
}
