/**
 * Agents as child actors: a coordinator machine asks two specialist agents
 * in parallel (two regions of a parallel state, each invoking `agentLogic`),
 * then a third agent merges their answers. Stopping the coordinator stops
 * every child run: streams cancelled, tool signals aborted, timers cleared.
 *
 *   npx tsx --conditions=tinyagent-source examples/multi-agent.ts
 */
import { assign, createActor, setup, toPromise } from "xstate";
import { agentLogic, assistantText, lastAssistantMessage, type AgentLogicInput, type AgentMessage } from "tinyagent";
import { createFauxProvider } from "tinyagent/testing";

/** The model, provider and tools the coordinator's agents share. */
export type Team = Pick<AgentLogicInput, "model" | "streamFn" | "tools">;

const OPTIMIST = "You are an optimist. Give the strongest case for, in one sentence.";
const SKEPTIC = "You are a skeptic. Give the strongest case against, in one sentence.";
const EDITOR = "You are an editor. Merge the two views into one balanced recommendation.";

const finalText = (messages: AgentMessage[]) => assistantText(lastAssistantMessage(messages));

type Role = "optimist" | "skeptic";
type Coordination = { question: string; views: Partial<Record<Role, string>>; answer: string };

/** A region of the consultation: the role's agent works on the question, then its view is kept. */
function consult(team: Team, role: Role, systemPrompt: string) {
  return {
    initial: "working",
    states: {
      working: {
        invoke: {
          src: "agent",
          input: ({ context }: { context: Coordination }) => ({ ...team, systemPrompt, prompt: context.question }),
          onDone: {
            target: "answered",
            actions: { type: "keepView", params: ({ event }: { event: { output: AgentMessage[] } }) => ({ role, text: finalText(event.output) }) },
          },
        },
      },
      answered: { type: "final" },
    },
  } as const;
}

/** A coordinator for `question`: optimist ∥ skeptic → editor; its output is the editor's answer. */
export function createCoordinator(team: Team) {
  return setup({
    types: { input: {} as { question: string }, context: {} as Coordination, output: {} as string },
    actors: { agent: agentLogic },
    actions: {
      keepView: assign({ views: ({ context }, params: { role: Role; text: string }) => ({ ...context.views, [params.role]: params.text }) }),
    },
  }).createMachine({
    id: "coordinator",
    context: ({ input }) => ({ question: input.question, views: {}, answer: "" }),
    initial: "consulting",
    states: {
      consulting: {
        type: "parallel",
        onDone: "merging",
        states: { optimist: consult(team, "optimist", OPTIMIST), skeptic: consult(team, "skeptic", SKEPTIC) },
      },
      merging: {
        invoke: {
          src: "agent",
          input: ({ context }) => ({
            ...team,
            systemPrompt: EDITOR,
            prompt: `Question: ${context.question}\nFor: ${context.views.optimist}\nAgainst: ${context.views.skeptic}`,
          }),
          onDone: { target: "done", actions: assign({ answer: ({ event }) => finalText(event.output) }) },
        },
      },
      done: { type: "final" },
    },
    output: ({ context }) => context.answer,
  });
}

/** The faux model's replies, by role (a real model would write these). */
export const teamModel = createFauxProvider((context) => ({
  chunkDelayMs: 5,
  chunkSize: 8,
  text:
    context.systemPrompt === OPTIMIST
      ? "Rewriting it in Rust removes a whole class of memory bugs."
      : context.systemPrompt === SKEPTIC
        ? "A rewrite stalls features for months and brings new bugs."
        : "Rewrite the parsing module first, where memory bugs cluster, and keep shipping features.",
}));

if (process.argv[1]?.endsWith("multi-agent.ts")) {
  const coordinator = createActor(createCoordinator({ model: teamModel.model, streamFn: teamModel.streamFn }), {
    input: { question: "Should we rewrite our C service in Rust?" },
  });
  coordinator.subscribe((snapshot) => console.log("coordinator:", JSON.stringify(snapshot.value)));
  const answer = await toPromise(coordinator.start());
  console.log(`optimist: ${coordinator.getSnapshot().context.views.optimist}`);
  console.log(`skeptic:  ${coordinator.getSnapshot().context.views.skeptic}`);
  console.log(`answer:   ${answer}`);
}
