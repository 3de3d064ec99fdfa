/**
 * Builds one streamed AssistantMessage from provider deltas and produces the
 * section-2 events. Shared by every adapter so all of them rebuild a message
 * the same way. Hot path: each delta is kept and emits one event; the message
 * is mutated in place, never copied.
 */
import { parse as parsePartialJson } from "partial-json";
import type { AssistantMessage, AssistantMessageEvent, StopReason, TextContent, ThinkingContent, ToolCall, Usage } from "../src/core/types.js";
import { zeroUsage } from "../src/core/messages.js";
import { isRecord } from "../src/core/message-checks.js";

/** Zeroed usage: the core's one helper, under the name the adapters use. */
export const emptyUsage = zeroUsage;

/**
 * The open text or thinking block. Its deltas are kept as pieces and joined
 * when the block's `text`/`thinking` is read (an accessor until the block
 * closes, then plain data): a consumer appending the deltas keeps one copy of
 * the text live already, and a second `+=` chain here doubled what the young
 * generation's GC copies (~80 ns per delta).
 */
type OpenBlock = { kind: "text" | "thinking"; contentIndex: number; block: TextContent | ThinkingContent; text: string; pieces: string[] };

/**
 * Where an open block keeps its state: on the block itself, under a
 * non-enumerable symbol (invisible to JSON, spread, `Object.keys` and
 * equality checks). A copy made from the block's property descriptors
 * (`Object.defineProperties({}, Object.getOwnPropertyDescriptors(block))`)
 * copies the symbol with the accessor, so it reads the same text; a
 * WeakMap keyed by the block missed on such a copy and threw.
 */
const OPEN_BLOCK = Symbol("tinyagent.openBlock");
type Holder = { [OPEN_BLOCK]?: OpenBlock };

/**
 * Pieces per batch: a full batch is joined onto the block's text, so the
 * array stays short (and, likely why it pays, young: one that grew with the
 * whole block lived in old space, where each push of a young string is a
 * remembered-set entry). 0.96–0.99× per delta against one growing array.
 */
const PIECES_PER_JOIN = 256;

const readText = (open: OpenBlock): string => {
  if (open.pieces.length > 0) {
    open.text += open.pieces.join("");
    open.pieces = [];
  }
  return open.text;
};
const dataProperty = (value: string): PropertyDescriptor => ({ value, writable: true, enumerable: true, configurable: true });
// One getter and setter for every block, so the blocks keep one hidden class.
function accessor(kind: "text" | "thinking"): PropertyDescriptor {
  return {
    get(this: Holder) {
      const open = this[OPEN_BLOCK];
      return open === undefined ? "" : readText(open);
    },
    set(this: Holder, value: string) {
      const open = this[OPEN_BLOCK];
      // A copy that is written to becomes plain data; the streaming block is untouched.
      if (open === undefined || open.block !== (this as object)) {
        Object.defineProperty(this, kind, dataProperty(value));
        return;
      }
      open.text = value;
      open.pieces = [];
    },
    enumerable: true,
    configurable: true,
  };
}
const TEXT_ACCESSOR = accessor("text");
const THINKING_ACCESSOR = accessor("thinking");

/** A tool call still streaming: its raw argument text grows until `finish`. */
type OpenToolCall = { block: ToolCall; contentIndex: number; json: string; parsedAtLength: number; parsed?: Record<string, unknown> };

/**
 * Incrementally assembles an assistant message.
 * @example
 * const b = new AssistantMessageBuilder({ api: "openai-completions", provider: "openai", model: "gpt" }, (e) => sub.next(e));
 * b.text("Hel"); b.text("lo"); b.finish("stop");
 */
export class AssistantMessageBuilder {
  /** The message so far; the `partial` of every event. */
  readonly message: AssistantMessage;
  private started = false;
  private ended = false;
  /** The open text or thinking block, closed when another kind of block begins. */
  private openBlock: OpenBlock | undefined;
  private readonly toolCalls = new Map<string | number, OpenToolCall>();
  /** The call of the last {@link toolCallArguments}, so consecutive deltas of one call skip the map (a fresh key string is hashed per lookup). */
  private lastCallKey: string | number | undefined;
  private lastCall: OpenToolCall | undefined;

  constructor(
    meta: { api: string; provider: string; model: string },
    private readonly emit: (event: AssistantMessageEvent) => void,
  ) {
    this.message = {
      role: "assistant",
      content: [],
      api: meta.api,
      provider: meta.provider,
      model: meta.model,
      usage: emptyUsage(),
      stopReason: "stop",
      timestamp: Date.now(),
    };
  }

  /** True once `finish` or `fail` ran. */
  get isEnded(): boolean {
    return this.ended;
  }

  /** True once any content or tool call arrived. */
  get hasContent(): boolean {
    return this.message.content.length > 0;
  }

  /** Emits `start` (once). Called implicitly by every delta. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.emit({ type: "start", partial: this.message });
  }

  /** Appends visible text; a signature, when given, is kept on the block. */
  text(delta: string, signature?: string): void {
    this.append("text", delta, signature);
  }

  /** Appends reasoning text; a signature, when given, is kept on the block. */
  thinking(delta: string, signature?: string): void {
    this.append("thinking", delta, signature);
  }

  private append(kind: "text" | "thinking", delta: string, signature: string | undefined): void {
    if (delta === "" && signature === undefined) return;
    const open = this.open(kind);
    if (signature !== undefined) open.block.signature = (open.block.signature ?? "") + signature;
    if (delta === "") return;
    if (open.pieces.push(delta) === PIECES_PER_JOIN) {
      open.text += open.pieces.join("");
      open.pieces = [];
    }
    this.emit({ type: kind === "text" ? "text_delta" : "thinking_delta", contentIndex: open.contentIndex, delta, partial: this.message });
  }

  /**
   * Appends a tool-call fragment. `key` identifies the call across fragments
   * (OpenAI's `index`); the first fragment of a key opens the call, and its
   * `signature` (Gemini's thought signature) is kept on it. Fragments of
   * different keys may interleave. `parsed`, given with a call's whole
   * `arguments` in its first fragment (Gemini's `args`), is their parse:
   * the text is then not parsed again.
   */
  toolCall(key: string | number, fragment: { id?: string; name?: string; arguments?: string; signature?: string; parsed?: Record<string, unknown> }): void {
    this.start();
    let call = this.toolCalls.get(key);
    if (!call) {
      this.closeOpenBlock();
      const block: ToolCall = { type: "toolCall", id: fragment.id ?? "", name: fragment.name ?? "", arguments: {} };
      call = { block, contentIndex: this.message.content.push(block) - 1, json: "", parsedAtLength: 0 };
      this.toolCalls.set(key, call);
      this.emit({ type: "toolcall_start", contentIndex: call.contentIndex, partial: this.message });
      if (fragment.signature) block.signature = fragment.signature;
    } else {
      if (fragment.id && !call.block.id) call.block.id = fragment.id;
      if (fragment.name && !call.block.name) call.block.name = fragment.name;
      // A call whose first fragment came without it (a Responses delta before its item) gets it later.
      if (fragment.signature && !call.block.signature) call.block.signature = fragment.signature;
    }
    const delta = fragment.arguments;
    if (!delta) return;
    if (fragment.parsed && call.json === "") {
      call.json = delta;
      call.parsedAtLength = delta.length;
      call.parsed = call.block.arguments = fragment.parsed;
      this.emit({ type: "toolcall_delta", contentIndex: call.contentIndex, delta, partial: this.message });
      return;
    }
    this.appendArguments(call, delta);
  }

  /**
   * Appends argument text to the tool call of `key`: {@link toolCall} with
   * only `arguments`, the per-delta path of a streamed call (no fragment
   * object, no id/name/signature checks). A new `key` opens the call.
   */
  toolCallArguments(key: string | number, delta: string): void {
    let call = this.lastCall;
    if (call === undefined || key !== this.lastCallKey) {
      call = this.toolCalls.get(key);
      if (call === undefined) return this.toolCall(key, { arguments: delta });
      this.lastCallKey = key;
      this.lastCall = call;
    }
    if (delta !== "") this.appendArguments(call, delta);
  }

  private appendArguments(call: OpenToolCall, delta: string): void {
    call.parsed = undefined;
    call.json += delta;
    // Re-parse only when the text has doubled since the last parse: linear overall.
    if (call.json.length >= 2 * call.parsedAtLength) {
      call.parsedAtLength = call.json.length;
      call.block.arguments = bestEffortArguments(call.json);
    }
    this.emit({ type: "toolcall_delta", contentIndex: call.contentIndex, delta, partial: this.message });
  }

  /**
   * Adds a reasoning block the provider sent encrypted only (Anthropic's
   * `redacted_thinking`): no text, the opaque data kept as its `signature`.
   */
  redactedThinking(data: string): void {
    this.start();
    this.closeOpenBlock();
    const block: ThinkingContent = { type: "thinking", thinking: "", signature: data, redacted: true };
    const contentIndex = this.message.content.push(block) - 1;
    this.emit({ type: "thinking_start", contentIndex, partial: this.message });
    this.emit({ type: "thinking_end", contentIndex, content: "", partial: this.message });
  }

  /** Finishes the tool call of `key` now (parsed arguments, `toolcall_end`), for wire formats that mark a block's end. */
  endToolCall(key: string | number): void {
    const call = this.toolCalls.get(key);
    if (!call) return;
    this.toolCalls.delete(key);
    if (call === this.lastCall) this.lastCall = this.lastCallKey = undefined;
    this.endCall(call);
  }

  /**
   * Closes the open text or thinking block now (emits its `*_end`), so the
   * next delta of the same kind opens a new block. For providers whose wire
   * format marks block ends explicitly (the proxy client).
   */
  endBlock(): void {
    this.closeOpenBlock();
  }

  /** Sets the message's usage (providers report it once, at the end). */
  setUsage(usage: Usage): void {
    this.message.usage = usage;
  }

  /** Closes every open block and emits `done`. */
  finish(reason: "stop" | "length" | "toolUse"): void {
    if (this.ended) return;
    this.start();
    this.closeAll();
    this.ended = true;
    this.message.stopReason = reason;
    this.emit({ type: "done", reason, message: this.message });
  }

  /** Ends the message with an error, keeping what arrived so far, and emits `error`. */
  fail(reason: "error" | "aborted", errorMessage: string): void {
    if (this.ended) return;
    this.closeAll();
    this.ended = true;
    this.message.stopReason = reason satisfies StopReason;
    this.message.errorMessage = errorMessage;
    this.emit({ type: "error", reason, error: this.message });
  }

  private open(kind: "text" | "thinking"): OpenBlock {
    this.start();
    if (this.openBlock?.kind === kind) return this.openBlock;
    this.closeOpenBlock();
    const block = { type: kind } as TextContent | ThinkingContent;
    const open: OpenBlock = { kind, contentIndex: this.message.content.push(block) - 1, block, text: "", pieces: [] };
    Object.defineProperty(block, kind, kind === "text" ? TEXT_ACCESSOR : THINKING_ACCESSOR);
    Object.defineProperty(block, OPEN_BLOCK, { value: open, writable: true, enumerable: false, configurable: true });
    this.openBlock = open;
    this.emit({ type: kind === "text" ? "text_start" : "thinking_start", contentIndex: open.contentIndex, partial: this.message });
    return open;
  }

  private closeOpenBlock(): void {
    const open = this.openBlock;
    if (!open) return;
    this.openBlock = undefined;
    const content = readText(open);
    Object.defineProperty(open.block, open.kind, dataProperty(content));
    // Deleted last-added, so the closed block keeps a fast (non-dictionary) shape.
    delete (open.block as Holder)[OPEN_BLOCK];
    const type = open.kind === "text" ? "text_end" : "thinking_end";
    this.emit({ type, contentIndex: open.contentIndex, content, partial: this.message });
  }

  private closeAll(): void {
    this.closeOpenBlock();
    for (const call of this.toolCalls.values()) this.endCall(call);
    this.toolCalls.clear();
    this.lastCall = this.lastCallKey = undefined;
  }

  private endCall(call: OpenToolCall): void {
    if (call.parsed) call.block.arguments = call.parsed;
    else Object.assign(call.block, finalArguments(call.json));
    this.emit({ type: "toolcall_end", contentIndex: call.contentIndex, toolCall: call.block, partial: this.message });
  }
}

function bestEffortArguments(json: string): Record<string, unknown> {
  try {
    const value: unknown = parsePartialJson(json);
    return isRecord(value) ? value : {};
  } catch {
    return {};
  }
}

/**
 * The exact parse of a finished call's argument text. Unparseable text is
 * kept as `invalidArguments` with the parse error, so the tool layer can tell
 * the model what was wrong.
 */
export function finalArguments(json: string): Pick<ToolCall, "arguments" | "invalidArguments"> {
  if (json.trim() === "") return { arguments: {} };
  try {
    const value: unknown = JSON.parse(json);
    if (isRecord(value)) return { arguments: value };
    return { arguments: {}, invalidArguments: { raw: json, error: "arguments must be a JSON object" } };
  } catch (error) {
    return { arguments: {}, invalidArguments: { raw: json, error: (error as Error).message } };
  }
}
