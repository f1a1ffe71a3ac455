/**
 * Language identification for the corpus' language filter, with the `eld` npm package (Nito-ELD,
 * "Efficient Language Detector", Apache-2.0, pinned at 2.1.0; byte n-gram model, 60 languages; we
 * load its `small` database, about 1.6 MB). Sources: https://github.com/nitotm/efficient-language-detector-js.
 *
 * A text is judged only when it has at least `minChars` letters and digits and the detector calls
 * its answer reliable; otherwise it is "undetermined" and kept (short comments such as "Thanks!"
 * carry too little signal to drop them).
 */
import { eld } from "eld/small";

/** Name and version of the language-id library, for the corpus card. */
export const LANGUAGE_ID_LIBRARY = "eld@2.1.0 (small database)";

/** The verdict on one text. `language` is an ISO 639-1 code, or null when undetermined. */
export interface LanguageVerdict {
  language: string | null;
  /** True when the text may stay: its language is in `keep`, or it is undetermined. */
  keep: boolean;
}

/** Options of {@link LanguageFilter}. */
export interface LanguageFilterOptions {
  /** ISO 639-1 codes to keep, e.g. ["en"]. */
  keep: readonly string[];
  /** Texts with fewer letters and digits than this are undetermined (kept). */
  minChars: number;
}

/** Decides per text whether its language is one to keep. Holds its own detector instance (no shared state). */
export class LanguageFilter {
  private readonly detector = eld.newInstance();
  private readonly keepSet: Set<string>;

  constructor(private readonly o: LanguageFilterOptions) {
    this.keepSet = new Set(o.keep);
  }

  /** Detects the language of `text` and says whether it is kept (see the module doc). */
  judge(text: string): LanguageVerdict {
    const letters = text.match(/[\p{L}\p{N}]/gu)?.length ?? 0;
    if (letters < this.o.minChars) return { language: null, keep: true };
    const r = this.detector.detect(text);
    if (r.language === "" || !r.isReliable()) return { language: null, keep: true };
    return { language: r.language, keep: this.keepSet.has(r.language) };
  }
}
