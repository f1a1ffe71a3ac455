/**
 * Retrieved documents into the prompt, in the form the model was trained on:
 * - `raft`: gorilla RAFT's instruction (`raft.py`): each document as `<DOCUMENT>text</DOCUMENT>\n`, then the
 *   question — what RAFT adapters were trained on (see ../shared/data/wanderchat/raft_reddit_*_cot.jsonl);
 * - `context`: a plain block for models not trained on documents:
 *   `Context:\n[1] text\n\n[2] text\n\nQuestion: question`.
 */
import type { RetrievedDocument } from "../retrieval/index.ts";

/** How documents are put in the prompt (see the module comment). */
export type DocumentFormat = "raft" | "context";

/** The user message for `question` with `documents` (in rank order); the question alone when there are none. */
export function promptWithDocuments(
  question: string,
  documents: readonly Pick<RetrievedDocument, "text">[],
  format: DocumentFormat,
): string {
  if (documents.length === 0) return question;
  switch (format) {
    case "raft":
      return `${documents.map((d) => `<DOCUMENT>${d.text}</DOCUMENT>\n`).join("")}${question}`;
    case "context":
      return `Context:\n${documents.map((d, i) => `[${i + 1}] ${d.text}`).join("\n\n")}\n\nQuestion: ${question}`;
    default:
      return format satisfies never;
  }
}
