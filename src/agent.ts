/**
 * The Agent facade: creates the agent actor, turns method calls into machine
 * events, relays the machine's emitted events to subscribers and resolves
 * `prompt()` at `agent_end`. It adds no events of its own.
 */
import { Subject, type Observable } from "rxjs";
import { createActor } from "xstate";
import {
  agentMachine,
  type AgentActor,
  type AgentContext,
  type AgentMachineEvent,
  type AgentMachineInput,
  type AgentSettings,
} from "../machines/agent.machine.js";
import { agentMachineInput, checkedMessages, promptMessages, type PromptInput } from "./agent-input.js";
import type { AgentOptions } from "./agent-options.js";
import { AgentError, errorText } from "./core/errors.js";
import { openSession, type OpenAgentOptions } from "./agent-session.js";
import { agentAsTool, type AgentAsToolOptions, type AgentToolResultDetails, type AgentToolUpdateDetails } from "./agent-tool.js";
import { assistantText, lastAssistantMessage, userMessage } from "./core/messages.js";
import { GuardedObservable, guardedInspect } from "./guarded-callbacks.js";
import { persistAgent, restoredMachineInput, type PersistedAgent, type RestoreAgentOptions } from "./persist.js";
import { promptObject, type OutputSchema, type PromptObjectOptions } from "./prompt-object.js";
import { checkTools } from "./core/tools.js";
import type { AgentEvent, AgentMessage, AgentTool, AssistantMessage, ImageContent, Model, QueueMode } from "./core/types.js";

// `Symbol.asyncDispose` is in lib esnext.disposable and @types/node, not ES2023: declared (as both declare it) so
// the shipped types check in a project without them. Node >= 20.4 defines the symbol (so does a polyfill, loaded first).
declare global {
  interface SymbolConstructor {
    readonly asyncDispose: unique symbol;
  }
}

/** Options of {@link Agent.prompt} (and `promptText`, `continue`, `promptObject`). */
export type PromptOptions = {
  /** Aborting it aborts this run (as `agent.abort()` does); one already aborted is refused. */
  signal?: AbortSignal;
  /** Images sent with a text prompt. */
  images?: ImageContent[];
};

/**
 * What `agent.state` shows: a read-only view, new at each read. Change the
 * agent through its methods (`setModel`, `setTools`, `replaceMessages`, …).
 */
export type AgentState = {
  readonly systemPrompt: string;
  readonly model: Model | undefined;
  readonly tools: readonly AgentTool[];
  readonly messages: readonly AgentMessage[];
  /** True while a run is active. */
  readonly isStreaming: boolean;
  /** The assistant message being streamed, if any. */
  readonly streamMessage: AssistantMessage | null;
  /** Ids of tool calls that have not finished. */
  readonly pendingToolCalls: ReadonlySet<string>;
  /** Why the last run failed, if it did. */
  readonly error: string | undefined;
};

/**
 * An LLM agent: prompt it, and it streams replies and runs tools until the model stops.
 * @example
 * const agent = new Agent({ streamFn: streamOpenAICompatible, model: openRouterModel("openai/gpt-4o-mini") });
 * agent.setSystemPrompt("You are terse.");
 * agent.subscribe((e) => e.type === "message_update" && process.stdout.write("."));
 * console.log(await agent.promptText("Hi"));
 */
export class Agent {
  private started: AgentActor | undefined;
  /** What creates the actor, until it is created (see {@link Agent.actor}). */
  private unstarted: { input: AgentMachineInput; inspect: AgentOptions["inspect"] } | undefined;
  private readonly listeners = new Set<(event: AgentEvent) => void>();
  /** Made at the first `events$` subscription (idle agents are many; most have no such subscriber). */
  private subject: Subject<AgentEvent> | undefined;
  private events: Observable<AgentEvent> | undefined;
  private runWaiters: { resolve: (message: AssistantMessage | undefined) => void; reject: (error: AgentError) => void }[] = [];
  private disposed = false;
  /** Set when the agent lost its durable session (see {@link Agent.open}): it takes no more input. */
  private lostSession: AgentError | undefined;

  /** `input` replaces the machine input built from `options` (how {@link Agent.restore} rebuilds an agent). */
  constructor(options: AgentOptions = {}, input: AgentMachineInput = agentMachineInput(options)) {
    this.unstarted = { input, inspect: options.inspect };
    // A run to resume (a reopened session) or a run-once prompt starts at once; anything else waits for first use.
    if (input.resume || input.prompt) void this.actor;
  }

  /**
   * The xstate actor running {@link agentMachine}; `snapshot.value` is the state.
   * Created and started at its first use (any method, `state`, or reading
   * this): an XState actor holds ~4 KB even for a trivial machine, so an agent
   * made and not used yet holds none (bench (f)). What it shows is the same
   * either way; an `inspect` observer sees the actor start at that first use.
   */
  get actor(): AgentActor {
    return this.started ?? this.startActor();
  }

  private startActor(): AgentActor {
    const { input, inspect } = this.unstarted!;
    this.unstarted = undefined;
    const actor = createActor(agentMachine, { input, inspect: guardedInspect(inspect) });
    this.started = actor;
    actor.on("*", (event) => this.relay(event));
    actor.start();
    return actor;
  }

  /**
   * Every event of every run, as an Observable. A subscriber (or an operator
   * piped from it) that throws is reported on `console.error` and skipped,
   * never rethrown (see guarded-callbacks.ts).
   */
  get events$(): Observable<AgentEvent> {
    this.events ??= new GuardedObservable<AgentEvent>((subscriber) => this.eventSubject().subscribe(subscriber));
    return this.events;
  }

  private eventSubject(): Subject<AgentEvent> {
    if (!this.subject) {
      this.subject = new Subject<AgentEvent>();
      if (this.disposed) this.subject.complete();
    }
    return this.subject;
  }

  /**
   * Rebuilds an idle agent from {@link Agent.persist}'s output (parsed JSON): `options` give back the
   * stream function, hooks and tool objects (see src/persist.ts). Throws {@link AgentError} for bad input.
   */
  static restore(persisted: unknown, options: RestoreAgentOptions = {}): Agent {
    return new Agent(options, restoredMachineInput(persisted, options));
  }

  /**
   * Opens a durable session (contract §10): creates session `sessionId` in
   * `options.store`, or loads it and continues its run in flight — finished
   * tool results kept, an interrupted model call made again, in-flight calls
   * of `replay: "safe"` tools run again and others answered as interrupted, a
   * call waiting for approval still waiting. The agent then checkpoints itself
   * at every durable point (never per stream delta). `options` give back the
   * functions and credentials, which the store never holds. Rejects with
   * {@link AgentError} "session-conflict" when another writer saved the
   * session meanwhile; a later conflict stops the run and calls `onLost`.
   * @example
   * const store = createFileStore(".sessions");
   * const agent = await Agent.open("user-42", { store, model, tools, ttl: 7 * 24 * 3600_000 });
   * await agent.prompt("Where were we?");
   */
  static open(sessionId: string, options: OpenAgentOptions): Promise<Agent> {
    return openSession(sessionId, options, (agentOptions, input) => new Agent(agentOptions, input));
  }

  /**
   * Stops this agent for good because its session was lost (used by `Agent.open`'s checkpoints):
   * the run stops where it is, pending `prompt()`s reject with `error`, later calls throw it.
   * @internal
   */
  loseSession(error: AgentError): void {
    this.lostSession = error;
    this.actor.stop();
    const waiters = this.runWaiters;
    this.runWaiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }

  /** A JSON-serialisable copy of the agent's state, at any time (mid-run too); see {@link persistAgent}. */
  persist(): PersistedAgent {
    return persistAgent(this);
  }

  /** A snapshot of the agent's state. */
  get state(): AgentState {
    const context = this.context;
    return {
      systemPrompt: context.systemPrompt,
      model: context.model,
      tools: context.tools,
      messages: context.messages,
      isStreaming: !this.actor.getSnapshot().matches("idle"),
      streamMessage: context.streamMessage,
      pendingToolCalls: new Set(context.pendingToolCalls.map((call) => call.toolCallId)),
      error: context.error,
    };
  }

  private get context(): AgentContext {
    return this.actor.getSnapshot().context;
  }

  /** Sets the system prompt for the next model call. */
  setSystemPrompt(systemPrompt: string): void {
    this.configure({ systemPrompt }, "setSystemPrompt");
  }

  /** Sets the model for the next model call. */
  setModel(model: Model): void {
    this.configure({ model }, "setModel");
  }

  /** Replaces the tools; names must be unique and schemas must describe objects. */
  setTools(tools: AgentTool[]): void {
    checkTools(tools);
    this.configure({ tools: [...tools] }, "setTools");
  }

  /** Sets how tool calls of one turn run. */
  setToolExecution(toolExecution: "parallel" | "sequential"): void {
    this.configure({ toolExecution }, "setToolExecution");
  }

  private configure(settings: Partial<AgentSettings>, method: string): void {
    this.assertLive(method);
    this.actor.send({ type: "agent.configure", settings });
  }

  /** Replaces the transcript (between runs). */
  replaceMessages(messages: AgentMessage[]): void {
    const event = { type: "agent.replaceMessages" as const, messages: checkedMessages(messages, "messages") };
    this.assertCan(event, "replaceMessages");
    this.actor.send(event);
  }

  /** Appends one message to the transcript (between runs). */
  appendMessage(message: AgentMessage): void {
    const event = { type: "agent.appendMessage" as const, message: checkedMessages([message], "message")[0]! };
    this.assertCan(event, "appendMessage");
    this.actor.send(event);
  }

  /** Empties the transcript (between runs). */
  clearMessages(): void {
    this.replaceMessages([]);
  }

  /** Aborts any run (synchronously), then empties the transcript, queues, error and usage. */
  reset(): void {
    this.assertLive("reset");
    this.abort();
    this.actor.send({ type: "agent.reset" });
  }

  /**
   * Starts a run and resolves with its last assistant message at `agent_end`.
   * Provider errors and aborts resolve too (see the message's `stopReason`).
   * The second argument is the images of a text prompt, or {@link PromptOptions}
   * (`signal`: aborting it aborts this run, like `abort()`).
   * @example
   * const message = await agent.prompt("Summarise the log", { signal: AbortSignal.timeout(30_000) });
   */
  async prompt(input: PromptInput, options?: ImageContent[] | PromptOptions): Promise<AssistantMessage> {
    const { images, signal } = Array.isArray(options) ? { images: options, signal: undefined } : (options ?? {});
    const event = { type: "agent.prompt" as const, messages: toMessages(input, images) };
    this.assertCan(event, "prompt");
    return this.run(event, signal, "prompt");
  }

  /** Like {@link prompt}, resolving with the final assistant text. */
  async promptText(text: string, options?: PromptOptions): Promise<string> {
    return assistantText(await this.prompt(text, options));
  }

  /**
   * Runs `input` as a normal run (tools included) whose final answer must be
   * JSON matching `schema` (zod 4, Standard Schema or JSON Schema): the
   * provider's native JSON mode is asked for, a mismatch is sent back to the
   * model for correction (`maxRetries`, default 2), and the parsed value is
   * returned. Rejects with {@link AgentError} "invalid-output" (with
   * `lastMessage`) when no valid answer came.
   * @example
   * const { city } = await agent.promptObject("Where is the Louvre?", z.object({ city: z.string() }));
   */
  async promptObject<TOutput = unknown>(input: PromptInput, schema: OutputSchema<TOutput>, options?: PromptObjectOptions & PromptOptions): Promise<TOutput> {
    this.assertCan({ type: "agent.prompt", messages: [] }, "promptObject");
    checkSignal(options?.signal, "promptObject");
    const signal = options?.signal;
    return promptObject({ actor: this.actor, prompt: (next) => this.prompt(next, { signal }) }, input, schema, options);
  }

  /**
   * Runs the model on the current transcript. From an assistant message it
   * runs the queued steering (else follow-up) messages, as pi-agent-core does;
   * with nothing queued the transcript must end with a user or tool-result message.
   */
  async continue(options?: PromptOptions): Promise<AssistantMessage> {
    const event = { type: "agent.continue" as const };
    this.assertCan(event, "continue");
    return this.run(event, options?.signal, "continue");
  }

  /** Queues a message for the current run's next turn boundary. */
  steer(message: string | AgentMessage): void {
    this.assertLive("steer");
    this.actor.send({ type: "agent.steer", message: toMessages(message)[0]! });
  }

  /** Queues a message to run when the current run would otherwise end. */
  followUp(message: string | AgentMessage): void {
    this.assertLive("followUp");
    this.actor.send({ type: "agent.followUp", message: toMessages(message)[0]! });
  }

  /** Drops queued steering messages. */
  clearSteeringQueue(): void {
    this.assertLive("clearSteeringQueue");
    this.actor.send({ type: "agent.clearQueues", steering: true, followUp: false });
  }

  /** Drops queued follow-up messages. */
  clearFollowUpQueue(): void {
    this.assertLive("clearFollowUpQueue");
    this.actor.send({ type: "agent.clearQueues", steering: false, followUp: true });
  }

  /** Drops every queued steering and follow-up message. */
  clearAllQueues(): void {
    this.assertLive("clearAllQueues");
    this.actor.send({ type: "agent.clearQueues", steering: true, followUp: true });
  }

  /** True when steering or follow-up messages wait in a queue. */
  hasQueuedMessages(): boolean {
    return this.context.steeringQueue.length > 0 || this.context.followUpQueue.length > 0;
  }

  /** How queued steering messages are released: one per turn boundary, or all at once. */
  get steeringMode(): QueueMode {
    return this.context.steeringMode;
  }
  set steeringMode(steeringMode: QueueMode) {
    this.configure({ steeringMode }, "steeringMode =");
  }

  /** How queued follow-up messages are released: one per run end, or all at once. */
  get followUpMode(): QueueMode {
    return this.context.followUpMode;
  }
  set followUpMode(followUpMode: QueueMode) {
    this.configure({ followUpMode }, "followUpMode =");
  }

  /** Session id forwarded to providers for cache-aware backends. */
  get sessionId(): string | undefined {
    return this.context.streamOptions.sessionId;
  }
  set sessionId(sessionId: string | undefined) {
    this.configure({ streamOptions: { ...this.context.streamOptions, sessionId } }, "sessionId =");
  }

  /** Aborts the current run: the stream is cancelled and running tools' signals abort. */
  abort(): void {
    if (this.disposed) return;
    this.actor.send({ type: "agent.abort" });
  }

  /**
   * Ends the agent for good: aborts any run (its `prompt()` resolves with the
   * aborted message), stops the actor, completes `events$` and drops
   * `subscribe()` listeners. Calling it again does nothing; any other call
   * afterwards throws {@link AgentError} "disposed" (reading `state` still works).
   * @example
   * await using agent = new Agent({ model }); // disposed when the block ends
   */
  dispose(): void {
    if (this.disposed) return;
    this.abort();
    this.disposed = true;
    this.actor.stop();
    // abort() settles a run synchronously; a waiter left means the run never reached agent_end.
    for (const waiter of this.runWaiters.splice(0)) waiter.resolve(lastAssistantMessage(this.context.messages));
    this.subject?.complete();
    this.listeners.clear();
  }

  /** {@link dispose}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.dispose();
  }

  /** Lets a tool call waiting for approval run. */
  approve(toolCallId: string): void {
    const event = { type: "agent.approve" as const, toolCallId };
    this.assertCan(event, "approve");
    this.actor.send(event);
  }

  /** Refuses a tool call waiting for approval; the model gets an error result carrying `reason`. */
  reject(toolCallId: string, reason?: string): void {
    const event = { type: "agent.reject" as const, toolCallId, reason };
    this.assertCan(event, "reject");
    this.actor.send(event);
  }

  /**
   * This agent as a tool of another agent. Each call runs a fresh transcript
   * with this agent's current settings; the child's events arrive as the
   * parent's `tool_execution_update` (`details.event`), its final text is the
   * result, and aborting the parent (the tool's signal) aborts the child.
   * @example
   * const coordinator = new Agent({ model, tools: [researcher.asTool({ name: "research", description: "Finds facts" })] });
   */
  asTool<TArgs = { prompt: string }>(options: AgentAsToolOptions<TArgs>): AgentTool<TArgs, AgentToolUpdateDetails | AgentToolResultDetails> {
    return agentAsTool(() => this.context, options);
  }

  /** Resolves when no run is active; rejects when the agent lost its session (see {@link Agent.open}). */
  waitForIdle(): Promise<void> {
    if (this.lostSession) return Promise.reject(this.lostSession);
    if (this.disposed || this.actor.getSnapshot().matches("idle")) return this.afterCheckpoint(Promise.resolve());
    const idle = new Promise<void>((resolve, reject) => {
      const subscription = this.actor.subscribe({
        next: (snapshot) => {
          if (!snapshot.matches("idle")) return;
          subscription.unsubscribe();
          resolve();
        },
        complete: () => this.lostSession && reject(this.lostSession),
      });
    });
    return this.afterCheckpoint(idle);
  }

  /** Calls `listener` with every event; returns the function that unsubscribes it. */
  subscribe(listener: (event: AgentEvent) => void): () => void {
    this.assertLive("subscribe");
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private relay(event: AgentEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        // A broken listener must not break the run or the other listeners.
        console.error(`tinyagent: a subscribe() listener threw on "${event.type}" and was skipped:`, error);
      }
    }
    // Hot path (one call per delta): an rxjs Subject allocates on every next(), so skip it when nobody uses events$.
    if (this.subject?.observed) this.subject.next(event);
    if (event.type === "agent_end") {
      const last = lastAssistantMessage(event.messages);
      const waiters = this.runWaiters;
      this.runWaiters = [];
      for (const waiter of waiters) waiter.resolve(last);
    }
  }

  /** Starts the run; `signal` aborts this run only (its listener goes at this run's `agent_end`). */
  private run(event: { type: "agent.prompt"; messages: AgentMessage[] } | { type: "agent.continue" }, signal: AbortSignal | undefined, method: string) {
    checkSignal(signal, method);
    const onAbort = () => this.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    const done = new Promise<AssistantMessage>((resolve, reject) =>
      this.runWaiters.push({
        resolve: (m) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(m!);
        },
        reject: (error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(error);
        },
      }),
    );
    this.actor.send(event);
    return this.afterCheckpoint(done);
  }

  /** `promise`, settled once the agent's checkpoints so far are in its session store (see {@link Agent.open}). */
  private async afterCheckpoint<T>(promise: Promise<T>): Promise<T> {
    const value = await promise;
    await this.context.checkpointed?.("saved");
    return value;
  }

  private assertLive(method: string): void {
    if (this.lostSession) throw this.lostSession;
    if (!this.disposed) return;
    const call = method.endsWith("=") ? `setting ${method.slice(0, -2)}` : `${method}()`;
    throw new AgentError("disposed", `This agent was disposed: ${call} is not possible. Create a new Agent (or Agent.restore(agent.persist())) to go on.`);
  }

  /** The machine decides what is legal (`can()`); a refusal becomes an {@link AgentError} that says why and what to do. */
  private assertCan(event: AgentMachineEvent, method: string): void {
    this.assertLive(method);
    const snapshot = this.actor.getSnapshot();
    if (!snapshot.can(event)) throw refusal(event, method, snapshot.context, snapshot.matches("idle"));
  }
}

/** Why the machine refused `event`, in words: read from the context only to explain, never to decide. */
function refusal(event: AgentMachineEvent, method: string, context: AgentContext, idle: boolean): AgentError {
  if (event.type === "agent.approve" || event.type === "agent.reject") {
    const waiting = context.pendingToolCalls.filter((call) => call.status === "awaitingApproval");
    const ids = waiting.map((call) => call.toolCallId).join(", ") || "none";
    return new AgentError("unknown-tool-call", `No tool call "${event.toolCallId}" is waiting for approval (waiting: ${ids}).`);
  }
  if (!idle) {
    const what =
      event.type === "agent.prompt" || event.type === "agent.continue"
        ? "use steer() or followUp(), or await agent.waitForIdle()"
        : "await agent.waitForIdle()";
    return new AgentError("agent-busy", `Agent is busy with a run: ${what} before ${method}().`);
  }
  if (!context.model) {
    return new AgentError("no-model", `No model set: call agent.setModel(model) or pass { model } to new Agent() before ${method}().`);
  }
  if (event.type === "agent.continue") {
    return context.messages.length === 0
      ? new AgentError("invalid-continue", "Nothing to continue: the transcript is empty. Use prompt() first.")
      : new AgentError(
          "invalid-continue",
          "Cannot continue from an assistant message: the model has already answered. Use prompt(), or followUp()/steer() and then continue().",
        );
  }
  return new AgentError("invalid-input", `${method}() is not possible now (state ${JSON.stringify(idle ? "idle" : "busy")}).`);
}

/** A signal that has already fired would abort the run before it starts: refused, so the caller sees why nothing ran. */
function checkSignal(signal: AbortSignal | undefined, method: string): void {
  if (!signal?.aborted) return;
  const reason = errorText(signal.reason);
  throw new AgentError("invalid-input", `${method}() got an AbortSignal that is already aborted (${reason}): pass a fresh signal to start a run.`);
}

function toMessages(input: PromptInput, images?: ImageContent[]): AgentMessage[] {
  if (typeof input === "string" && images?.length) return [userMessage([{ type: "text", text: input }, ...images])];
  return promptMessages(input);
}
