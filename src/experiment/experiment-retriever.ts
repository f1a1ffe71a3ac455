/**
 * The retrieval index of an experiment for RAG (generate stage, `wayfarer serve`, `wayfarer chat`): the index of
 * its corpus stage output (`<runDir>/corpus`) with the experiment's `retrieval` settings, opened (built or reused,
 * see src/retrieval/index.ts) on first use.
 */
import { join } from "node:path";
import type { LoadedExperiment } from "../config/load.ts";
import { openRetrievalIndex, type RetrievalIndex, type Retriever } from "../retrieval/index.ts";

/** A lazily opened experiment index: `open()` for the Retriever, `dispose()` once done (no-op when never opened). */
export interface ExperimentRetriever {
  open(): Promise<Retriever>;
  dispose(): Promise<void>;
}

/** See the module comment. Errors of opening (no corpus yet, encoder missing) reject `open()`, and a later call retries. */
export function experimentRetriever(exp: LoadedExperiment, env: NodeJS.ProcessEnv): ExperimentRetriever {
  let index: Promise<RetrievalIndex> | undefined;
  return {
    open: () => {
      index ??= openRetrievalIndex({
        corpusDir: join(exp.runDir, "corpus"),
        settings: exp.config.retrieval,
        env,
      }).catch((e: unknown) => {
        index = undefined;
        throw e;
      });
      return index;
    },
    dispose: async () => {
      if (index) await (await index.catch(() => undefined))?.dispose();
      index = undefined;
    },
  };
}
