/**
 * The chat's tools; they run on the server, next to the agent. `sum`
 * reports progress as it goes (one number at a time); `get_time` asks the
 * user first.
 */
import { type AgentToolResult, defineTool } from "tinyagent";
import { z } from "zod";

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(new Error("Stopped by the user."));
    });
  });
}

const text = (value: string): AgentToolResult => ({ content: [{ type: "text", text: value }] });

/** Adds numbers slowly, reporting the running total. */
export const sum = defineTool({
  name: "sum",
  description: "Add a list of numbers and return the total.",
  parameters: z.object({ numbers: z.array(z.number()) }),
  async execute(_id, { numbers }, signal, onUpdate) {
    let total = 0;
    for (const [i, n] of numbers.entries()) {
      total += n;
      onUpdate(text(`added ${n} (${i + 1} of ${numbers.length}), total so far ${total}`));
      await pause(250, signal); // slow on purpose, so the page shows each step
    }
    return text(String(total));
  },
});

/** The server's clock, after the user approves reading it. */
export const getTime = defineTool({
  name: "get_time",
  description: "Get the current time.",
  parameters: z.object({}),
  requiresApproval: true,
  async execute() {
    return text(`${new Date().toISOString().slice(11, 19)} UTC`);
  },
});
