/**
 * Peer: the Vercel AI SDK (`ai` 6 + `@ai-sdk/openai-compatible` 2):
 * `streamText` with the tool and `stopWhen: stepCountIs(turns)` (its agent
 * loop), one consumer appending every text delta from `fullStream`.
 */
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { stepCountIs, streamText, tool, ToolLoopAgent } from "ai";
import { z } from "zod";
import { BENCH_TOOL, type Workload } from "../workloads.js";
import { type BenchSystem, expectedText, expectSame, MODEL_ID, PROMPT, SYSTEM_PROMPT } from "./system.js";

function chatModel(baseUrl: string) {
  return createOpenAICompatible({ name: "bench", baseURL: baseUrl, apiKey: "bench" }).chatModel(MODEL_ID);
}

const tools = {
  [BENCH_TOOL.name]: tool({
    description: BENCH_TOOL.description,
    inputSchema: z.object({ path: z.string(), content: z.string() }),
    execute: async () => BENCH_TOOL.resultText,
  }),
};

/** `streamText`. */
export const aiSdkSystem: BenchSystem = {
  id: "ai-sdk",
  label: "AI SDK streamText",
  concurrent: true,
  async run(baseUrl: string, workload: Workload) {
    const result = streamText({
      model: chatModel(baseUrl),
      system: SYSTEM_PROMPT,
      prompt: PROMPT,
      tools,
      stopWhen: stepCountIs(workload.turns.length),
    });
    let text = "";
    for await (const part of result.fullStream) {
      if (part.type === "text-delta") text += part.text;
      else if (part.type === "error") throw new Error(`AI SDK stream failed: ${String(part.error)}`);
    }
    const steps = await result.steps;
    expectSame("steps", steps.length, workload.turns.length);
    workload.turns.forEach((turn, t) => {
      const calls = steps[t]!.toolCalls;
      expectSame(`turn ${t} tool calls`, calls.length, turn.expect.toolCalls.length);
      calls.forEach((call, i) => expectSame(`turn ${t} call ${i} arguments`, JSON.stringify(call.input), turn.expect.toolCalls[i]!.arguments));
      expectSame(`turn ${t} tool results`, steps[t]!.toolResults.length, turn.expect.toolCalls.length);
    });
    expectSame("streamed text", text, expectedText(workload));
  },
  idleAgent: (baseUrl) => new ToolLoopAgent({ model: chatModel(baseUrl), instructions: SYSTEM_PROMPT, tools }),
};
