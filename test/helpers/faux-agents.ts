/**
 * Agents on the scripted faux model for tests. Every agent made (or tracked)
 * in a test file is checked after each test: valid transcript, idle machine.
 */
import { afterEach, expect } from "vitest";
import { Agent, type AgentOptions } from "../../src/index.js";
import { createFauxProvider, type FauxScript } from "../../src/testing.js";
import { expectValidTranscript, recordEvents } from "./transcript.js";

/** Registers the after-each checks; returns `make` (a faux agent with an event log) and `track`. */
export function fauxAgents() {
  let agents: Agent[] = [];
  afterEach(() => {
    for (const agent of agents) {
      expectValidTranscript(agent.state.messages);
      expect(agent.actor.getSnapshot().value).toBe("idle");
    }
    agents = [];
  });
  const track = (agent: Agent) => {
    agents.push(agent);
    return agent;
  };
  const make = (script: FauxScript, options: AgentOptions = {}) => {
    const faux = createFauxProvider(script);
    const agent = track(new Agent({ model: faux.model, streamFn: faux.streamFn, ...options }));
    return { agent, faux, log: recordEvents(agent) };
  };
  return { make, track };
}
