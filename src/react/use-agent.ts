/**
 * `useAgent`: one hook for a local `Agent` or a `remoteAgent`, so a UI is
 * written once. It reads the actor's snapshot with @xstate/react's
 * `useSelector`; both actors make one snapshot per batch of deltas (the
 * machine per stream burst, the remote per network read), so the component
 * renders once per batch, not per delta.
 */
import { useSelector } from "@xstate/react";
import { useMemo } from "react";
import {
  selectError,
  selectPendingToolCalls,
  selectStateName,
  selectStreamingText,
  selectTranscript,
  selectUsage,
  type AgentMessage,
  type AgentSnapshotLike,
  type AgentStateName,
  type AssistantMessage,
  type PendingToolCall,
  type Usage,
} from "../index.js";

/** An input `can()` is asked about: the agent machine's event types. */
export type UseAgentCanEvent = {
  type: "agent.prompt" | "agent.continue" | "agent.steer" | "agent.followUp" | "agent.abort" | "agent.approve" | "agent.reject";
  toolCallId?: string;
};

/** The calls an agent takes, which `useAgent` hands on. */
type AgentCalls = {
  /** Starts a run with a user message. */
  prompt(text: string): Promise<unknown>;
  /** Queues a message for the running turn. */
  steer(text: string): unknown;
  /** Queues a message for after the run. */
  followUp(text: string): unknown;
  /** Aborts the run. */
  abort(): unknown;
  /** Lets a tool call that awaits approval run. */
  approve(toolCallId: string): unknown;
  /** Refuses a tool call that awaits approval; `reason` goes to the model. */
  reject(toolCallId: string, reason?: string): unknown;
};

/** What `useAgent` accepts: an `Agent` or a `RemoteAgent` (anything with such an actor and methods). */
export type AgentLike = AgentCalls & {
  /** The agent's actor, whose snapshots the hook reads. */
  actor: {
    getSnapshot(): AgentSnapshotLike & { can(event: never): boolean };
    subscribe(observer: (snapshot: unknown) => void): { unsubscribe(): void };
  };
};

/** What `useAgent` returns. */
export type UseAgentResult = AgentCalls & {
  transcript: readonly AgentMessage[];
  streamMessage: AssistantMessage | null;
  streamingText: string;
  state: AgentStateName;
  pendingToolCalls: readonly PendingToolCall[];
  usage: Usage;
  error: string | undefined;
  /** Whether the input is legal now (the machine's own `can()`, mirrored for a remote agent). */
  can(event: UseAgentCanEvent): boolean;
};

const blank = { role: "user", content: "", timestamp: 0 } as const;

/**
 * The agent's transcript, streaming message, state, `can()` and actions, re-rendered once per batch.
 * @example
 * const { transcript, streamingText, can, prompt } = useAgent(agent); // or useAgent(remoteAgent({ url, sessionId }))
 */
export function useAgent(agent: AgentLike): UseAgentResult {
  // useSelector takes any actor; its snapshot type is ours.
  const actor = agent.actor as unknown as Parameters<typeof useSelector>[0];
  const snapshot = useSelector(actor, (s) => s as AgentSnapshotLike & { can(event: never): boolean });
  return useMemo(
    () => ({
      transcript: selectTranscript(snapshot),
      streamMessage: snapshot.context.streamMessage,
      streamingText: selectStreamingText(snapshot),
      state: selectStateName(snapshot),
      pendingToolCalls: selectPendingToolCalls(snapshot),
      usage: selectUsage(snapshot),
      error: selectError(snapshot),
      can: (event) => snapshot.can({ messages: [], message: blank, ...event } as never),
      prompt: (text) => agent.prompt(text),
      steer: (text) => agent.steer(text),
      followUp: (text) => agent.followUp(text),
      abort: () => agent.abort(),
      approve: (toolCallId) => agent.approve(toolCallId),
      reject: (toolCallId, reason) => agent.reject(toolCallId, reason),
    }),
    [snapshot, agent],
  );
}
