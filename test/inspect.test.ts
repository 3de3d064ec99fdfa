/**
 * `@statelyai/inspect` (the maintained XState 5 inspector) works with the
 * `inspect` option: its WebSocket inspector streams the agent actor and each
 * tool-call child actor, with their states, to a relay on loopback.
 */
import { createWebSocketInspector } from "@statelyai/inspect";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { z } from "zod";
import { Agent, defineTool } from "../src/index.js";
import { createFauxProvider } from "../src/testing.js";
import { until } from "./helpers/transcript.js";

type Inspected = { type: string; name?: string; sessionId: string; parentId?: string; snapshot?: { value?: unknown }; event?: { type: string } };

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

describe("@statelyai/inspect", () => {
  it("sees the agent actor and its tool-call actors, with their states, over a WebSocket", async () => {
    const relay = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await new Promise((resolve) => relay.once("listening", resolve));
    const received: Inspected[] = [];
    relay.on("connection", (socket) => socket.on("message", (data) => received.push(JSON.parse(String(data)))));
    cleanup.push(() => new Promise((resolve) => relay.close(() => resolve())));

    const inspector = createWebSocketInspector({
      url: `ws://127.0.0.1:${(relay.address() as { port: number }).port}`,
      // The context holds functions (tools, the stream function): send what a person wants to see.
      sanitizeContext: (context: Record<string, unknown>) => ({ ...context, streamFn: undefined, hooks: undefined, tools: undefined }),
    });
    cleanup.push(async () => inspector.stop());

    const sum = defineTool({
      name: "sum",
      description: "Adds numbers.",
      parameters: z.object({ numbers: z.array(z.number()) }),
      execute: async (_id, { numbers }) => ({ content: [{ type: "text", text: String(numbers.reduce((a, b) => a + b, 0)) }] }),
    });
    const faux = createFauxProvider([{ toolCalls: [{ name: "sum", arguments: { numbers: [2, 3] } }] }, { text: "5" }]);
    const agent = new Agent({ model: faux.model, streamFn: faux.streamFn, tools: [sum], inspect: inspector.inspect });
    expect(await agent.promptText("2 + 3?")).toBe("5");

    const actorNamed = (name: string) => received.find((e) => e.type === "@xstate.actor" && e.name === name);
    await until(() => actorNamed("tool-1-0") !== undefined && received.some((e) => e.type === "@xstate.snapshot" && e.snapshot?.value === "done"));
    const root = actorNamed("agent")!;
    const tool = actorNamed("tool-1-0")!;
    expect(tool.parentId).toBe(root.sessionId);
    const toolStates = received.filter((e) => e.type === "@xstate.snapshot" && e.sessionId === tool.sessionId).map((e) => e.snapshot!.value);
    expect(toolStates).toContainEqual({ running: "untimed" });
    expect(toolStates.at(-1)).toBe("done");
    await until(() => received.some((e) => e.sessionId === root.sessionId && e.type === "@xstate.snapshot" && e.event?.type === "xstate.done.actor.decision"));
    const rootEvents = received.filter((e) => e.type === "@xstate.event" && e.sessionId === root.sessionId).map((e) => e.event!.type);
    expect(rootEvents).toEqual(expect.arrayContaining(["agent.prompt", "model.events", "tool.running", "tool.done"]));
  });
});
