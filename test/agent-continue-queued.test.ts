/**
 * Section 4 `continue()` from a transcript that ends with an assistant message:
 * like pi-agent-core, it runs what is queued (steering first, then follow-ups,
 * each in its queue's mode) and only refuses when nothing is queued.
 */
import { describe, expect, it } from "vitest";
import { assistantText, type AgentMessage, type Context, type UserMessage } from "../src/index.js";
import { fauxAgents } from "./helpers/faux-agents.js";

const { make } = fauxAgents();

/** The faux model answers with the text of the user messages it saw last, so each run shows its input. */
const lastUsers = (context: Context) => {
  const texts: string[] = [];
  for (const message of [...context.messages].reverse()) {
    if (message.role !== "user") break;
    texts.unshift(String((message as UserMessage).content));
  }
  return { text: texts.join("+") };
};

describe("continue() with queued messages", () => {
  it("runs queued follow-ups (one per turn by default) after a finished run", async () => {
    const { agent, faux } = make(lastUsers);
    await agent.prompt("first");
    agent.followUp("later 1");
    agent.followUp("later 2");

    // The first follow-up starts the run; the second is taken when that run would end.
    expect(assistantText(await agent.continue())).toBe("later 2");
    expect(replies(agent.state.messages)).toEqual(["first", "later 1", "later 2"]);
    expect(faux.calls).toHaveLength(3);
    expect(agent.hasQueuedMessages()).toBe(false);
    await expect(agent.continue()).rejects.toThrow(/Cannot continue from an assistant message/);
  });

  it("runs queued steering before follow-ups, all at once in mode all", async () => {
    const { agent, log } = make(lastUsers, { steeringMode: "all" });
    await agent.prompt("first");
    agent.followUp("follow");
    agent.steer("steer 1");
    agent.steer("steer 2");

    expect(assistantText(await agent.continue())).toBe("follow");
    expect(replies(agent.state.messages)).toEqual(["first", "steer 1+steer 2", "follow"]);
    expect(agent.hasQueuedMessages()).toBe(false);
    expect(log.outline().filter((t) => t === "agent_start")).toHaveLength(2);
  });
});

function replies(messages: readonly AgentMessage[]): string[] {
  return messages.flatMap((m) => (m.role === "assistant" ? [assistantText(m)] : []));
}
