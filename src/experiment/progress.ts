/**
 * Progress of a run, for people and for logs.
 *
 * - On a terminal ({@link createRunView} with `isTTY`): one live status line at the bottom, redrawn in place
 *   (cli-progress MultiBar) — the graph position (`[5/35]`), the current artifact and step, its items
 *   done/total, rate (items/s), ETA, and the run's tokens (prompt + completion) and dollars so far. Log lines
 *   print above it without tearing it.
 * - Elsewhere (CI, pipes): plain lines — a step's count at every 10% — and the log lines; the runner ends
 *   with a summary line (tokens and cost).
 * Machines read `wayfarer run --events` instead (src/experiment/graph/run-graph.ts).
 */
import cliProgress from "cli-progress";
import type { Spend } from "../models/spend.ts";

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
  /** Optional (live views): an artifact starts; `position` is its place in the graph, `[5/35]`. */
  artifact?(position: string, id: string): void;
  /** Optional (live views): the run's tokens and dollars so far (a running total, not an increment). */
  spent?(total: Spend): void;
}

/** Where a view writes: `process.stderr` fits; tests pass a fake that says `isTTY`. */
export interface ViewStream {
  write(s: string): unknown;
  /** True: draw the live status line; otherwise plain lines. */
  isTTY?: boolean;
  /** Terminal width in characters (the status line is cut to it); default 80. */
  columns?: number;
}

/** A {@link Progress} that owns a terminal line: `close()` when the run ends (stops its redraw timer). */
export interface RunView extends Progress {
  /** Draws the status line now (a timer also redraws it 5 times a second). */
  redraw(): void;
  close(): void;
}

/** What the status line shows (see {@link formatStatus}). */
export interface StatusState {
  /** `[5/35]`, or "" before the first artifact. */
  position: string;
  artifact: string;
  /** The current step's label (`generate base`), or "" when no bar is open. */
  label: string;
  done: number;
  total: number;
  /** performance.now() (ms) when the current bar started. */
  startedMs: number;
  /** The current bar's status text (e.g. "3 reused"). */
  status: string;
  spent: Spend;
}

/** 1,234 (en-US grouping, whatever the machine's locale). */
export const formatCount = (n: number): string => Math.round(n).toLocaleString("en-US");

/** Dollars with 4 decimals ($0.0012); small amounts are what a small run costs. */
export const formatUsd = (usd: number): string => `$${usd.toFixed(4)}`;

/** 9s, 2m05s, 1h02m; "--" when unknown. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return "--";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** Items per second: 3.0/s, 0.25/s; "--/s" before the first item. */
export function formatRate(rate: number | null): string {
  if (rate === null || !Number.isFinite(rate) || rate <= 0) return "--/s";
  return `${rate >= 1 ? rate.toFixed(1) : rate.toFixed(2)}/s`;
}

/** "1,234 tokens" plus " $0.0012" when priced. */
export function formatSpend(s: Spend): string {
  return `${formatCount(s.promptTokens + s.completionTokens)} tokens${s.usd !== null ? ` ${formatUsd(s.usd)}` : ""}`;
}

/** Items per second and seconds left of a step at `nowMs` (null when not known yet). */
export function rateAndEta(
  done: number,
  total: number,
  startedMs: number,
  nowMs: number,
): { rate: number | null; etaSeconds: number | null } {
  const seconds = (nowMs - startedMs) / 1000;
  const rate = seconds > 0 && done > 0 ? done / seconds : null;
  const etaSeconds = done >= total && total > 0 ? 0 : rate ? (total - done) / rate : null;
  return { rate, etaSeconds };
}

/**
 * The status line: `[5/35] answers:base | generate base 12/40 30% 3.0/s eta 9s | 1,234 tokens $0.0012`,
 * cut to `width` characters.
 */
export function formatStatus(s: StatusState, nowMs: number, width = 80): string {
  const parts: string[] = [];
  parts.push(`${s.position ? `${s.position} ` : ""}${s.artifact || "starting"}`);
  if (s.label) {
    const { rate, etaSeconds } = rateAndEta(s.done, s.total, s.startedMs, nowMs);
    const pct = s.total > 0 ? ` ${Math.floor((s.done / s.total) * 100)}%` : "";
    parts.push(
      `${s.label} ${s.done}/${s.total}${pct} ${formatRate(rate)} eta ${formatDuration(etaSeconds)}${s.status ? ` ${s.status}` : ""}`,
    );
  }
  parts.push(formatSpend(s.spent));
  const line = parts.join(" | ");
  return line.length > width ? `${line.slice(0, Math.max(0, width - 1))}…` : line;
}

/** Plain progress lines: a step's count at every 10% (and its elapsed seconds). */
function plainBar(write: (s: string) => void, label: string, total: number): ProgressBar {
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
}

/**
 * The run's view on `stream`: the live status line when `stream.isTTY`, plain lines otherwise (see the
 * module doc). `now` (ms, performance.now() by default) is injectable for tests.
 */
export function createRunView(stream: ViewStream, o: { now?: () => number } = {}): RunView {
  const write = (s: string) => {
    stream.write(s);
  };
  if (!stream.isTTY) {
    return {
      log: (m) => write(`${m}\n`),
      bar: (label, total) => plainBar(write, label, total),
      redraw() {},
      close() {},
    };
  }
  const now = o.now ?? (() => performance.now());
  const state: StatusState = {
    position: "",
    artifact: "",
    label: "",
    done: 0,
    total: 0,
    startedMs: now(),
    status: "",
    spent: { promptTokens: 0, completionTokens: 0, usd: null },
  };
  /** Open bars, newest last: the status line shows the newest; stopping it shows the one before. */
  const open: { label: string; total: number; done: number; startedMs: number; status: string }[] = [];
  const show = () => {
    const top = open.at(-1);
    state.label = top?.label ?? "";
    state.total = top?.total ?? 0;
    state.done = top?.done ?? 0;
    state.startedMs = top?.startedMs ?? now();
    state.status = top?.status ?? "";
  };
  const multi = new cliProgress.MultiBar({
    stream: stream as unknown as NodeJS.WritableStream,
    // one column spare: a line of exactly the terminal's width wraps on some terminals
    format: (_options: unknown, params: { maxWidth?: number }) =>
      formatStatus(state, now(), (params.maxWidth ?? 80) - 1),
    // the terminal's state is left alone (no hidden cursor, no line-wrap switch), so a killed run
    // (Ctrl-C) leaves a normal terminal; the line is cut to the width instead
    hideCursor: false,
    linewrap: true,
    clearOnComplete: true,
    // the line is redrawn after every log line (which overwrote it), unchanged or not
    forceRedraw: true,
    fps: 5,
  });
  // The bar's own value/total are unused: the format reads `state`.
  multi.create(1, 0);
  let closed = false;
  return {
    log(message) {
      if (closed) return write(`${message}\n`);
      multi.log(`${message}\n`);
      multi.update();
    },
    bar(label, total) {
      const entry = { label, total, done: 0, startedMs: now(), status: "" };
      open.push(entry);
      show();
      return {
        update(done, status = "") {
          entry.done = done;
          entry.status = status;
          if (open.at(-1) === entry) show();
        },
        stop() {
          const i = open.indexOf(entry);
          if (i >= 0) open.splice(i, 1);
          show();
        },
      };
    },
    artifact(position, id) {
      state.position = position;
      state.artifact = id;
      if (!closed) multi.update();
    },
    spent(total) {
      state.spent = { ...total };
    },
    redraw() {
      if (!closed) multi.update();
    },
    close() {
      if (closed) return;
      closed = true;
      multi.stop();
    },
  };
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
      return plainBar(write, label, total);
    },
  };
}

/** Progress that prints nothing (tests, library use). */
export const SILENT_PROGRESS: Progress = { bar: () => ({ update() {}, stop() {} }), log() {} };
