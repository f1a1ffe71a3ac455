/**
 * Which experiment file a run folder (`<workspace>/<name>/`) belongs to.
 *
 * The experiment `name:` is the identity of a run everywhere: the run folder, and the store rows
 * (generations, scores, rating tasks) that `human`, `serve`, `report` and `meta` look up by name. A
 * copy of an experiment file that keeps the original's name would therefore mix its outputs with the
 * original's — silently, before this check. We refuse instead of keying the folder by a hash of the
 * file path: a hashed folder would still share the store rows, and users of TRL (`output_dir`, which
 * must not already hold another run) and promptfoo (an eval is found by its description/id) expect a
 * readable, predictable output path that they chose, and an error rather than a second copy when two
 * configurations claim it. Giving the copy its own `name:` is all it takes to compare the two.
 *
 * The owner is recorded in `<run folder>/experiment.json`. A folder without one (written before this
 * record existed), or whose recorded file no longer exists (moved or renamed), is claimed by the file
 * that runs now; so is a folder whose owner sits at the same place relative to the folder as the file
 * that runs now (the whole project was copied or moved: the copy's run folder and store are its own).
 */
import { existsSync, realpathSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import type { LoadedExperiment } from "../config/load.ts";
import { ConfigError } from "../errors/config-error.ts";

/** Contents of `<run folder>/experiment.json`. */
export interface RunFolderOwner {
  /** Absolute, symlink-free path of the experiment file that owns the folder. */
  file: string;
  /** The experiment name (the folder's name). */
  name: string;
  /** When the file first claimed the folder (ISO 8601). */
  claimedAt: string;
  /** Absolute, symlink-free path of the run folder when it was claimed (absent in older records). */
  runDir?: string;
}

/** File name of the owner record inside a run folder. */
export const RUN_OWNER_FILE = "experiment.json";

const real = (p: string) => (existsSync(p) ? realpathSync(p) : p);

/**
 * Claims `exp.runDir` for `exp.file`, or throws ConfigError when another existing experiment file with
 * the same name owns it. Creates the folder and writes the record when it is new. Returns the owner.
 */
export async function claimRunFolder(exp: LoadedExperiment, now = new Date()): Promise<RunFolderOwner> {
  const file = real(exp.file);
  const record = join(exp.runDir, RUN_OWNER_FILE);
  if (existsSync(record)) {
    let owner: RunFolderOwner | undefined;
    try {
      owner = JSON.parse(await readFile(record, "utf8")) as RunFolderOwner;
    } catch {
      owner = undefined; // unreadable record: claimed anew below
    }
    if (owner && typeof owner.file === "string") {
      if (real(owner.file) === file) return owner;
      const copiedTree =
        typeof owner.runDir === "string" && relative(owner.runDir, owner.file) === relative(real(exp.runDir), file);
      if (existsSync(owner.file) && !copiedTree)
        throw new ConfigError(
          `${exp.file}: experiment name "${exp.config.name}" is already used by ${owner.file}, whose runs are in ${exp.runDir}; ` +
            `two files with one name would overwrite each other's outputs and share their rows in the store. ` +
            `Give this file its own name (name: ${exp.config.name}-2, for example), or delete ${exp.runDir} to start it over`,
        );
    }
  }
  await mkdir(exp.runDir, { recursive: true });
  const owner: RunFolderOwner = { file, name: exp.config.name, claimedAt: now.toISOString(), runDir: real(exp.runDir) };
  await writeFile(record, `${JSON.stringify(owner, null, 2)}\n`);
  return owner;
}
