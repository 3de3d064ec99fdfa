import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Agent, defineTool, googleModel, textResult } from "../src/index.js";
import { gchunk, gsse, USAGE } from "./helpers/gemini-chunks.js";
import { type SseServer, startSseServer } from "./helpers/sse-server.js";
import { expectValidTranscript } from "./helpers/transcript.js";

let server: SseServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const weather = defineTool({
  name: "get_weather",
  description: "The weather in a city.",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  execute: async (_id, args: { city: string }) => textResult(`${args.city}: 21 °C`),
});

describe("the agent on Gemini (default stream function, loopback server)", () => {
  it("runs a function-call turn then a text turn; the second request pairs responses with calls and replays signatures", async () => {
    server = await startSseServer([
      {
        chunks: [
          gsse(
            gchunk([{ text: "The user wants two cities.", thought: true }]),
            gchunk(
              [
                { functionCall: { name: "get_weather", args: { city: "Oslo" } }, thoughtSignature: "c2lnLW9zbG8=" },
                { functionCall: { name: "get_weather", args: { city: "Lima" } } },
              ],
              "STOP",
              USAGE,
            ),
          ),
        ],
      },
      { chunks: [gsse(gchunk([{ text: "Oslo and Lima are both " }]), gchunk([{ text: "21 °C.", thoughtSignature: "ZmluYWw=" }], "STOP", USAGE))] },
    ]);
    const agent = new Agent({
      model: googleModel("gemini-2.5-flash", { baseUrl: server.url, reasoning: true }),
      streamOptions: { apiKey: "g-key" },
      systemPrompt: "Use tools.",
      tools: [weather],
    });
    const final = await agent.prompt("Weather in Oslo and Lima?");
    expect(final).toMatchObject({ stopReason: "stop", content: [{ type: "text", text: "Oslo and Lima are both 21 °C.", signature: "ZmluYWw=" }] });
    expect(agent.state.messages.map((m) => m.role)).toEqual(["user", "assistant", "toolResult", "toolResult", "assistant"]);
    expectValidTranscript(agent.state.messages);

    const second = server.requests[1]!.json() as { contents: unknown[]; tools: unknown[]; systemInstruction: unknown };
    expect(second.systemInstruction).toEqual({ parts: [{ text: "Use tools." }] });
    expect(second.contents).toEqual([
      { role: "user", parts: [{ text: "Weather in Oslo and Lima?" }] },
      {
        role: "model",
        parts: [
          { text: "The user wants two cities.", thought: true },
          { functionCall: { name: "get_weather", args: { city: "Oslo" } }, thoughtSignature: "c2lnLW9zbG8=" },
          { functionCall: { name: "get_weather", args: { city: "Lima" } } },
        ],
      },
      {
        role: "user",
        parts: [
          { functionResponse: { name: "get_weather", response: { output: "Oslo: 21 °C" } } },
          { functionResponse: { name: "get_weather", response: { output: "Lima: 21 °C" } } },
        ],
      },
    ]);
    expect(agent.state.messages[1]).toMatchObject({ usage: { input: 12, output: 5 } });
  });
});

describe("agent.promptObject on Gemini", () => {
  const Forecast = z.object({ city: z.string(), celsius: z.number() });

  it("Gemini 2.5 with tools: the schema rides in the system instruction; a tool turn, an invalid answer, then the corrected one", async () => {
    server = await startSseServer([
      { chunks: [gsse(gchunk([{ functionCall: { name: "get_weather", args: { city: "Oslo" } } }], "STOP", USAGE))] },
      { chunks: [gsse(gchunk([{ text: '{"city":"Oslo","celsius":"21"}' }], "STOP", USAGE))] },
      { chunks: [gsse(gchunk([{ text: '{"city":"Oslo",' }]), gchunk([{ text: '"celsius":21}' }], "STOP", USAGE))] },
    ]);
    const agent = new Agent({ model: googleModel("gemini-2.5-flash", { baseUrl: server.url }), streamOptions: { apiKey: "k" }, tools: [weather] });
    expect(await agent.promptObject("Forecast for Oslo as JSON.", Forecast)).toEqual({ city: "Oslo", celsius: 21 });
    expectValidTranscript(agent.state.messages);
    const bodies = server.requests.map(
      (r) =>
        r.json() as { systemInstruction?: { parts: { text: string }[] }; generationConfig?: unknown; contents: { role: string; parts: { text?: string }[] }[] },
    );
    expect(bodies).toHaveLength(3);
    for (const body of bodies) {
      expect(body.generationConfig).toBeUndefined();
      expect(body.systemInstruction?.parts[0]?.text).toMatch(
        /^When you give your final answer, reply with only a JSON value .*\n\{"type":"object","properties":\{"city"/,
      );
    }
    expect(bodies[2]!.contents.at(-1)).toEqual({
      role: "user",
      parts: [
        {
          text: "Your answer does not match the schema:\n✖ Invalid input: expected number, received string\n  → at celsius\nReply again with only the corrected JSON value.",
        },
      ],
    });
  });

  it("Gemini 3 with tools asks for responseJsonSchema natively", async () => {
    server = await startSseServer({ chunks: [gsse(gchunk([{ text: '{"city":"Lima","celsius":19.5}', thoughtSignature: "c2ln" }], "STOP", USAGE))] });
    const agent = new Agent({ model: googleModel("gemini-3-flash-preview", { baseUrl: server.url }), streamOptions: { apiKey: "k" }, tools: [weather] });
    expect(await agent.promptObject("Forecast for Lima.", Forecast)).toEqual({ city: "Lima", celsius: 19.5 });
    expect((server.requests[0]!.json() as { generationConfig: unknown }).generationConfig).toEqual({
      responseMimeType: "application/json",
      responseJsonSchema: { type: "object", properties: { city: { type: "string" }, celsius: { type: "number" } }, required: ["city", "celsius"] },
    });
  });
});
