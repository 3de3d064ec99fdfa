/**
 * `tinyagent/react`: `useAgent(agentOrRemote)` (contract §13). Needs the
 * optional peers `react` and `@xstate/react`.
 */
export { useAgent } from "./use-agent.js";
export type { AgentLike, UseAgentCanEvent, UseAgentResult } from "./use-agent.js";
