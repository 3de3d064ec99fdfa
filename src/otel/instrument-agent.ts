/**
 * OpenTelemetry tracing of an agent (`tinyagent/otel`): one span per run
 * (`invoke_agent`), per model call (`chat {model}`) and per tool call
 * (`execute_tool {tool}`), the latter two children of the run's span, with
 * the OpenTelemetry GenAI semantic-convention attributes. Spans follow the
 * agent's events, so they close on every path: a run that is aborted or
 * fails still ends `agent_end`, and whatever is open then is ended with it.
 * A retried model request stays one `chat` span, with a `model_retry` span
 * event per retry (attempt, delay, reason).
 */
import {
  context as otelContext,
  trace,
  SpanKind,
  SpanStatusCode,
  type Attributes,
  type Context as OtelContext,
  type Span,
  type Tracer,
} from "@opentelemetry/api";
import type { Agent } from "../agent.js";
import type { AgentEvent, AssistantMessage, AgentMessage, Model, ToolResultMessage, Usage } from "../core/types.js";

/** Options of {@link instrumentAgent}. */
export type InstrumentAgentOptions = {
  /** The tracer to use; default the global provider's `tracer("tinyagent")`. */
  tracer?: Tracer;
  /** `gen_ai.agent.name` on run spans. */
  agentName?: string;
};

/** What {@link instrumentAgent} needs of an agent. */
export type InstrumentableAgent = Pick<Agent, "subscribe" | "state" | "sessionId">;

/** The GenAI semantic-convention attribute names used here. */
export const GEN_AI = {
  operation: "gen_ai.operation.name",
  provider: "gen_ai.provider.name",
  /** The older name of `gen_ai.provider.name`, still read by many backends. */
  system: "gen_ai.system",
  requestModel: "gen_ai.request.model",
  responseModel: "gen_ai.response.model",
  finishReasons: "gen_ai.response.finish_reasons",
  inputTokens: "gen_ai.usage.input_tokens",
  outputTokens: "gen_ai.usage.output_tokens",
  conversationId: "gen_ai.conversation.id",
  agentName: "gen_ai.agent.name",
  toolName: "gen_ai.tool.name",
  toolCallId: "gen_ai.tool.call.id",
  toolType: "gen_ai.tool.type",
  errorType: "error.type",
} as const;

function modelAttributes(model: Pick<Model, "id" | "provider"> | undefined): Attributes {
  if (!model) return {};
  return { [GEN_AI.requestModel]: model.id, [GEN_AI.provider]: model.provider, [GEN_AI.system]: model.provider };
}

function usageAttributes(usage: Pick<Usage, "input" | "output">): Attributes {
  return { [GEN_AI.inputTokens]: usage.input, [GEN_AI.outputTokens]: usage.output };
}

function fail(span: Span, errorType: string, message: string | undefined): void {
  span.setAttribute(GEN_AI.errorType, errorType);
  span.setStatus({ code: SpanStatusCode.ERROR, ...(message ? { message } : {}) });
}

function isAssistant(message: AgentMessage): message is AssistantMessage {
  return (message as { role?: unknown }).role === "assistant";
}

function resultText(result: ToolResultMessage["content"]): string | undefined {
  const text = result.flatMap((c) => (c.type === "text" ? [c.text] : [])).join("\n");
  return text ? text.slice(0, 500) : undefined;
}

/** The spans of one run while it is open. */
type RunSpans = {
  run: Span;
  parent: OtelContext;
  chat: Span | null;
  tools: Map<string, Span>;
  usage: { input: number; output: number };
  last: AssistantMessage | null;
};

/**
 * Traces every run of `agent` until the returned `stop()` is called (which
 * also ends any span still open).
 * @example
 * import { instrumentAgent } from "tinyagent/otel";
 * const stop = instrumentAgent(agent);            // global tracer provider
 * await agent.prompt("What is 2 + 3?");          // invoke_agent > chat, execute_tool, chat
 * stop();
 */
export function instrumentAgent(agent: InstrumentableAgent, options: InstrumentAgentOptions = {}): () => void {
  const tracer = options.tracer ?? trace.getTracer("tinyagent");
  let open: RunSpans | null = null;

  const startChat = (spans: RunSpans): void => {
    const model = agent.state.model;
    spans.chat = tracer.startSpan(
      model ? `chat ${model.id}` : "chat",
      { kind: SpanKind.CLIENT, attributes: { [GEN_AI.operation]: "chat", ...modelAttributes(model) } },
      spans.parent,
    );
  };

  const endChat = (spans: RunSpans, message: AssistantMessage): void => {
    const span = spans.chat;
    if (!span) return;
    spans.chat = null;
    span.setAttributes({ [GEN_AI.responseModel]: message.model, [GEN_AI.finishReasons]: [message.stopReason], ...usageAttributes(message.usage) });
    if (message.stopReason === "error" || message.stopReason === "aborted") fail(span, message.stopReason, message.errorMessage);
    span.end();
  };

  const endRun = (spans: RunSpans, reason?: string): void => {
    for (const [, span] of spans.tools) {
      fail(span, reason ?? "aborted", "The run ended before the tool call finished.");
      span.end();
    }
    spans.tools.clear();
    if (spans.chat) {
      fail(spans.chat, reason ?? "aborted", "The run ended before the model call finished.");
      spans.chat.end();
      spans.chat = null;
    }
    spans.run.setAttributes(usageAttributes(spans.usage));
    const last = spans.last;
    if (reason) fail(spans.run, reason, "Tracing stopped before the run ended.");
    else if (last && (last.stopReason === "error" || last.stopReason === "aborted")) fail(spans.run, last.stopReason, last.errorMessage);
    spans.run.end();
  };

  const onEvent = (event: AgentEvent): void => {
    if (event.type === "agent_start") {
      const parent = otelContext.active();
      const attributes: Attributes = { [GEN_AI.operation]: "invoke_agent", ...modelAttributes(agent.state.model) };
      if (agent.sessionId) attributes[GEN_AI.conversationId] = agent.sessionId;
      if (options.agentName) attributes[GEN_AI.agentName] = options.agentName;
      const run = tracer.startSpan(options.agentName ? `invoke_agent ${options.agentName}` : "invoke_agent", { kind: SpanKind.INTERNAL, attributes }, parent);
      open = { run, parent: trace.setSpan(parent, run), chat: null, tools: new Map(), usage: { input: 0, output: 0 }, last: null };
      return;
    }
    const spans = open;
    if (!spans) return;
    switch (event.type) {
      case "turn_start":
        startChat(spans);
        break;
      case "message_end":
        if (isAssistant(event.message)) {
          if (!spans.chat) startChat(spans);
          spans.usage.input += event.message.usage.input;
          spans.usage.output += event.message.usage.output;
          spans.last = event.message;
          endChat(spans, event.message);
        }
        break;
      case "model_retry":
        if (!spans.chat) startChat(spans);
        spans.chat!.addEvent("model_retry", { "retry.attempt": event.attempt, "retry.delay_ms": event.delayMs, "retry.reason": event.reason });
        break;
      case "tool_execution_start": {
        const span = tracer.startSpan(
          `execute_tool ${event.toolName}`,
          {
            kind: SpanKind.INTERNAL,
            attributes: {
              [GEN_AI.operation]: "execute_tool",
              [GEN_AI.toolName]: event.toolName,
              [GEN_AI.toolCallId]: event.toolCallId,
              [GEN_AI.toolType]: "function",
            },
          },
          spans.parent,
        );
        spans.tools.set(event.toolCallId, span);
        break;
      }
      case "tool_execution_end": {
        const span = spans.tools.get(event.toolCallId);
        if (!span) break;
        spans.tools.delete(event.toolCallId);
        if (event.isError) fail(span, "tool_error", resultText(event.result.content));
        span.end();
        break;
      }
      case "agent_end":
        open = null;
        endRun(spans);
        break;
      default:
        break;
    }
  };

  const unsubscribe = agent.subscribe(onEvent);
  return () => {
    unsubscribe();
    const spans = open;
    open = null;
    if (spans) endRun(spans, "instrumentation_stopped");
  };
}
