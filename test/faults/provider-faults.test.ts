/**
 * Fault matrix, provider side: each fault is injected by one loopback model
 * server and reaches the agent through the real OpenAI-compatible adapter.
 * For every fault: a defined end state, a complete and valid transcript, an
 * error that says what happened, a reusable agent, and no handle left open.
 */
import { createServer } from "node:net";
import { Observable } from "rxjs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { assistantText, openAICompatibleModel, type AgentOptions, type AssistantMessage, type AssistantMessageEvent, type StreamFn } from "../../src/index.js";
import {
  activeResources,
  expectDefinedEnd,
  expectResourcesBackTo,
  expectUsableAgain,
  fastRetryStream,
  faultAgent,
  type FaultServer,
  startFaultServer,
  textReply,
} from "../helpers/fault-harness.js";
import { chunk, sse } from "../helpers/openai-chunks.js";
import type { ScriptedResponse } from "../helpers/sse-server.js";
import { until } from "../helpers/transcript.js";

let server: FaultServer;
beforeAll(async () => {
  server = await startFaultServer();
});
afterEach(() => server.clear());
afterAll(() => server.close());

const partial = (text: string) => sse(chunk({ role: "assistant", content: text }));

type ProviderFault = {
  name: string;
  responses: ScriptedResponse[];
  options?: AgentOptions;
  /** Checks the run's last assistant message, the request count and the retries the machine saw. */
  expectOutcome(message: AssistantMessage, requests: number, retries: unknown[]): void;
};

const faults: ProviderFault[] = [
  {
    name: "401",
    responses: [{ status: 401, headers: { "content-type": "application/json" }, chunks: ['{"error":{"message":"Invalid key"}}'] }],
    expectOutcome(message, requests) {
      expect(message.errorMessage).toMatch(/^Authentication failed \(HTTP 401\) at .*: Invalid key\. No API key was sent/);
      expect(requests).toBe(1);
    },
  },
  {
    name: "429 with retry-after, then success",
    responses: [{ status: 429, headers: { "retry-after": "0.02" }, chunks: ['{"error":{"message":"Slow down"}}'] }, textReply("recovered")],
    expectOutcome(message, requests, retries) {
      expect(message.stopReason).toBe("stop");
      expect(assistantText(message)).toBe("recovered");
      expect(requests).toBe(2);
      // The server's own wait (0.02 s) was used, and the machine's context showed it.
      expect(retries).toEqual([{ attempt: 1, delayMs: 20, reason: expect.stringMatching(/^Rate limited \(HTTP 429\) at .*: Slow down$/) }]);
    },
  },
  {
    name: "500 three times (retries exhausted)",
    responses: [1, 2, 3].map((): ScriptedResponse => ({ status: 500, chunks: ["boom"] })),
    expectOutcome(message, requests, retries) {
      expect(message.errorMessage).toMatch(/^Provider error \(HTTP 500\) at .*: boom \(gave up after 2 retries\)$/);
      expect(requests).toBe(3);
      expect(retries).toHaveLength(2);
    },
  },
  {
    name: "connection reset before the first byte",
    responses: [{ reset: true }, { reset: true }, { reset: true }],
    expectOutcome(message, requests, retries) {
      expect(message.errorMessage).toMatch(/^The connection to .* (was reset|broke) before the answer began \(.+\)\. \(gave up after 2 retries\)$/);
      expect(requests).toBe(3);
      expect(retries).toHaveLength(2);
    },
  },
  {
    name: "mid-stream error chunk",
    responses: [{ chunks: [partial("Half"), sse({ error: { message: "Upstream overloaded", code: 502 } })] }],
    expectOutcome(message) {
      expect(message.errorMessage).toBe("The provider reported an error mid-stream: Upstream overloaded (code 502)");
      expect(assistantText(message)).toBe("Half");
    },
  },
  {
    name: "a malformed chunk",
    responses: [{ chunks: [partial("Par"), 'data: {"choices":[{"delta":{"content":"x"}}\n\n'] }],
    expectOutcome(message) {
      expect(message.errorMessage).toMatch(/^The provider sent a chunk that is not JSON: /);
      expect(assistantText(message)).toBe("Par");
    },
  },
  {
    name: "a truncated stream",
    responses: [{ chunks: [partial("Trunc"), 'data: {"choices":[{"index":0,"delta":{"content":"at'] }],
    expectOutcome(message) {
      expect(message.errorMessage).toMatch(/ended before the model finished \(no finish_reason and no \[DONE\]\); the partial answer is kept\.$/);
      expect(assistantText(message)).toBe("Trunc");
    },
  },
  {
    name: "a stalled stream (idleTimeoutMs)",
    responses: [{ chunks: [partial("Sta")], end: "hang" }],
    options: { streamOptions: { idleTimeoutMs: 200 } },
    expectOutcome(message) {
      expect(message.errorMessage).toMatch(/^No data from .* for 200 ms \(idleTimeoutMs\); gave up waiting\.$/);
      expect(assistantText(message)).toBe("Sta");
    },
  },
];

describe("provider faults over loopback HTTP", () => {
  for (const fault of faults) {
    it(fault.name, async () => {
      const baseline = activeResources();
      const before = server.server.requests.length;
      server.queue(...fault.responses);
      const { agent, announced } = faultAgent(server, fault.options);
      const retries: unknown[] = [];
      let retryingStates = 0;
      agent.actor.subscribe((snapshot) => {
        const { retry } = snapshot.context;
        if (retry && retries.at(-1) !== retry) retries.push(retry);
        if (snapshot.matches({ streaming: "retrying" }) && snapshot.hasTag("retrying")) retryingStates++;
      });
      const message = await agent.prompt("hi");
      fault.expectOutcome(message, server.server.requests.length - before, retries);
      // A provider retry is a state of the machine too: streaming.retrying, tagged "retrying".
      expect(retryingStates > 0).toBe(retries.length > 0);
      if (message.stopReason === "error") expect(agent.state.error).toBe(message.errorMessage);
      expectDefinedEnd(agent, announced);
      expect(announced.at(-1)).toBe(message);
      await expectUsableAgain(agent, server);
      expectDefinedEnd(agent, announced);
      await expectResourcesBackTo(baseline, server);
    });
  }

  it("connection refused", async () => {
    const baseline = activeResources();
    const port = await closedPort();
    const { agent, announced } = faultAgent(server, { model: openAICompatibleModel({ id: "m", baseUrl: `http://127.0.0.1:${port}/v1` }) });
    const message = await agent.prompt("hi");
    expect(message.errorMessage).toBe(
      `Could not connect to http://127.0.0.1:${port}/v1/chat/completions: connection refused. Is the server running, and is the base URL right?`,
    );
    expect(agent.state.error).toBe(message.errorMessage);
    expectDefinedEnd(agent, announced);
    await expectUsableAgain(agent, server);
    await expectResourcesBackTo(baseline, server);
  });

  it("abort during streaming: the request is cancelled and the partial answer kept", async () => {
    const baseline = activeResources();
    server.queue({ chunks: [partial("Stre")], end: "hang" });
    const { agent, announced } = faultAgent(server);
    const run = agent.prompt("hi");
    await until(() => agent.state.streamMessage?.content.length === 1);
    agent.abort();
    const message = await run;
    expect(message).toMatchObject({ stopReason: "aborted", errorMessage: "Aborted by the user.", content: [{ type: "text", text: "Stre" }] });
    expect(agent.state.error).toBe("Aborted by the user.");
    expect(await server.server.requests.at(-1)!.closed).toEqual({ byClient: true });
    expectDefinedEnd(agent, announced);
    await expectUsableAgain(agent, server);
    await expectResourcesBackTo(baseline, server);
  });

  it("a provider that emits events after its terminal event: they are ignored", async () => {
    const baseline = activeResources();
    let lateTimerCancelled = false;
    // The real adapter; right after its `done`, more events in the same tick and one batch later.
    const noisy: StreamFn = (model, context, options) =>
      new Observable<AssistantMessageEvent>((subscriber) => {
        let late: ReturnType<typeof setTimeout> | undefined;
        const extra = (message: AssistantMessage, text: string) => {
          const ghost = { ...message, content: [{ type: "text" as const, text }] };
          subscriber.next({ type: "text_delta", contentIndex: 0, delta: text, partial: ghost });
          subscriber.next({ type: "done", reason: "stop", message: ghost });
        };
        const subscription = fastRetryStream(model, context, options).subscribe({
          next(event) {
            subscriber.next(event);
            if (event.type !== "done") return;
            extra(event.message, " ghost");
            late = setTimeout(() => extra(event.message, " late"), 5);
          },
          complete: () => subscriber.complete(),
        });
        return () => {
          lateTimerCancelled = late !== undefined;
          clearTimeout(late);
          subscription.unsubscribe();
        };
      });
    const { agent, announced, log } = faultAgent(server, { streamFn: noisy });
    const message = await agent.prompt("hi");
    expect(assistantText(message)).toBe("ok");
    // A keep-alive socket the server closed after the previous test may cost one retry on a loaded machine; not this test's subject.
    expect(log.outline().filter((type) => type !== "model_retry")).toEqual([
      "agent_start",
      "turn_start",
      "message_start",
      "message_end",
      "message_start",
      "message_end",
      "turn_end",
      "agent_end",
    ]);
    expect(log.events.filter((e) => e.type === "message_update").map((e) => e.type === "message_update" && e.assistantMessageEvent.type)).toEqual([
      "text_start",
      "text_delta",
      "text_end",
    ]);
    expect(lateTimerCancelled).toBe(true);
    expectDefinedEnd(agent, announced);
    await expectUsableAgain(agent, server);
    expectDefinedEnd(agent, announced);
    await expectResourcesBackTo(baseline, server);
  });
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
