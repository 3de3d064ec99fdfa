/**
 * Fault matrix, run side: aborts at each stage, broken tools, bad tool calls,
 * throwing hooks and listeners. The model is the same loopback server as the
 * provider faults (real adapter); the fault comes from the agent's side.
 */
import { config as rxjsConfig } from "rxjs";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { defineTool, type AgentOptions, type AgentTool, type ToolResultMessage } from "../../src/index.js";
import {
  activeResources,
  expectDefinedEnd,
  expectResourcesBackTo,
  expectUsableAgain,
  faultAgent,
  type FaultServer,
  type ScriptedCall,
  startFaultServer,
  toolReply,
} from "../helpers/fault-harness.js";
import { until } from "../helpers/transcript.js";

let server: FaultServer;
beforeAll(async () => {
  server = await startFaultServer();
});
afterEach(() => {
  server.clear();
  vi.restoreAllMocks();
});
afterAll(() => server.close());

const call = (id: string, name: string, args = "{}"): ScriptedCall => ({ id, name, args });
const noArgs = { type: "object", properties: {} };

/** A tool whose calls wait until their signal aborts (or forever, with `ignoreSignal`), recording the signals. */
function hangingTool(name: string, extra: Partial<AgentTool> = {}, ignoreSignal = false) {
  const signals: AbortSignal[] = [];
  const tool: AgentTool = {
    name,
    description: "never finishes by itself",
    parameters: noArgs,
    execute: (_id, _args, signal) => {
      signals.push(signal!);
      return new Promise((_, reject) => {
        if (!ignoreSignal) signal!.addEventListener("abort", () => reject(new Error("aborted")), { once: true });
      });
    },
    ...extra,
  };
  return { tool, signals };
}

const echo = defineTool({
  name: "echo",
  description: "echoes",
  parameters: z.object({ text: z.string() }),
  execute: async (_id, { text }) => ({ content: [{ type: "text", text }] }),
});

function resultsOf(messages: readonly unknown[]): ToolResultMessage[] {
  return (messages as ToolResultMessage[]).filter((m) => m.role === "toolResult");
}
const textOf = (r: ToolResultMessage) => r.content.map((c) => (c.type === "text" ? c.text : "")).join("");

/** Runs `prompt("go")` with the given model replies queued; `during` acts while the run is in flight. */
async function runFault(options: AgentOptions, replies: ScriptedCall[][], during?: (agent: ReturnType<typeof faultAgent>["agent"]) => Promise<void>) {
  const baseline = activeResources();
  server.queue(...replies.map((calls) => toolReply(...calls)));
  const harness = faultAgent(server, options);
  const run = harness.agent.prompt("go");
  await during?.(harness.agent);
  const message = await run;
  expectDefinedEnd(harness.agent, harness.announced);
  return {
    ...harness,
    message,
    results: resultsOf(harness.agent.state.messages),
    async finish() {
      await expectUsableAgain(harness.agent, server);
      expectDefinedEnd(harness.agent, harness.announced);
      await expectResourcesBackTo(baseline, server);
    },
  };
}

describe("aborts", () => {
  it("during a parallel tool batch: every signal aborts, every call answered", async () => {
    const { tool, signals } = hangingTool("slow");
    const r = await runFault({ tools: [tool] }, [[call("a", "slow"), call("b", "slow"), call("c", "slow")]], async (agent) => {
      await until(() => signals.length === 3);
      agent.abort();
    });
    expect(signals.every((s) => s.aborted)).toBe(true);
    expect(r.message).toMatchObject({ stopReason: "aborted", errorMessage: "Aborted by the user." });
    expect(r.agent.state.error).toBe("Aborted by the user.");
    expect(r.results.map((x) => [x.toolCallId, x.isError, textOf(x)])).toEqual(["a", "b", "c"].map((id) => [id, true, "Tool execution was aborted."]));
    await r.finish();
  });

  it("while a call waits for approval: answered as aborted, never executed", async () => {
    const executed: string[] = [];
    const guarded: AgentTool = { ...echo, name: "guarded", requiresApproval: true, execute: async (id) => (executed.push(id), { content: [] }) };
    const r = await runFault({ tools: [guarded, echo] }, [[call("a", "echo", '{"text":"hi"}'), call("b", "guarded", '{"text":"x"}')]], async (agent) => {
      await until(() => agent.actor.getSnapshot().hasTag("awaitingApproval"));
      agent.abort();
    });
    expect(executed).toEqual([]);
    expect(r.message.stopReason).toBe("aborted");
    expect(r.results.map((x) => [x.toolCallId, x.isError, textOf(x)])).toEqual([
      ["a", false, "hi"],
      ["b", true, "Tool execution was aborted."],
    ]);
    await r.finish();
  });
});

describe("tools that fail", () => {
  it("a tool that throws: an error result the model reads, and the run goes on", async () => {
    const boom: AgentTool = { name: "boom", description: "throws", parameters: noArgs, execute: async () => Promise.reject(new Error("disk full")) };
    const r = await runFault({ tools: [boom] }, [[call("a", "boom")]]);
    expect(r.results.map((x) => [x.isError, textOf(x)])).toEqual([[true, "disk full"]]);
    expect(r.message.stopReason).toBe("stop");
    expect(server.server.requests.at(-1)!.body).toContain("disk full");
    await r.finish();
  });

  it("a tool that never resolves: timed out, its signal aborted, the run goes on", async () => {
    const { tool, signals } = hangingTool("stuck", { timeoutMs: 30 }, true);
    const r = await runFault({ tools: [tool] }, [[call("a", "stuck")]]);
    expect(signals[0]!.aborted).toBe(true);
    expect(r.results.map((x) => [x.isError, textOf(x)])).toEqual([[true, 'Tool "stuck" timed out after 30 ms and was aborted.']]);
    expect(r.message.stopReason).toBe("stop");
    await r.finish();
  });

  it("invalid arguments: a validation error the model can act on, tool not run", async () => {
    const r = await runFault({ tools: [echo] }, [[call("a", "echo", '{"text":42}'), call("b", "echo", '{"text":')]]);
    const [typed, broken] = r.results;
    expect(typed).toMatchObject({ toolCallId: "a", isError: true });
    expect(textOf(typed!)).toMatch(/^Invalid arguments for tool "echo":\n.*text.*\nFix these and call the tool again\.$/s);
    expect(textOf(broken!)).toMatch(/^Invalid arguments for tool "echo": they are not valid JSON/);
    await r.finish();
  });

  it("an unknown tool: an error naming the tools that exist", async () => {
    const r = await runFault({ tools: [echo] }, [[call("a", "rm_rf")]]);
    expect(r.results.map((x) => [x.isError, textOf(x)])).toEqual([[true, 'Tool "rm_rf" not found. Available tools: echo.']]);
    await r.finish();
  });
});

/** Each hook throws once (on its first call) so the next prompt succeeds. */
function throwOnce<T extends unknown[], R>(what: string, otherwise: (...args: T) => R) {
  let thrown = false;
  return (...args: T): R => {
    if (!thrown) {
      thrown = true;
      throw new Error(`${what} exploded`);
    }
    return otherwise(...args);
  };
}

const hookFaults: { hook: string; options: AgentOptions; error: string }[] = [
  { hook: "beforeToolCall", options: { beforeToolCall: throwOnce("before", () => undefined) }, error: "beforeToolCall hook threw: before exploded" },
  { hook: "afterToolCall", options: { afterToolCall: throwOnce("after", () => undefined) }, error: "afterToolCall hook threw: after exploded" },
  { hook: "shouldStopAfterTurn", options: { shouldStopAfterTurn: throwOnce("stop", () => false) }, error: "shouldStopAfterTurn hook threw: stop exploded" },
  {
    hook: "transformContext",
    options: { transformContext: throwOnce("transform", (m) => m) },
    error: "Model call failed: transformContext hook threw: transform exploded",
  },
  {
    hook: "convertToLlm",
    options: { convertToLlm: throwOnce("convert", (m) => m as never) },
    error: "Model call failed: convertToLlm hook threw: convert exploded",
  },
  { hook: "getApiKey", options: { getApiKey: throwOnce("key", () => undefined) }, error: "Model call failed: getApiKey hook threw: key exploded" },
];

describe("hooks that throw end the run with an error, never a hang", () => {
  for (const { hook, options, error } of hookFaults) {
    it(hook, async () => {
      const r = await runFault({ tools: [echo], ...options }, [[call("a", "echo", '{"text":"hi"}')]]);
      expect(r.agent.state.error).toBe(error);
      expect(r.message.stopReason).toBe("error");
      expect(r.message.errorMessage).toBe(error);
      await r.finish();
    });
  }
});

describe("listeners that throw", () => {
  it("a subscribe() listener that throws on every event is reported and the run completes", async () => {
    const reported = vi.spyOn(console, "error").mockImplementation(() => {});
    const baseline = activeResources();
    server.queue(toolReply(call("a", "echo", '{"text":"hi"}')));
    const { agent, announced } = faultAgent(server, { tools: [echo] });
    agent.subscribe(() => {
      throw new Error("listener bug");
    });
    const message = await agent.prompt("go");
    expect(message.stopReason).toBe("stop");
    expect(reported).toHaveBeenCalledWith(expect.stringContaining('listener threw on "agent_start"'), expect.any(Error));
    expectDefinedEnd(agent, announced);
    await expectUsableAgain(agent, server);
    await expectResourcesBackTo(baseline, server);
  });

  it("an events$ observer that throws is reported on console.error (not rethrown by rxjs); the run completes", async () => {
    const reported = vi.spyOn(console, "error").mockImplementation(() => {});
    const unhandled = vi.fn();
    const previous = rxjsConfig.onUnhandledError;
    rxjsConfig.onUnhandledError = unhandled;
    try {
      const { agent, announced } = faultAgent(server);
      const subscription = agent.events$.subscribe(() => {
        throw new Error("observer bug");
      });
      const message = await agent.prompt("go");
      expect(message.stopReason).toBe("stop");
      expect(reported).toHaveBeenCalledWith(expect.stringContaining("an events$ subscriber threw"), expect.objectContaining({ message: "observer bug" }));
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(unhandled).not.toHaveBeenCalled();
      expectDefinedEnd(agent, announced);
      subscription.unsubscribe();
      await expectUsableAgain(agent, server);
    } finally {
      rxjsConfig.onUnhandledError = previous;
    }
  });
});
