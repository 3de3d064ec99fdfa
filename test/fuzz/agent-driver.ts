/**
 * A fully controllable world for the agent-machine fuzzer: a StreamFn whose
 * streams emit only when told (through the real AssistantMessageBuilder, so
 * events are well-formed), tools whose calls finish only when told, and
 * helpers to release everything so a run must reach idle.
 */
import { Observable, type Subscriber } from "rxjs";
import { AssistantMessageBuilder } from "../../adapters/assistant-message-builder.js";
import type { AgentTool, AgentToolResult, AssistantMessageEvent, StreamFn } from "../../src/index.js";

/** One model call in flight. */
export type FuzzStream = {
  builder: AssistantMessageBuilder;
  subscriber: Subscriber<AssistantMessageEvent>;
  /** Unsubscribed by the agent. */
  closed: boolean;
  /** Completed or errored by us. */
  finished: boolean;
  toolCalls: number;
};

/** One tool execution in flight. */
export type FuzzExecution = {
  toolCallId: string;
  signal: AbortSignal;
  resolve(result: AgentToolResult): void;
  reject(error: Error): void;
  settled: boolean;
};

/** What a scripted stream may do next. */
export type StreamStep =
  | { kind: "text" | "thinking" }
  | { kind: "toolCall"; tool: "work" | "guarded" | "unknown" | "invalid" }
  | { kind: "done" | "error" | "completeEarly" | "throw" | "afterTerminal" };

/** The streams and tools of one fuzz run. */
export function fuzzWorld() {
  const streams: FuzzStream[] = [];
  const executions: FuzzExecution[] = [];
  let ids = 0;

  const streamFn: StreamFn = (model) =>
    new Observable<AssistantMessageEvent>((subscriber) => {
      const stream: FuzzStream = {
        builder: new AssistantMessageBuilder({ api: model.api, provider: model.provider, model: model.id }, (e) => subscriber.next(e)),
        subscriber,
        closed: false,
        finished: false,
        toolCalls: 0,
      };
      streams.push(stream);
      return () => {
        stream.closed = true;
      };
    });

  const deferredTool = (name: string, extra: Partial<AgentTool> = {}): AgentTool => ({
    name,
    description: `${name} (finishes when the fuzzer says)`,
    parameters: { type: "object", properties: { n: { type: "number" } }, required: ["n"] },
    execute: (toolCallId, _args, signal) =>
      new Promise((resolve, reject) => {
        const execution: FuzzExecution = {
          toolCallId,
          signal: signal!,
          settled: false,
          resolve: (r) => ((execution.settled = true), resolve(r)),
          reject: (e) => ((execution.settled = true), reject(e)),
        };
        executions.push(execution);
      }),
    ...extra,
  });
  const tools = [deferredTool("work"), deferredTool("guarded", { requiresApproval: true })];

  /** The stream the agent is reading now, if any. */
  const current = () => streams.findLast((s) => !s.closed && !s.finished);

  /** Applies one step to the current stream; false when there is none. */
  function step(action: StreamStep): boolean {
    const stream = current();
    if (!stream) return false;
    const { builder, subscriber } = stream;
    if (builder.isEnded && action.kind !== "afterTerminal") return false;
    switch (action.kind) {
      case "text":
        builder.text("words ");
        break;
      case "thinking":
        builder.thinking("hmm ");
        break;
      case "toolCall": {
        const name = action.tool === "work" || action.tool === "guarded" ? action.tool : action.tool === "unknown" ? "nope" : "work";
        const args = action.tool === "invalid" ? '{"n":"not a number"}' : `{"n":${ids}}`;
        builder.toolCall(stream.toolCalls++, { id: `call_${ids++}`, name, arguments: args });
        break;
      }
      case "done":
        builder.finish(stream.toolCalls > 0 ? "toolUse" : "stop");
        break;
      case "error":
        builder.fail("error", "The fuzzer failed this stream.");
        stream.finished = true;
        subscriber.complete();
        break;
      case "completeEarly":
        stream.finished = true;
        subscriber.complete();
        break;
      case "throw":
        stream.finished = true;
        subscriber.error(new Error("fuzzer stream blew up"));
        break;
      case "afterTerminal":
        // A misbehaving provider: a done event out of nowhere.
        subscriber.next({ type: "done", reason: "stop", message: { ...builder.message, content: [{ type: "text", text: "ghost" }] } });
        break;
    }
    return true;
  }

  /** Finishes tool execution `index` (modulo the unsettled ones); false when none is waiting. */
  function finishTool(index: number, outcome: "ok" | "throw" | "terminate"): boolean {
    const waiting = executions.filter((e) => !e.settled);
    const execution = waiting[index % Math.max(1, waiting.length)];
    if (!execution) return false;
    if (outcome === "throw") execution.reject(new Error("tool failed"));
    else execution.resolve({ content: [{ type: "text", text: "done" }], terminate: outcome === "terminate" });
    return true;
  }

  /** Ends whatever is open: the current stream with `done`, every waiting tool with a result. */
  function releaseAll(): void {
    for (const execution of executions) if (!execution.settled) execution.resolve({ content: [{ type: "text", text: "released" }] });
    const stream = current();
    if (stream && !stream.builder.isEnded) stream.builder.finish(stream.toolCalls > 0 ? "toolUse" : "stop");
  }

  return { streamFn, tools, streams, executions, step, finishTool, releaseAll };
}
