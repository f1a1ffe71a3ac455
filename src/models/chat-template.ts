import { readFileSync } from "node:fs";
import {
  type ChatHistoryItem,
  type ChatWrapper,
  type ChatWrapperGenerateContextStateOptions,
  JinjaTemplateChatWrapper,
  type LlamaModel,
  LlamaText,
  resolveChatWrapper,
  type Token,
} from "node-llama-cpp";
import type { ChatMessage } from "./generator.ts";

/**
 * Chat templates of base GGUFs that carry none, by `general.architecture`. The same files are written
 * into the trained tokenizer by `trainer/base_model.py` (`FALLBACK_CHAT_TEMPLATES`), so training and
 * serving format a conversation from one source. The Gemma-3-270M GGUF we ship (`gemma-3-270m-q4_k_m`)
 * is the pretrained base model and has no `tokenizer.chat_template`.
 */
const FALLBACK_CHAT_TEMPLATES: Readonly<Record<string, string>> = {
  gemma3: "gemma3.jinja",
  gemma2: "gemma3.jinja",
};
const TEMPLATE_DIR = new URL("../../trainer/chat_templates/", import.meta.url);

/** Where a served model's chat format comes from (see `servingChatWrapper`). */
export type ChatTemplateSource = "gguf" | `trainer/chat_templates/${string}` | "node-llama-cpp";

/** The chat wrapper a served model uses, and where its template comes from. */
export interface ServingChatFormat {
  wrapper: ChatWrapper;
  source: ChatTemplateSource;
}

/**
 * The chat wrapper that formats prompts for `model` exactly as the trainer does with
 * `tokenizer.apply_chat_template` (checked byte for byte by test/integration/training/chat-template-parity.test.ts):
 * - the GGUF's own `tokenizer.chat_template`, rendered by node-llama-cpp's Jinja wrapper (not a
 *   "specialized" look-alike, whose details can differ, e.g. its Gemma wrapper joins system and user
 *   with "\n\n---\n\n" where Gemma 3's template uses "\n\n");
 * - else the architecture's template from `trainer/chat_templates/` (Gemma 3);
 * - else node-llama-cpp's own guess (`resolveChatWrapper`), with `source: "node-llama-cpp"`: such a
 *   model has no chat format the trainer knows either.
 */
export function servingChatWrapper(model: LlamaModel): ServingChatFormat {
  let format = FORMATS.get(model);
  if (!format) {
    format = resolveServingFormat(model);
    FORMATS.set(model, format);
  }
  return format;
}

/** One wrapper per loaded model (parsing a Jinja template per request would be wasted work). */
const FORMATS = new WeakMap<LlamaModel, ServingChatFormat>();

function resolveServingFormat(model: LlamaModel): ServingChatFormat {
  const template = model.fileInfo.metadata.tokenizer?.chat_template;
  if (typeof template === "string" && template.trim() !== "") {
    return { wrapper: jinjaWrapper(template), source: "gguf" };
  }
  const file = FALLBACK_CHAT_TEMPLATES[model.fileInfo.metadata.general?.architecture ?? ""];
  if (file) {
    return {
      wrapper: jinjaWrapper(readFileSync(new URL(file, TEMPLATE_DIR), "utf8")),
      source: `trainer/chat_templates/${file}`,
    };
  }
  return { wrapper: resolveChatWrapper(model), source: "node-llama-cpp" };
}

function jinjaWrapper(template: string): ChatWrapper {
  return new TemplateTrimmingJinjaChatWrapper({
    template,
    // a template without system messages fails loudly instead of being rewritten into user turns
    convertUnsupportedSystemMessagesToUserMessages: false,
    // Jinja templates trim or keep whitespace themselves; never strip it a second time
    trimLeadingWhitespaceInResponses: false,
    functionCallMessageTemplate: "noJinja",
  });
}

/**
 * node-llama-cpp renders a Jinja template with placeholders in place of the message texts and splices the
 * texts in afterwards, so filters the template applies to a text never run: Gemma 3's
 * `message['content'] | trim` trimmed the user turn in PyTorch ("Lisbon?<end_of_turn>") but not here
 * ("Lisbon?  \n<end_of_turn>"). This wrapper applies such a trim itself — to user and model texts, the ones
 * the template trims; system texts are spliced untrimmed by both templates we ship.
 */
class TemplateTrimmingJinjaChatWrapper extends JinjaTemplateChatWrapper {
  readonly #trimsContent: boolean;

  constructor(options: ConstructorParameters<typeof JinjaTemplateChatWrapper>[0]) {
    super(options);
    this.#trimsContent = /message\[['"]content['"]\]\s*\|\s*trim\b/.test(options.template);
  }

  override generateContextState(
    options: ChatWrapperGenerateContextStateOptions,
  ): ReturnType<JinjaTemplateChatWrapper["generateContextState"]> {
    if (!this.#trimsContent) return super.generateContextState(options);
    const chatHistory = options.chatHistory.map((item): ChatHistoryItem => {
      if (item.type === "user") return { ...item, text: item.text.trim() };
      if (item.type === "model") {
        const response = item.response.map((r) => (typeof r === "string" ? r.trim() : r));
        return { ...item, response };
      }
      return item;
    });
    return super.generateContextState({ ...options, chatHistory });
  }
}

/**
 * A message text as both sides format it: surrounding whitespace removed (`trainer/chat_format.py`
 * `normalize_messages` does the same to training data). Why: node-llama-cpp tokenizes a message apart from
 * the template text around it, PyTorch tokenizes the whole string, so leading whitespace after the template's
 * "\n" becomes different tokens ("\n" + "  " vs "\n  " in SmolLM2's BPE) even when the bytes are equal.
 */
export function normalizeMessageText(text: string): string {
  return text.trim();
}

/**
 * Wayfarer messages -> node-llama-cpp chat history (system / user / model items, in order, texts through
 * `normalizeMessageText`). The generator passes the last user message to `prompt()` separately (normalized
 * the same way); `renderChatPrompt` appends it here.
 */
export function toChatHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  return messages.map((m): ChatHistoryItem => {
    const text = normalizeMessageText(m.content);
    if (m.role === "system") return { type: "system", text };
    if (m.role === "user") return { type: "user", text };
    return { type: "model", response: [text] };
  });
}

/** A conversation as node-llama-cpp will evaluate it before generating the answer. */
export interface RenderedChatPrompt {
  /** Prompt text with special tokens written out (e.g. `<bos>`, `<|im_start|>`). */
  text: string;
  /** Token ids llama.cpp evaluates. */
  tokens: Token[];
  /** Texts that end generation besides the model's end-of-generation tokens (e.g. `<end_of_turn>`). */
  stopTriggers: string[];
  source: ChatTemplateSource;
}

/**
 * Renders `messages` (ending with a user turn) plus the generation prompt of the assistant turn,
 * the way `LlamaChatSession.prompt` does with the wrapper of `servingChatWrapper`.
 */
export function renderChatPrompt(model: LlamaModel, messages: readonly ChatMessage[]): RenderedChatPrompt {
  const { wrapper, source } = servingChatWrapper(model);
  const state = wrapper.generateContextState({
    chatHistory: [...toChatHistory(messages), { type: "model", response: [] }],
  });
  const tokens = state.contextText.tokenize(model.tokenizer);
  return {
    text: model.detokenize(tokens, true),
    tokens,
    stopTriggers: state.stopGenerationTriggers.map((t) => LlamaText(t).toString()),
    source,
  };
}
