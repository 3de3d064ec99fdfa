export { AgentError } from "./errors.js";
export type { AgentErrorCode } from "./errors.js";
