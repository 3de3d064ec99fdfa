export { AgentError } from "./core/errors.js";
export type { AgentErrorCode } from "./core/errors.js";
export { Agent } from "./agent.js";
export type { AgentState, PromptOptions } from "./agent.js";
export type { OutputSchema, PromptObjectOptions } from "./prompt-object.js";
export type { AgentOptions } from "./agent-options.js";
export { agentMachine } from "../machines/agent.machine.js";
export type {
  AgentActor,
  AgentContext,
  AgentMachineEvent,
  AgentMachineInput,
  AgentSettings,
  PendingToolCall,
} from "../machines/agent.machine.js";
export { toolCallMachine } from "../machines/tool-call.machine.js";
export type { ToolCallInput, ToolCallParentEvent } from "../machines/tool-call.machine.js";
export { checkTools, defineTool, textResult, toolSpec, validateToolArguments } from "./core/tools.js";
export type { ArgumentCheck } from "./core/tools.js";
export type {
  InferSchemaOutput,
  StandardIssue,
  StandardJSONSchemaConverter,
  StandardJSONSchemaTarget,
  StandardPathSegment,
  StandardResult,
  StandardSchemaV1,
  StandardSchemaV1Props,
} from "./core/standard-schema.js";
export { assistantText, defaultConvertToLlm, lastAssistantMessage, userMessage } from "./core/messages.js";
export type {
  AfterToolCallResult,
  AgentEvent,
  AgentEventType,
  AgentHooks,
  AgentMessage,
  AgentTool,
  AgentToolResult,
  ApprovalRule,
  AssistantMessage,
  AssistantMessageEvent,
  BeforeToolCallResult,
  Context,
  CustomAgentMessages,
  ImageContent,
  JSONSchema,
  Message,
  Model,
  ModelCost,
  QueueMode,
  StopReason,
  StreamFn,
  StreamOptions,
  TerminalAssistantMessageEvent,
  TextContent,
  ThinkingContent,
  ToolCall,
  ToolParameters,
  ToolResultMessage,
  ToolSpec,
  Usage,
  UserMessage,
} from "./core/types.js";
export { collectOpenAICompletions, openAICompatibleModel, openAICompletionsStream, streamOpenAICompatible } from "../adapters/openai-compatible.js";
export type { AssistantMessageStreamHandle, CollectedStream, OpenAICompatibleModelInit, OpenAICompatibleOptions } from "../adapters/openai-compatible.js";
export { OPENROUTER_BASE_URL, openRouterModel, streamOpenRouter } from "../adapters/openrouter.js";
export { OPENAI_BASE_URL, OPENAI_RESPONSES_API, openAIResponsesModel, streamOpenAIResponses } from "../adapters/openai-responses.js";
export type { OpenAIResponsesModelInit } from "../adapters/openai-responses.js";
export { PROXY_API, proxyModel, streamProxy } from "../adapters/proxy-client.js";
export { GOOGLE_API, GOOGLE_BASE_URL, googleModel, streamGoogle } from "../adapters/google.js";
export type { GoogleModelInit } from "../adapters/google.js";
export { ANTHROPIC_BASE_URL, anthropicModel, streamAnthropic } from "../adapters/anthropic.js";
export type { AnthropicModelInit } from "../adapters/anthropic.js";
export type { ProxyModelOptions } from "../adapters/proxy-client.js";
export { agentLogic } from "./agent-logic.js";
export type { AgentLogic, AgentLogicInput } from "./agent-logic.js";
export { agentMachineInput } from "./agent-input.js";
export type { PromptInput } from "./agent-input.js";
export { agentAsTool } from "./agent-tool.js";
export type { AgentAsToolOptions, AgentToolResultDetails, AgentToolUpdateDetails } from "./agent-tool.js";
export {
  selectError,
  selectIsAwaitingApproval,
  selectIsBusy,
  selectPendingApprovals,
  selectPendingToolCalls,
  selectStateName,
  selectStreamingText,
  selectStreamingThinking,
  selectTranscript,
  selectUsage,
} from "./selectors.js";
export type { AgentSnapshotLike, AgentStateName } from "./selectors.js";
export { agentLoop, agentLoopContinue } from "./agent-loop.js";
export { INTERRUPTED_MESSAGE, INTERRUPTED_TOOL_RESULT, PERSISTED_AGENT_VERSION, parsePersistedAgent, persistAgent, restoredMachineInput } from "./persist.js";
export type { PersistableAgent, PersistedAgent, PersistedStreamOptions, RestoreAgentOptions } from "./persist.js";
export { createMemoryStore, sessionConflict } from "./session-store.js";
export type { SessionRecord, SessionStore, StoredSession } from "./session-store.js";
export { createFileStore } from "./file-store.js";
export type { OpenAgentOptions } from "./agent-session.js";
export { SESSION_RECORD_FORMAT } from "./session-record.js";
export type { AgentSessionRecord, PersistedRun } from "./session-record.js";
export { remoteAgent } from "./remote-agent.js";
export type { RemoteAgent, RemoteAgentOptions, RemotePromptInput } from "./remote-agent.js";
export { remoteAgentLogic } from "./remote-agent-logic.js";
export type { RemoteAgentContext, RemoteAgentEvent, RemoteAgentSnapshot, RemoteCanEvent, RemoteConnection, RemoteFrame } from "./remote-agent-logic.js";
export type { RemoteCan, RemoteCommand } from "./agent-wire.js";
