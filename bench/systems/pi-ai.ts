/**
 * Peer, stream level: `@mariozechner/pi-ai`'s `streamOpenAICompletions`
 * (OpenAI SDK underneath), one consumer appending every text delta.
 */
import { streamOpenAICompletions, Type, type Model } from "@mariozechner/pi-ai";
import type { AssistantMessage } from "../../src/index.js";
import { BENCH_TOOL, type Workload } from "../workloads.js";
import { type BenchSystem, checkAssistant, conversationFor, MODEL_ID, SYSTEM_PROMPT } from "./system.js";

/** A pi-ai model on the bench server. */
export function piModel(baseUrl: string): Model<"openai-completions"> {
  return {
    id: MODEL_ID,
    name: MODEL_ID,
    api: "openai-completions",
    provider: "bench",
    baseUrl,
    reasoning: false,
    input: ["text"],
    cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
    contextWindow: 128_000,
    maxTokens: 16_384,
  };
}

/** The bench tool's parameters as pi's TypeBox schema. */
export const piParameters = Type.Object({ path: Type.String(), content: Type.String() });

/** `streamOpenAICompletions` alone. */
export const piAiSystem: BenchSystem = {
  id: "pi-ai",
  label: "pi-ai streamOpenAICompletions",
  concurrent: false,
  async run(baseUrl: string, workload: Workload) {
    const model = piModel(baseUrl);
    for (const [t, turn] of workload.turns.entries()) {
      const context = {
        systemPrompt: SYSTEM_PROMPT,
        messages: conversationFor(workload, t) as never,
        tools: [{ name: BENCH_TOOL.name, description: BENCH_TOOL.description, parameters: piParameters }],
      };
      let text = "";
      let message: AssistantMessage | undefined;
      for await (const event of streamOpenAICompletions(model, context, { apiKey: "bench" })) {
        if (event.type === "text_delta") text += event.delta;
        else if (event.type === "done") message = event.message as unknown as AssistantMessage;
        else if (event.type === "error") throw new Error(`pi-ai stream failed: ${event.error.errorMessage}`);
      }
      checkAssistant(message, turn.expect, `turn ${t}`);
      if (text !== turn.expect.text) throw new Error(`bench check failed: turn ${t} streamed text differs`);
    }
  },
};
