/**
 * The actor logic behind `remoteAgent`: a mirror of a server agent's machine
 * snapshot, fed with the frames of its event stream. Its snapshot has what a
 * UI reads from `agent.actor` — `value`, `context.messages`,
 * `context.streamMessage`, `context.pendingToolCalls`, `hasTag()`, `can()`,
 * `matches()` — so the selectors and a UI work unchanged on either. `value`,
 * tags and `can()` are the server machine's own (sent in status frames), so
 * one place still decides what input is legal. The server's AgentEvents are
 * re-emitted (`actor.on(type, …)`), rebuilt whole from the compact wire.
 */
import { matchesState, type ActorLogic, type ActorSystem, type ActorSystemInfo, type StateValue } from "xstate";
import type { PendingToolCall } from "../machines/agent.machine.js";
import { WireEventDecoder, type RemoteCan, type WireAgentEvent, type WireSnapshot, type WireStatus } from "./agent-wire.js";
import { zeroUsage } from "./core/messages.js";
import type { AgentEvent, AgentMessage, AssistantMessage, Usage } from "./core/types.js";

/** Where the remote's event stream stands. */
export type RemoteConnection = "connecting" | "open" | "reconnecting" | "closed";

/** The mirrored context: the agent context's parts a UI reads, and the connection. */
export type RemoteAgentContext = {
  messages: AgentMessage[];
  streamMessage: AssistantMessage | null;
  pendingToolCalls: PendingToolCall[];
  usage: Usage;
  error: string | undefined;
  connection: RemoteConnection;
  /** Why the stream is closed or reconnecting, if it failed. */
  connectionError: string | undefined;
  /** The id of the last frame applied (sent back as `Last-Event-ID` on reconnect). */
  lastEventId: string | undefined;
  /** The id of the frame at which the last run was seen to end. */
  lastRunEndId: string | undefined;
};

/** An input the mirror can be asked about with `can()` (the agent machine's event types). */
export type RemoteCanEvent = { type: string; toolCallId?: string };

/** The remote actor's snapshot (shaped like an agent machine snapshot). */
export type RemoteAgentSnapshot = {
  status: "active";
  output: undefined;
  error: undefined;
  value: StateValue;
  tags: ReadonlySet<string>;
  context: RemoteAgentContext;
  /** What the server's machine allows now (approve/reject: for a call waiting with that id). */
  can(event: RemoteCanEvent): boolean;
  hasTag(tag: string): boolean;
  matches(value: StateValue): boolean;
  /** @internal the server's answers to `can()` and the stream decoder */
  readonly mirror: { can: RemoteCan; decoder: WireEventDecoder };
};

/** One parsed SSE frame. */
export type RemoteFrame = { id: string | undefined; name: string | undefined; data: unknown };

/** What the remote actor takes. */
export type RemoteAgentEvent = { type: "remote.frames"; frames: RemoteFrame[] } | { type: "remote.connection"; connection: RemoteConnection; error?: string };

const COMMAND_OF: Record<string, keyof RemoteCan> = {
  "agent.prompt": "prompt",
  "agent.continue": "continue",
  "agent.steer": "steer",
  "agent.followUp": "followUp",
  "agent.abort": "abort",
  "agent.approve": "approve",
  "agent.reject": "reject",
};

const NOTHING_ALLOWED: RemoteCan = { prompt: false, continue: false, steer: false, followUp: false, abort: false, approve: false, reject: false };

function snapshotOf(value: StateValue, tags: ReadonlySet<string>, context: RemoteAgentContext, mirror: RemoteAgentSnapshot["mirror"]): RemoteAgentSnapshot {
  return {
    status: "active",
    output: undefined,
    error: undefined,
    value,
    tags,
    context,
    mirror,
    hasTag: (tag) => tags.has(tag),
    matches: (parent) => matchesState(parent, value),
    can: (event) => {
      const command = COMMAND_OF[event.type];
      if (!command || !mirror.can[command]) return false;
      if ((command === "approve" || command === "reject") && event.toolCallId !== undefined) {
        return context.pendingToolCalls.some((call) => call.status === "awaitingApproval" && call.toolCallId === event.toolCallId);
      }
      return true;
    },
  };
}

/** Applies one batch of frames (one network read): one new snapshot, so a UI renders once per batch. */
function applyFrames(snapshot: RemoteAgentSnapshot, frames: RemoteFrame[], emit: (event: AgentEvent) => void): RemoteAgentSnapshot {
  let { value, tags } = snapshot;
  let can = snapshot.mirror.can;
  const decoder = snapshot.mirror.decoder;
  const context = { ...snapshot.context };
  decoder.beginBatch();
  for (const frame of frames) {
    if (frame.id !== undefined) context.lastEventId = frame.id;
    if (frame.name === "snapshot" || frame.name === "status") {
      const status = frame.data as WireStatus;
      value = status.value as StateValue;
      tags = new Set(status.tags);
      can = status.can;
      Object.assign(context, { pendingToolCalls: status.pendingToolCalls, usage: status.usage, error: status.error });
      if (frame.name === "snapshot") {
        const full = frame.data as WireSnapshot;
        context.messages = full.messages;
        decoder.reset(full.streamMessage);
        if (value === "idle") context.lastRunEndId = frame.id;
      }
    } else if (frame.name === "agent") {
      const event = decoder.decode(frame.data as WireAgentEvent, context.messages);
      if (event.type === "message_end") context.messages = [...context.messages, event.message];
      else if (event.type === "agent_end") context.lastRunEndId = frame.id;
      else if (event.type === "tool_execution_update") {
        context.pendingToolCalls = context.pendingToolCalls.map((call) =>
          call.toolCallId === event.toolCallId ? { ...call, partialResult: event.partialResult } : call,
        );
      }
      emit(event);
    }
  }
  context.streamMessage = decoder.streamMessage;
  return snapshotOf(value, tags, context, { can, decoder });
}

/** The remote agent's actor logic (see the module comment). */
export const remoteAgentLogic: ActorLogic<RemoteAgentSnapshot, RemoteAgentEvent, void, ActorSystem<ActorSystemInfo>, AgentEvent> = {
  getInitialSnapshot: () =>
    snapshotOf(
      "idle",
      new Set(),
      {
        messages: [],
        streamMessage: null,
        pendingToolCalls: [],
        usage: zeroUsage(),
        error: undefined,
        connection: "connecting",
        connectionError: undefined,
        lastEventId: undefined,
        lastRunEndId: undefined,
      },
      { can: NOTHING_ALLOWED, decoder: new WireEventDecoder() },
    ),
  transition: (snapshot, event, scope) => {
    if (event.type === "remote.connection") {
      const context = { ...snapshot.context, connection: event.connection, connectionError: event.error };
      return snapshotOf(snapshot.value, snapshot.tags, context, snapshot.mirror);
    }
    return applyFrames(snapshot, event.frames, (agentEvent) => scope.emit(agentEvent));
  },
  getPersistedSnapshot: (snapshot) => ({ status: "active", output: undefined, error: undefined, value: snapshot.value, context: snapshot.context }),
};
