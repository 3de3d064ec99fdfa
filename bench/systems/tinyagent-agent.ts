/**
 * tinyagent's full `Agent` (the XState machine, the stream actor, tool-call
 * child actors) with one subscriber that appends every text delta — and the
 * same agent with an XState inspection observer attached.
 */
import { z } from "zod";
import { Agent, defineTool, openAICompatibleModel, type AgentEvent } from "../../src/index.js";
import { BENCH_TOOL, type Workload } from "../workloads.js";
import { type BenchSystem, checkTranscript, expectedText, expectSame, MODEL_ID, PROMPT, SYSTEM_PROMPT } from "./system.js";

const writeTool = defineTool({
  name: BENCH_TOOL.name,
  description: BENCH_TOOL.description,
  parameters: z.object({ path: z.string(), content: z.string() }),
  async execute() {
    return { content: [{ type: "text", text: BENCH_TOOL.resultText }] };
  },
});

/** Inspection events seen, so the observer's work cannot be optimised away. */
export let inspectedEvents = 0;

function createAgent(baseUrl: string, withInspector: boolean): Agent {
  return new Agent({
    model: openAICompatibleModel({ id: MODEL_ID, baseUrl }),
    systemPrompt: SYSTEM_PROMPT,
    tools: [writeTool],
    // An observer like a devtools bridge: it sees every inspection event and reads its type.
    inspect: withInspector ? (event) => void (inspectedEvents += event.type.length > 0 ? 1 : 0) : undefined,
  });
}

async function runAgent(baseUrl: string, workload: Workload, withInspector: boolean): Promise<void> {
  const agent = createAgent(baseUrl, withInspector);
  let text = "";
  agent.subscribe((event: AgentEvent) => {
    if (event.type === "message_update" && event.assistantMessageEvent.type === "text_delta") text += event.assistantMessageEvent.delta;
  });
  const last = await agent.prompt(PROMPT);
  if (last.stopReason === "error") throw new Error(`agent run failed: ${last.errorMessage}`);
  checkTranscript(agent.state.messages, workload);
  expectSame("streamed text", text, expectedText(workload));
}

function agentSystem(withInspector: boolean): BenchSystem {
  return {
    id: withInspector ? "tinyagent-inspect" : "tinyagent-agent",
    label: withInspector ? "tinyagent Agent + inspect observer" : "tinyagent Agent (1 subscriber)",
    concurrent: !withInspector,
    run: (baseUrl, workload) => runAgent(baseUrl, workload, withInspector),
    idleAgent: withInspector ? undefined : (baseUrl) => createAgent(baseUrl, false),
  };
}

/** The full agent with one subscriber. */
export const tinyagentAgentSystem = agentSystem(false);
/** The full agent with an inspection observer. */
export const tinyagentInspectSystem = agentSystem(true);
