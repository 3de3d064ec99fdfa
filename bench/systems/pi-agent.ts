/**
 * Peer, agent level: `@mariozechner/pi-agent-core`'s `Agent` (its default
 * stream function, pi-ai's `streamSimple`) with one subscriber appending
 * every text delta.
 */
import { Agent, type AgentTool } from "@mariozechner/pi-agent-core";
import { BENCH_TOOL, type Workload } from "../workloads.js";
import { piModel, piParameters } from "./pi-ai.js";
import { type BenchSystem, checkTranscript, expectedText, expectSame, PROMPT, SYSTEM_PROMPT } from "./system.js";

const writeTool: AgentTool<typeof piParameters> = {
  name: BENCH_TOOL.name,
  label: "Write",
  description: BENCH_TOOL.description,
  parameters: piParameters,
  async execute() {
    return { content: [{ type: "text", text: BENCH_TOOL.resultText }], details: undefined };
  },
};

function createAgent(baseUrl: string): Agent {
  return new Agent({
    initialState: { systemPrompt: SYSTEM_PROMPT, model: piModel(baseUrl), tools: [writeTool], thinkingLevel: "off" },
    getApiKey: () => "bench",
  });
}

/** pi-agent-core's `Agent.prompt`. */
export const piAgentSystem: BenchSystem = {
  id: "pi-agent",
  label: "pi-agent-core Agent (1 subscriber)",
  concurrent: true,
  async run(baseUrl: string, workload: Workload) {
    const agent = createAgent(baseUrl);
    let text = "";
    agent.subscribe((event) => {
      if (event.type === "message_update" && event.assistantMessageEvent.type === "text_delta") text += event.assistantMessageEvent.delta;
    });
    await agent.prompt(PROMPT);
    if (agent.state.errorMessage) throw new Error(`pi-agent run failed: ${agent.state.errorMessage}`);
    checkTranscript(agent.state.messages, workload);
    expectSame("streamed text", text, expectedText(workload));
  },
  idleAgent: createAgent,
};
