import cliProgress from "cli-progress";

/** A progress bar for one long step (`update` with the count done so far; `stop` when finished). */
export interface ProgressBar {
  update(done: number, status?: string): void;
  stop(): void;
}

/** Creates progress bars: a live bar on a terminal, else a line at every 10% (CI logs stay short). */
export interface Progress {
  bar(label: string, total: number): ProgressBar;
  /** A one-line message (stage started, skipped, counts). */
  log(message: string): void;
}

/** Progress on `write` (stderr). `interactive` = draw live bars. */
export function createProgress(write: (s: string) => void, interactive: boolean): Progress {
  return {
    log: (message) => write(`${message}\n`),
    bar(label, total) {
      if (interactive) {
        const bar = new cliProgress.SingleBar(
          {
            format: `  ${label} [{bar}] {value}/{total} {percentage}% eta {eta_formatted} {status}`,
            stream: {
              write: (s: string) => {
                write(s);
                return true;
              },
            } as unknown as NodeJS.WritableStream,
            hideCursor: false,
            clearOnComplete: false,
            etaBuffer: 20,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, 0, { status: "" });
        return { update: (done, status = "") => bar.update(done, { status }), stop: () => bar.stop() };
      }
      let lastDecile = -1;
      const started = performance.now();
      return {
        update(done, status = "") {
          const decile = total > 0 ? Math.floor((done / total) * 10) : 10;
          if (decile > lastDecile) {
            lastDecile = decile;
            const s = ((performance.now() - started) / 1000).toFixed(0);
            write(`  ${label}: ${done}/${total} (${s}s)${status ? ` ${status}` : ""}\n`);
          }
        },
        stop() {},
      };
    },
  };
}

/** Progress that prints nothing (tests, library use). */
export const SILENT_PROGRESS: Progress = { bar: () => ({ update() {}, stop() {} }), log() {} };
