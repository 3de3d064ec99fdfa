import { SpanStatusCode } from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Agent, defineTool, openAICompatibleModel, textResult, type AgentTool } from "../src/index.js";
import { instrumentAgent } from "../src/otel/index.js";
import { fauxAgents } from "./helpers/faux-agents.js";
import { chunk, sseBody } from "./helpers/openai-chunks.js";
import { startSseServer } from "./helpers/sse-server.js";

const { make } = fauxAgents();

/** An SDK tracer exporting to memory, counting spans started and ended. */
function tracing() {
  const exporter = new InMemorySpanExporter();
  const counts = { started: 0, ended: 0 };
  const counter: SpanProcessor = {
    onStart: () => void counts.started++,
    onEnd: () => void counts.ended++,
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  const provider = new BasicTracerProvider({ spanProcessors: [counter, new SimpleSpanProcessor(exporter)] });
  const spans = () => exporter.getFinishedSpans();
  const named = (prefix: string) => spans().filter((s) => s.name.startsWith(prefix));
  return { tracer: provider.getTracer("test"), spans, named, counts };
}

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

const sum = defineTool({
  name: "sum",
  description: "Add numbers.",
  parameters: z.object({ numbers: z.array(z.number()) }),
  execute: async (_id, { numbers }) => textResult(String(numbers.reduce((a, b) => a + b, 0))),
});

let stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops) stop();
  stops = [];
});

describe("instrumentAgent", () => {
  it("a tool run: invoke_agent > chat, execute_tool, chat, with GenAI attributes", async () => {
    const t = tracing();
    const { agent, faux } = make(
      [
        { text: "Adding.", toolCalls: [{ name: "sum", arguments: { numbers: [2, 3] }, id: "call-1" }], usage: { input: 10, output: 5 } },
        { text: "The sum is 5.", usage: { input: 20, output: 4 } },
      ],
      { tools: [sum as AgentTool] },
    );
    agent.sessionId = "chat-42";
    stops.push(instrumentAgent(agent, { tracer: t.tracer, agentName: "calculator" }));
    await agent.prompt("What is 2 + 3?");

    expect(t.counts).toEqual({ started: 4, ended: 4 });
    const [run] = t.named("invoke_agent");
    expect(run?.name).toBe("invoke_agent calculator");
    expect(parentOf(run!)).toBeUndefined();
    expect(run!.attributes).toMatchObject({
      "gen_ai.operation.name": "invoke_agent",
      "gen_ai.agent.name": "calculator",
      "gen_ai.conversation.id": "chat-42",
      "gen_ai.request.model": faux.model.id,
      "gen_ai.provider.name": faux.model.provider,
      "gen_ai.system": faux.model.provider,
      "gen_ai.usage.input_tokens": 30,
      "gen_ai.usage.output_tokens": 9,
    });
    expect(run!.status.code).toBe(SpanStatusCode.UNSET);

    const chats = t.named("chat ");
    expect(chats.map((s) => s.name)).toEqual([`chat ${faux.model.id}`, `chat ${faux.model.id}`]);
    expect(chats[0]!.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.request.model": faux.model.id,
      "gen_ai.response.model": faux.model.id,
      "gen_ai.provider.name": faux.model.provider,
      "gen_ai.response.finish_reasons": ["toolUse"],
      "gen_ai.usage.input_tokens": 10,
      "gen_ai.usage.output_tokens": 5,
    });
    expect(chats[1]!.attributes["gen_ai.response.finish_reasons"]).toEqual(["stop"]);

    const [tool] = t.named("execute_tool");
    expect(tool?.name).toBe("execute_tool sum");
    expect(tool!.attributes).toMatchObject({
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.tool.name": "sum",
      "gen_ai.tool.call.id": "call-1",
      "gen_ai.tool.type": "function",
    });
    for (const child of [...chats, tool!]) {
      expect(parentOf(child)).toBe(run!.spanContext().spanId);
      expect(child.spanContext().traceId).toBe(run!.spanContext().traceId);
    }
    // In order: the first chat ends before the tool starts, the tool before the second chat. The SDK takes
    // start times from Date.now() (whole milliseconds) and end times from performance.now() (fractions), so
    // the order is only defined to the millisecond: compare whole milliseconds.
    const ms = (time: [number, number]) => Math.floor(time[0] * 1e3 + time[1] / 1e6);
    expect(ms(chats[0]!.endTime)).toBeLessThanOrEqual(ms(tool!.startTime));
    expect(ms(tool!.endTime)).toBeLessThanOrEqual(ms(chats[1]!.startTime));
  });

  it("an abort mid-tool closes the tool, the run and every other span, with error status", async () => {
    const t = tracing();
    const slow = defineTool({
      name: "slow",
      description: "Waits until aborted.",
      parameters: { type: "object", properties: {} },
      execute: (_id, _args, signal) =>
        new Promise<never>((_, reject) => signal?.addEventListener("abort", () => reject(new Error("aborted by the user")), { once: true })),
    });
    const { agent } = make([{ toolCalls: [{ name: "slow", arguments: {} }] }, { text: "never" }], { tools: [slow] });
    stops.push(instrumentAgent(agent, { tracer: t.tracer }));
    agent.subscribe((e) => e.type === "tool_execution_start" && queueMicrotask(() => agent.abort()));
    await agent.prompt("go");

    expect(t.counts.started).toBe(t.counts.ended);
    const [tool] = t.named("execute_tool");
    expect(tool!.status.code).toBe(SpanStatusCode.ERROR);
    expect(tool!.attributes["error.type"]).toBeDefined();
    const [run] = t.named("invoke_agent");
    expect(run!.status.code).toBe(SpanStatusCode.ERROR);
    expect(run!.attributes["error.type"]).toBe("aborted");
  });

  it("a provider error marks the model call and the run as failed", async () => {
    const t = tracing();
    const { agent } = make([{ error: "rate limited" }]);
    stops.push(instrumentAgent(agent, { tracer: t.tracer }));
    const message = await agent.prompt("hi");
    expect(message.stopReason).toBe("error");

    expect(t.counts).toEqual({ started: 2, ended: 2 });
    const [chat] = t.named("chat");
    expect(chat!.status).toMatchObject({ code: SpanStatusCode.ERROR, message: expect.stringContaining("rate limited") });
    expect(chat!.attributes).toMatchObject({ "error.type": "error", "gen_ai.response.finish_reasons": ["error"] });
    const [run] = t.named("invoke_agent");
    expect(run!.status.code).toBe(SpanStatusCode.ERROR);
    expect(run!.attributes["error.type"]).toBe("error");
  });

  it("a retried model request is one chat span with a model_retry event per retry, ended once the answer came", async () => {
    const t = tracing();
    const overloaded = { status: 503, headers: { "content-type": "application/json", "retry-after": "0" }, chunks: ['{"error":{"message":"overloaded"}}'] };
    const server = await startSseServer([overloaded, overloaded, { chunks: [sseBody(chunk({ content: "ok" }), chunk({}, "stop"))] }]);
    try {
      const agent = new Agent({ model: openAICompatibleModel({ id: "m", baseUrl: `${server.url}/v1` }) });
      stops.push(instrumentAgent(agent, { tracer: t.tracer }));
      expect((await agent.prompt("hi")).stopReason).toBe("stop");
      expect(t.counts).toEqual({ started: 2, ended: 2 });
      const [chat] = t.named("chat");
      expect(chat!.status.code).toBe(SpanStatusCode.UNSET);
      expect(chat!.events.map((e) => [e.name, e.attributes?.["retry.attempt"], e.attributes?.["retry.delay_ms"]])).toEqual([
        ["model_retry", 1, 0],
        ["model_retry", 2, 0],
      ]);
      expect(chat!.events[0]!.attributes?.["retry.reason"]).toMatch(/^Provider error \(HTTP 503\) at .*: overloaded$/);
      expect(parentOf(chat!)).toBe(t.named("invoke_agent")[0]!.spanContext().spanId);
    } finally {
      await server.close();
    }
  });

  it("dispose() mid-tool closes every span", async () => {
    const t = tracing();
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const wait: AgentTool = {
      name: "wait",
      description: "waits until aborted",
      parameters: { type: "object", properties: {} },
      execute: (_id, _args, signal) => {
        started();
        return new Promise((_, reject) => signal!.addEventListener("abort", () => reject(new Error("aborted"))));
      },
    };
    const { agent } = make([{ toolCalls: [{ name: "wait", arguments: {} }] }], { tools: [wait] });
    stops.push(instrumentAgent(agent, { tracer: t.tracer }));
    const done = agent.prompt("go");
    await running;
    agent.dispose();
    expect((await done).stopReason).toBe("aborted");
    expect(t.counts.started).toBe(t.counts.ended);
    expect(t.named("execute_tool wait")[0]!.status.code).toBe(SpanStatusCode.ERROR);
    expect(t.named("invoke_agent")[0]!.attributes["error.type"]).toBe("aborted");
  });

  it("stop() ends open spans and traces nothing more", async () => {
    const t = tracing();
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    const { agent } = make([{ text: "late", hold }, { text: "untraced" }]);
    const stop = instrumentAgent(agent, { tracer: t.tracer });
    const done = agent.prompt("hi");
    await new Promise((resolve) => agent.subscribe((e) => e.type === "message_start" && e.message.role === "assistant" && resolve(null)));
    stop();
    expect(t.counts).toEqual({ started: 2, ended: 2 });
    expect(t.named("invoke_agent")[0]!.attributes["error.type"]).toBe("instrumentation_stopped");
    release();
    await done;
    await agent.prompt("again");
    expect(t.counts).toEqual({ started: 2, ended: 2 });
  });
});
