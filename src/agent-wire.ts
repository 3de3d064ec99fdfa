/**
 * The wire format between `agentRequestHandler` (tinyagent/server) and
 * `remoteAgent`: SSE events named `snapshot` (the whole mirrored state),
 * `agent` (one AgentEvent) and `status` (state value, tags, what `can()`
 * allows, pending tool calls, usage, error — what changes without an
 * AgentEvent saying so). Text, thinking and tool-argument deltas travel
 * without the partial message (it would make a long reply quadratic on the
 * wire), and nothing the client already holds is sent twice; the client
 * rebuilds the events here, as the proxy client rebuilds a message.
 */
import { parse as parsePartialJson } from "partial-json";
import type { AgentContext, PendingToolCall } from "../machines/agent.machine.js";
import { zeroUsage } from "./core/messages.js";
import type { AgentEvent, AgentMessage, AssistantMessage, AssistantMessageEvent, ThinkingContent, ToolCall, ToolResultMessage, Usage } from "./core/types.js";

/** The inputs whose legality the server reports (its machine's `can()`), so the client's `can()` agrees. */
export const REMOTE_COMMANDS = ["prompt", "continue", "steer", "followUp", "abort", "approve", "reject"] as const;

/** One of {@link REMOTE_COMMANDS}. */
export type RemoteCommand = (typeof REMOTE_COMMANDS)[number];

/** What the server's machine allows now, per command (approve/reject: for any waiting call). */
export type RemoteCan = Record<RemoteCommand, boolean>;

/** What changes without an AgentEvent: sent whenever any of it changes. */
export type WireStatus = {
  value: unknown;
  tags: string[];
  can: RemoteCan;
  pendingToolCalls: PendingToolCall[];
  usage: Usage;
  error: string | undefined;
};

/** Everything the client mirrors: the first event of every stream (and a resync when the transcript was replaced). */
export type WireSnapshot = WireStatus & { messages: AgentMessage[]; streamMessage: AssistantMessage | null };

/** A stream delta without its partial message. */
export type WireDelta = { type: "text_delta" | "thinking_delta" | "toolcall_delta"; contentIndex: number; delta: string };

/** A `message_update` as sent: the change only, never the message so far. */
export type WireUpdate =
  | WireDelta
  | { type: "start"; message: AssistantMessage }
  | { type: "text_start" | "thinking_start" | "text_end"; contentIndex: number }
  | { type: "thinking_end"; contentIndex: number; signature?: string; redacted?: boolean }
  | { type: "toolcall_start"; contentIndex: number; block: ToolCall }
  | { type: "toolcall_end"; contentIndex: number; toolCall: ToolCall };

/**
 * An AgentEvent as sent. What the client already holds is not sent again:
 * `turn_end` and `agent_end` name how many of its last messages they carry.
 */
export type WireAgentEvent =
  | Exclude<AgentEvent, { type: "message_update" | "turn_end" | "agent_end" }>
  | { type: "message_update"; update: WireUpdate }
  | { type: "turn_end"; toolResults: number }
  | { type: "agent_end"; messages: number };

/** The `event:` names of the stream. */
export type WireEventName = "snapshot" | "agent" | "status";

/** The {@link WireStatus} of an agent machine snapshot. */
export function statusOf(snapshot: { value: unknown; tags: Set<string>; context: AgentContext; can(event: never): boolean }): WireStatus {
  const can = (event: object) => snapshot.can(event as never);
  const { context } = snapshot;
  const message = { role: "user", content: "", timestamp: 0 } as const;
  return {
    value: snapshot.value,
    tags: [...snapshot.tags].sort(),
    can: {
      prompt: can({ type: "agent.prompt", messages: [] }),
      continue: can({ type: "agent.continue" }),
      steer: can({ type: "agent.steer", message }),
      followUp: can({ type: "agent.followUp", message }),
      abort: can({ type: "agent.abort" }),
      approve: can({ type: "agent.approve" }),
      reject: can({ type: "agent.reject" }),
    },
    pendingToolCalls: context.pendingToolCalls,
    usage: context.usage,
    error: context.error,
  };
}

/** An AgentEvent made compact for the wire (see {@link WireAgentEvent}). */
export function toWireEvent(event: AgentEvent): WireAgentEvent {
  if (event.type === "turn_end") return { type: "turn_end", toolResults: event.toolResults.length };
  if (event.type === "agent_end") return { type: "agent_end", messages: event.messages.length };
  if (event.type !== "message_update") return event;
  const update = event.assistantMessageEvent;
  switch (update.type) {
    case "text_delta":
    case "thinking_delta":
    case "toolcall_delta":
      return { type: "message_update", update: { type: update.type, contentIndex: update.contentIndex, delta: update.delta } };
    case "start":
      return { type: "message_update", update: { type: "start", message: event.message } };
    case "text_start":
    case "thinking_start":
    case "text_end":
      return { type: "message_update", update: { type: update.type, contentIndex: update.contentIndex } };
    case "thinking_end": {
      const block = event.message.content[update.contentIndex];
      const end: WireUpdate = { type: "thinking_end", contentIndex: update.contentIndex };
      if (block?.type === "thinking" && block.signature !== undefined) end.signature = block.signature;
      if (block?.type === "thinking" && block.redacted) end.redacted = true;
      return { type: "message_update", update: end };
    }
    case "toolcall_start": {
      const block = event.message.content[update.contentIndex];
      return { type: "message_update", update: { type: "toolcall_start", contentIndex: update.contentIndex, block: block as ToolCall } };
    }
    case "toolcall_end":
      return { type: "message_update", update: { type: "toolcall_end", contentIndex: update.contentIndex, toolCall: update.toolCall } };
    default:
      // retry and terminal events never reach message_update; pass anything new through whole.
      return event as never;
  }
}

/**
 * Turns wire events back into the AgentEvents the server's agent emitted,
 * rebuilding the streaming message. Each batch of events produces new
 * message objects (a snapshot never changes under its reader), but the
 * strings grow by appending, never by re-copying the message per delta.
 */
export class WireEventDecoder {
  private message: AssistantMessage | null = null;
  private readonly toolJson = new Map<number, string>();
  private owned = false;

  /** The streaming message so far. */
  get streamMessage(): AssistantMessage | null {
    return this.message;
  }

  /** Starts over from a snapshot's streaming message. */
  reset(message: AssistantMessage | null): void {
    this.message = message;
    this.owned = false;
    this.toolJson.clear();
  }

  /** Call before each batch of events: the batch's first change copies the message, once. */
  beginBatch(): void {
    this.owned = false;
  }

  /** The AgentEvent for `wire`; `messages` is the mirrored transcript before it. */
  decode(wire: WireAgentEvent, messages: readonly AgentMessage[]): AgentEvent {
    switch (wire.type) {
      case "turn_end": {
        const toolResults = messages.slice(messages.length - wire.toolResults) as ToolResultMessage[];
        return { type: "turn_end", message: messages[messages.length - wire.toolResults - 1] as AssistantMessage, toolResults };
      }
      case "agent_end":
        this.reset(null);
        return { type: "agent_end", messages: wire.messages === 0 ? [] : messages.slice(-wire.messages) };
      case "message_start":
        if (wire.message.role === "assistant") this.reset(wire.message);
        return wire;
      case "message_end":
        if (wire.message.role === "assistant") this.reset(null);
        return wire;
      case "message_update":
        return this.update(wire.update);
      default:
        return wire;
    }
  }

  private update(update: WireUpdate): AgentEvent {
    if (update.type === "start") this.reset(update.message);
    const message = this.own();
    const index = "contentIndex" in update ? update.contentIndex : 0;
    const block = message.content[index];
    let event: AssistantMessageEvent;
    switch (update.type) {
      case "start":
        event = { type: "start", partial: message };
        break;
      case "text_start":
        message.content[index] = { type: "text", text: "" };
        event = { type: "text_start", contentIndex: index, partial: message };
        break;
      case "thinking_start":
        message.content[index] = { type: "thinking", thinking: "" };
        event = { type: "thinking_start", contentIndex: index, partial: message };
        break;
      case "text_delta":
        message.content[index] = { type: "text", text: (block?.type === "text" ? block.text : "") + update.delta };
        event = deltaEvent(update, message);
        break;
      case "thinking_delta":
        message.content[index] = {
          ...(block?.type === "thinking" ? block : { type: "thinking" }),
          thinking: (block?.type === "thinking" ? block.thinking : "") + update.delta,
        };
        event = deltaEvent(update, message);
        break;
      case "toolcall_delta": {
        const json = (this.toolJson.get(index) ?? "") + update.delta;
        this.toolJson.set(index, json);
        if (block?.type === "toolCall") message.content[index] = { ...block, arguments: partialArguments(json, block.arguments) };
        event = deltaEvent(update, message);
        break;
      }
      case "text_end":
        event = { type: "text_end", contentIndex: index, content: block?.type === "text" ? block.text : "", partial: message };
        break;
      case "thinking_end": {
        const thinking: ThinkingContent = { type: "thinking", thinking: block?.type === "thinking" ? block.thinking : "" };
        if (update.signature !== undefined) thinking.signature = update.signature;
        if (update.redacted) thinking.redacted = true;
        message.content[index] = thinking;
        event = { type: "thinking_end", contentIndex: index, content: thinking.thinking, partial: message };
        break;
      }
      case "toolcall_start":
        message.content[index] = update.block;
        event = { type: "toolcall_start", contentIndex: index, partial: message };
        break;
      case "toolcall_end":
        message.content[index] = update.toolCall;
        this.toolJson.delete(index);
        event = { type: "toolcall_end", contentIndex: index, toolCall: update.toolCall, partial: message };
        break;
    }
    return { type: "message_update", message, assistantMessageEvent: event };
  }

  /** The message, copied at the batch's first change (an update without a started message starts an empty one). */
  private own(): AssistantMessage {
    if (!this.message) {
      this.message = { role: "assistant", content: [], api: "", provider: "", model: "", usage: zeroUsage(), stopReason: "stop", timestamp: 0 };
      this.owned = true;
    }
    if (!this.owned) {
      this.message = { ...this.message, content: [...this.message.content] };
      this.owned = true;
    }
    return this.message;
  }
}

function partialArguments(json: string, previous: Record<string, unknown>): Record<string, unknown> {
  try {
    const value: unknown = parsePartialJson(json);
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : previous;
  } catch {
    return previous;
  }
}

/**
 * The stream event of a wire delta, as a literal: on Node 20's V8 `{ ...update, partial }` gives every event
 * a hidden class of its own (~3 µs each, per delta).
 */
function deltaEvent(update: WireDelta, partial: AssistantMessage): AssistantMessageEvent {
  return { type: update.type, contentIndex: update.contentIndex, delta: update.delta, partial } as AssistantMessageEvent;
}
