import { WayfarerError } from "./wayfarer-error.ts";

/** The Python trainer exited with an error. Carries the exit code and the last lines it printed. */
export class TrainerWorkerError extends WayfarerError {
  override name = "TrainerWorkerError";
  readonly exitCode: number | null;
  readonly stderrTail: string;

  constructor(message: string, info: { exitCode: number | null; stderrTail: string }) {
    super(message);
    this.exitCode = info.exitCode;
    this.stderrTail = info.stderrTail;
  }
}
