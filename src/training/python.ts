import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../errors/config-error.ts";
import { TrainerWorkerError } from "../errors/trainer-worker-error.ts";

/** The project root (where `trainer/` and `.venv/` live). */
export const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * The Python interpreter that runs `trainer/`: `$WAYFARER_PYTHON`, else `<project>/.venv/bin/python`.
 * Throws ConfigError with the fix when neither exists.
 */
export function trainerPython(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.WAYFARER_PYTHON;
  if (fromEnv) return fromEnv;
  const venv = `${PROJECT_ROOT}.venv/bin/python`;
  if (!existsSync(venv)) {
    throw new ConfigError(
      `${venv}: the trainer's Python environment is missing; run \`bash scripts/setup.sh\` (or set WAYFARER_PYTHON)`,
    );
  }
  return venv;
}

/** One JSON line the trainer printed on stdout (`{"event": ...}`). */
export interface TrainerEvent {
  event: string;
  [key: string]: unknown;
}

/** Options of {@link runTrainerCommand}. */
export interface RunTrainerOptions {
  /** `python -m trainer` arguments, e.g. `["sft", "--spec", file]`. */
  args: string[];
  /** Interpreter arguments before `args`; default `["-m", "trainer"]` (see accelerateLaunchPrefix). */
  launch?: string[];
  /** Called for every JSON event on stdout, in order. */
  onEvent?: (event: TrainerEvent) => void;
  /** Called with each line the trainer wrote to stderr (human-readable log). */
  onStderr?: (line: string) => void;
  /** Extra environment (e.g. thread counts). */
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

/**
 * Runs `python -m trainer ...` in the project root and resolves with its `done` event. Rejects with
 * TrainerWorkerError (exit code, the trainer's own error message, the last stderr lines) when it
 * fails; a killed run can be restarted (the trainer resumes from its checkpoints).
 */
export function runTrainerCommand(opts: RunTrainerOptions): Promise<TrainerEvent> {
  const python = trainerPython(opts.env ?? process.env);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(python, [...(opts.launch ?? ["-m", "trainer"]), ...opts.args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, PYTHONUNBUFFERED: "1", TOKENIZERS_PARALLELISM: "false", HF_HUB_OFFLINE: "1", ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    let done: TrainerEvent | undefined;
    let errorEvent: TrainerEvent | undefined;
    const stderrTail: string[] = [];
    let outBuf = "";
    let errBuf = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      outBuf += chunk;
      for (let i = outBuf.indexOf("\n"); i !== -1; i = outBuf.indexOf("\n")) {
        const line = outBuf.slice(0, i).trim();
        outBuf = outBuf.slice(i + 1);
        if (!line) continue;
        let event: TrainerEvent;
        try {
          event = JSON.parse(line) as TrainerEvent;
        } catch {
          stderrTail.push(`(stdout) ${line}`);
          continue;
        }
        if (event.event === "done") done = event;
        if (event.event === "error") errorEvent = event;
        opts.onEvent?.(event);
      }
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      errBuf += chunk;
      for (let i = errBuf.indexOf("\n"); i !== -1; i = errBuf.indexOf("\n")) {
        const line = errBuf.slice(0, i);
        errBuf = errBuf.slice(i + 1);
        stderrTail.push(line);
        if (stderrTail.length > 40) stderrTail.shift();
        opts.onStderr?.(line);
      }
    });
    child.on("error", (e) =>
      reject(
        new TrainerWorkerError(`trainer: cannot start ${python}: ${e.message}`, { exitCode: null, stderrTail: "" }),
      ),
    );
    child.on("close", (code) => {
      if (code === 0 && done) return resolvePromise(done);
      const message = typeof errorEvent?.message === "string" ? errorEvent.message : `exited with code ${code}`;
      reject(
        new TrainerWorkerError(`trainer ${opts.args[0]}: ${message}`, {
          exitCode: code,
          stderrTail: stderrTail.slice(-15).join("\n"),
        }),
      );
    });
  });
}
