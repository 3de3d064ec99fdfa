/**
 * The one error class tinyagent throws, for misuse of its API (and for a
 * `promptObject` answer that never matched its schema). Runtime failures
 * (provider, tool) are data: terminal events and error results.
 */
import type { StandardIssue } from "./standard-schema.js";
import type { AssistantMessage } from "./types.js";

/** What kind of misuse an {@link AgentError} reports. */
export type AgentErrorCode =
  | "agent-busy"
  | "no-model"
  | "invalid-continue"
  | "invalid-tool"
  | "duplicate-tool"
  | "invalid-input"
  | "unknown-tool-call"
  | "session-conflict"
  /** A session store failed to save a checkpoint, so the agent stopped its run (see `Agent.open`). */
  | "session-store-failed"
  | "invalid-output"
  /** A remote agent's server could not be reached or failed (see `remoteAgent`). */
  | "remote-failed"
  /** An MCP server could not be started or reached (see `connectMcpServer`). */
  | "mcp-server-failed"
  /** The agent was disposed (`agent.dispose()`); make a new one. */
  | "disposed";

/**
 * Thrown when the API is misused; `message` names the bad value and the fix.
 * @example
 * try { await agent.prompt("hi") } catch (e) { if (e instanceof AgentError && e.code === "agent-busy") … }
 */
export class AgentError extends Error {
  override readonly name = "AgentError";
  /** For "invalid-output": the run's last assistant message, whose text did not match the schema. */
  readonly lastMessage?: AssistantMessage;
  /** For "invalid-output": the validator's issues with that text, when it parsed as JSON. */
  readonly issues?: readonly StandardIssue[];
  constructor(
    /** Stable machine-readable kind. */
    readonly code: AgentErrorCode,
    message: string,
    details: { lastMessage?: AssistantMessage; issues?: readonly StandardIssue[] } = {},
  ) {
    super(message);
    if (details.lastMessage) this.lastMessage = details.lastMessage;
    if (details.issues) this.issues = details.issues;
  }
}

/**
 * What a thrown value says, for an error message. Never throws itself: user
 * code may throw anything, including an object without `toString`
 * (`Object.create(null)`), whose `String()` would throw again where the
 * failure was being reported.
 */
export function errorText(error: unknown): string {
  try {
    if (error instanceof Error) return typeof error.message === "string" ? error.message : String(error.message);
    return String(error);
  } catch {
    return "a thrown value that cannot be shown as text";
  }
}
