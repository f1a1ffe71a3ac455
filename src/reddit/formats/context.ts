import type { ImportTally } from "../report.ts";

/** What every format reader gets: the file, the tally to skip/warn into, and a progress hook. */
export interface ReaderContext {
  file: string;
  tally: ImportTally;
  /** Called now and then with the number of source records read so far in `file`. */
  progress: (records: number) => void;
}

/** Calls `progress` every `every` records (and never more often). */
export function throttle(progress: (records: number) => void, every = 10_000): (records: number) => void {
  return (records) => {
    if (records % every === 0) progress(records);
  };
}
