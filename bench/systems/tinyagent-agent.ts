/**
 * tinyagent's full `Agent` (the XState machine, the stream actor, tool-call
 * child actors) with one subscriber that appends every text delta — the
 * same agent with an XState inspection observer attached, and with the run
 * viewer attached (recordRun + traceRun + the viewer's session and
 * broadcast, as `viewer.attach(agent)` does; no page connected).
 */
import { z } from "zod";
import { startRunViewer, type RunViewer } from "../../src/devtools/index.js";
import { Agent, defineTool, openAICompatibleModel, type AgentEvent, type AgentMessage } from "../../src/index.js";
import { BENCH_TOOL, historyMessages, type Workload } from "../workloads.js";
import { type BenchSystem, checkTranscript, expectedText, expectSame, MODEL_ID, PROMPT, SYSTEM_PROMPT } from "./system.js";

/** The bench tool as an AgentTool: answers at once with the workload's result text. */
export const writeTool = defineTool({
  name: BENCH_TOOL.name,
  description: BENCH_TOOL.description,
  parameters: z.object({ path: z.string(), content: z.string() }),
  async execute() {
    return { content: [{ type: "text", text: BENCH_TOOL.resultText }] };
  },
});

/** Inspection events seen, so the observer's work cannot be optimised away. */
export let inspectedEvents = 0;

let history: { count: number; messages: AgentMessage[] } | undefined;
/** The workload's prefilled transcript, built once per process. */
function historyOf(workload: Workload): AgentMessage[] {
  if (history?.count !== workload.history) history = { count: workload.history, messages: historyMessages(workload.history) as AgentMessage[] };
  return history.messages;
}

function createAgent(baseUrl: string, withInspector: boolean, messages: AgentMessage[] = []): Agent {
  return new Agent({
    model: openAICompatibleModel({ id: MODEL_ID, baseUrl }),
    systemPrompt: SYSTEM_PROMPT,
    tools: [writeTool],
    messages,
    // An observer like a devtools bridge: it sees every inspection event and reads its type.
    inspect: withInspector ? (event) => void (inspectedEvents += event.type.length > 0 ? 1 : 0) : undefined,
  });
}

async function runAgent(baseUrl: string, workload: Workload, withInspector: boolean, viewer?: RunViewer): Promise<void> {
  const agent = createAgent(baseUrl, withInspector, workload.history ? historyOf(workload) : []);
  const detach = viewer?.attach(agent);
  let text = "";
  agent.subscribe((event: AgentEvent) => {
    if (event.type === "message_update" && event.assistantMessageEvent.type === "text_delta") text += event.assistantMessageEvent.delta;
  });
  const last = await agent.prompt(PROMPT);
  detach?.();
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

/** The full agent with the run viewer attached (one viewer per process, one session per run). */
export async function tinyagentViewerSystem(): Promise<BenchSystem> {
  const viewer = await startRunViewer();
  return {
    id: "tinyagent-viewer",
    label: "tinyagent Agent + run viewer attached",
    concurrent: false,
    run: (baseUrl, workload) => runAgent(baseUrl, workload, false, viewer),
  };
}
