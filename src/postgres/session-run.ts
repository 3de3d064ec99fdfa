/**
 * One job of a worker: open the session's agent through a claim (which
 * resumes a run in flight, contract §10), apply the session's queued
 * commands in order, record its events, and return once the session is
 * quiet — idle, or waiting for approvals — with everything written. A lost
 * claim stops the agent at once, writing nothing (another worker has the
 * session); then the job throws, so pg-boss's outcome says "not done here".
 */
import type pg from "pg";
import { Agent } from "../agent.js";
import type { AgentOptions } from "../agent-options.js";
import type { AgentMessage } from "../core/types.js";
import type { SessionStore } from "../session-store.js";
import { EventWriter } from "./event-log.js";
import type { NoticeBoard } from "./notifications.js";
import { sweepExpiredSessions } from "./retention.js";
import type { Tables } from "./schema.js";
import { SessionClaim } from "./session-claim.js";
import { commandsAfter, type NumberedCommand } from "./session-commands.js";

/** What a job needs from its worker. */
export type SessionRunContext = {
  pool: pg.Pool;
  tables: Tables;
  store: SessionStore;
  notices: NoticeBoard;
  agentOptions(sessionId: string): AgentOptions | Promise<AgentOptions>;
  /** Stop the run this long after it started, writing nothing (the job's claim is about to expire). */
  claimMs: number;
  /** `Agent.open`'s ttl: how long a session with no run in flight is kept. */
  ttl: number | undefined;
};

/** Advances `sessionId` until it is quiet; throws when the claim was lost on the way. */
export async function runSession(context: SessionRunContext, sessionId: string, signal: AbortSignal): Promise<void> {
  let agent: Agent | undefined;
  let wake: () => void = () => {};
  const stop = () => {
    if (agent?.actor.getSnapshot().status === "active") agent.abort();
    wake();
  };
  const writer = new EventWriter(context.pool, context.tables, sessionId);
  const claim: SessionClaim = new SessionClaim(context.store, sessionId, { onLost: stop, beforeWrite: () => writer.flush(claim) });
  writer.attach(claim);
  const timer = setTimeout(() => claim.lose(`its claim ran out after ${context.claimMs} ms`), context.claimMs);
  const onAbort = () => claim.lose("the worker is closing");
  signal.addEventListener("abort", onAbort);
  let dirty = true;
  const unsubscribe = await context.notices.subscribe(sessionId, () => {
    dirty = true;
    wake();
  });
  try {
    // An expired session is gone: its history goes now, so commands it applied are not applied again to the new one.
    await sweepExpiredSessions(context.pool, context.tables, sessionId);
    const { messages: _messages, ...options } = await context.agentOptions(sessionId);
    agent = await Agent.open(sessionId, { ...options, store: claim, ttl: context.ttl, onLost: (error) => claim.lose(error.message) });
    const opened = agent;
    opened.subscribe((event) => writer.push(event));
    if (claim.lost) throw lostError(claim);
    for (;;) {
      if (dirty) {
        dirty = false;
        for (const numbered of await commandsAfter(context.pool, context.tables, sessionId, claim.state.appliedSeq)) {
          if (claim.lost) break;
          apply(opened, claim, numbered);
        }
      }
      applyDecisions(opened, claim);
      if (claim.lost) break;
      const ready = () => dirty || claim.lost !== undefined || decisionReady(opened, claim);
      await quiet(opened, ready, (resume) => (wake = resume));
      if (ready()) continue;
      // Quiet: write what is pending, then look for commands once more before letting go.
      if (opened.actor.getSnapshot().matches("idle")) claim.state.decisions = {}; // the run ended: its calls are answered
      if (claim.savedAppliedSeq < claim.state.appliedSeq) await claim.saveWorkerState();
      await claim.serial(() => writer.flush(claim));
      const more = await commandsAfter(context.pool, context.tables, sessionId, claim.state.appliedSeq);
      if (more.length === 0 || claim.lost) break;
      dirty = true;
    }
    if (claim.lost) throw lostError(claim);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
    unsubscribe();
    if (agent) {
      if (claim.lost && agent.actor.getSnapshot().status === "active") agent.abort();
      agent.actor.stop();
    }
  }
}

function lostError(claim: SessionClaim): Error {
  return new Error(`tinyagent/postgres: session "${claim.sessionId}" left this worker: ${claim.lost}`);
}

/** Resolves when the agent is idle or only waits for approvals (or `interrupted()` holds); `park` receives the early wake-up. */
function quiet(agent: Agent, interrupted: () => boolean, park: (resume: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    const check = () => {
      if (done || !(interrupted() || isQuiet(agent))) return;
      done = true;
      subscription.unsubscribe();
      resolve();
    };
    const subscription = agent.actor.subscribe(check);
    park(check);
    check();
  });
}

function isQuiet(agent: Agent): boolean {
  const snapshot = agent.actor.getSnapshot();
  if (snapshot.matches("idle")) return true;
  const pending = snapshot.context.pendingToolCalls;
  return snapshot.matches("executingTools") && pending.length > 0 && pending.every((call) => call.status === "awaitingApproval");
}

function decisionReady(agent: Agent, claim: SessionClaim): boolean {
  return agent.actor.getSnapshot().context.pendingToolCalls.some((call) => call.status === "awaitingApproval" && claim.state.decisions[call.toolCallId]);
}

/**
 * Applies the decisions for calls that wait for approval now (the agent
 * checkpoints an approval before its tool runs, so a worker that dies
 * mid-call does not run it again unless it is replay-safe).
 */
function applyDecisions(agent: Agent, claim: SessionClaim): void {
  for (const call of agent.actor.getSnapshot().context.pendingToolCalls) {
    const decision = claim.state.decisions[call.toolCallId];
    if (!decision || call.status !== "awaitingApproval" || claim.lost) continue;
    const { [call.toolCallId]: _taken, ...rest } = claim.state.decisions;
    claim.state.decisions = rest;
    if (decision.approve) agent.approve(call.toolCallId);
    else agent.reject(call.toolCallId, decision.reason);
  }
}

/** Applies one command; its number is recorded first, so the checkpoint it causes includes it. */
function apply(agent: Agent, claim: SessionClaim, { seq, command }: NumberedCommand): void {
  claim.state.appliedSeq = seq;
  const skip = (why: string) => console.warn(`tinyagent/postgres: session "${claim.sessionId}": command ${seq} (${command.type}) skipped: ${why}`);
  try {
    switch (command.type) {
      case "prompt":
        // A prompt that arrives during a run joins it as follow-ups (a queued client cannot be told "busy").
        if (agent.actor.getSnapshot().matches("idle")) void agent.prompt(command.messages).catch((error: unknown) => claim.lost || skip(String(error)));
        else for (const message of command.messages) agent.followUp(message as AgentMessage);
        return;
      case "steer":
        agent.steer(command.message);
        return;
      case "followUp":
        agent.followUp(command.message);
        return;
      case "abort":
        agent.abort();
        return;
      case "approve":
      case "reject":
        // Kept until the call waits (a client may answer before the run gets there), then applied.
        claim.state.decisions = {
          ...claim.state.decisions,
          [command.toolCallId]:
            command.type === "approve" ? { approve: true } : { approve: false, ...(command.reason === undefined ? {} : { reason: command.reason }) },
        };
        return;
    }
  } catch (error) {
    skip(error instanceof Error ? error.message : String(error));
  }
}
