/**
 * `tinyagent/otel`: OpenTelemetry spans for agent runs, model calls and tool
 * calls (GenAI semantic conventions). Needs the optional peer
 * `@opentelemetry/api`.
 */
export { GEN_AI, instrumentAgent } from "./instrument-agent.js";
export type { InstrumentableAgent, InstrumentAgentOptions } from "./instrument-agent.js";
