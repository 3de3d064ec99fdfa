import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { remoteAgent, type AgentEvent } from "../src/index.js";
import { expectValidTranscript } from "./helpers/transcript.js";

/** Starts test/fixtures/serve-agent.mjs under a runtime; resolves with its URL once it prints its port. */
function serve(command: string, args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(command, [...args, "test/fixtures/serve-agent.mjs"], { stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk;
      const port = /port (\d+)/.exec(out)?.[1];
      if (port) resolve({ url: `http://127.0.0.1:${port}`, child });
    });
    let err = "";
    child.stderr!.on("data", (chunk: Buffer) => (err += chunk));
    child.once("exit", (code) => reject(new Error(`${command} exited with ${code}: ${err}`)));
  });
}

const RUNTIMES: [string, string, string[]][] = [
  ["Bun", "node_modules/.bin/bun", ["run"]],
  ["Deno", "node_modules/.bin/deno", ["run", "--allow-net", "--allow-read", "--allow-env"]],
];
const children: ChildProcess[] = [];

beforeAll(() => {
  if (!existsSync("dist/src/server/index.js")) throw new Error("Run `npm run build` first: the runtimes serve the built package.");
});
afterAll(() => {
  for (const child of children) child.kill();
});

describe.each(RUNTIMES)("agentRequestHandler on %s", (_name, command, args) => {
  it("serves a tool run that a remoteAgent drives over loopback", { timeout: 20_000 }, async () => {
    const { url, child } = await serve(command, args);
    children.push(child);
    const remote = remoteAgent({ url, sessionId: "runtime-1" });
    const types: string[] = [];
    remote.subscribe((event: AgentEvent) => event.type !== "message_update" && types.push(event.type));
    const last = await remote.prompt("What is 2 + 3?");
    remote.close();
    expect(last?.content).toEqual([{ type: "text", text: "The sum is 5." }]);
    expect(types).toContain("tool_execution_end");
    const messages = remote.actor.getSnapshot().context.messages;
    expect(messages.map((m) => m.role)).toEqual(["user", "assistant", "toolResult", "assistant"]);
    expectValidTranscript(messages);
  });
});
