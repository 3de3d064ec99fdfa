/**
 * What a client reads of a session record (`Agent.open`'s, src/session-record.ts):
 * the transcript as last written.
 */
import type { AgentMessage } from "../core/types.js";
import type { AgentSessionRecord } from "../session-record.js";
import type { SessionRecord } from "../session-store.js";

/** The transcript: the agent's messages, then the turn in flight's assistant message and the results announced. */
export function recordMessages(record: SessionRecord): AgentMessage[] {
  const { agent, run } = record as unknown as Partial<AgentSessionRecord>;
  const messages: AgentMessage[] = [...(agent?.messages ?? [])];
  if (run?.batch) messages.push(run.batch.message, ...(run.batch.results.slice(0, run.batch.announced) as AgentMessage[]));
  return messages;
}
