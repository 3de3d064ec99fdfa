/**
 * The one error class tinyagent throws, for misuse of its API. Runtime
 * failures (provider, tool) are data: terminal events and error results.
 */

/** What kind of misuse an {@link AgentError} reports. */
export type AgentErrorCode =
  | "agent-busy"
  | "no-model"
  | "invalid-continue"
  | "invalid-tool"
  | "duplicate-tool"
  | "invalid-input"
  | "unknown-tool-call"
  | "session-conflict";

/**
 * Thrown when the API is misused; `message` names the bad value and the fix.
 * @example
 * try { await agent.prompt("hi") } catch (e) { if (e instanceof AgentError && e.code === "agent-busy") … }
 */
export class AgentError extends Error {
  override readonly name = "AgentError";
  constructor(
    /** Stable machine-readable kind. */
    readonly code: AgentErrorCode,
    message: string,
  ) {
    super(message);
  }
}
