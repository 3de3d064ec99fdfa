/**
 * `remoteAgent`: a server agent (served by `agentRequestHandler` from
 * tinyagent/server) driven from anywhere `fetch` runs — a browser, another
 * process. Its `actor` mirrors the server agent's snapshot; its methods post
 * commands. The event stream reconnects on its own (rxjs `retry` with
 * backoff) and resumes from the last frame it saw, so the mirror converges
 * on the server's state.
 */
import { createParser } from "eventsource-parser";
import { defer, Observable, repeat, retry, timer, type Subscription } from "rxjs";
import { createActor, type Actor } from "xstate";
import { AgentError, type AgentErrorCode } from "./core/errors.js";
import { lastAssistantMessage } from "./core/messages.js";
import type { AgentEvent, AssistantMessage, ImageContent, TextContent, UserMessage } from "./core/types.js";
import { remoteAgentLogic, type RemoteAgentSnapshot, type RemoteFrame } from "./remote-agent-logic.js";

/** Options of {@link remoteAgent}. */
export type RemoteAgentOptions = {
  /** Where the handler is mounted, e.g. "/api/agent" or "https://example.com/api/agent". */
  url: string;
  sessionId: string;
  /** Sent with every request (e.g. `Authorization`); a function is called per request. */
  headers?: Record<string, string> | (() => Record<string, string>);
  /** The fetch to use (default the global one). */
  fetch?: typeof fetch;
  /** First reconnect delay; doubles per failed attempt up to `maxReconnectDelayMs` (defaults 250 ms, 10 s). */
  reconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
};

/** What a remote prompt takes: text, content blocks, or a user message. */
export type RemotePromptInput = string | (TextContent | ImageContent)[] | UserMessage;

/** A server agent seen through its HTTP handler. */
export type RemoteAgent = {
  /** The mirror of the server agent's snapshot (see remote-agent-logic.ts). */
  readonly actor: Actor<typeof remoteAgentLogic>;
  readonly sessionId: string;
  /** Starts a run; resolves with its last assistant message when it ends. Rejects with the server's refusal (e.g. `agent-busy`). */
  prompt(input: RemotePromptInput): Promise<AssistantMessage | undefined>;
  steer(input: RemotePromptInput): Promise<void>;
  followUp(input: RemotePromptInput): Promise<void>;
  abort(): Promise<void>;
  approve(toolCallId: string): Promise<void>;
  reject(toolCallId: string, reason?: string): Promise<void>;
  /** Calls `listener` with every event of the server agent; returns the function that unsubscribes it. */
  subscribe(listener: (event: AgentEvent) => void): () => void;
  /** Resolves when the mirror shows no run. */
  waitForIdle(): Promise<void>;
  /** Stops the event stream. */
  close(): void;
};

/** A stream failure worth no retry: the server said the session or the credentials are wrong. */
class FatalStreamError extends Error {}

/**
 * Why `response` is a redirect that is not followed, if it is: a 307/308 to
 * another origin would resend the command (a prompt) and the headers (a token).
 */
function redirectRefusal(response: Response, what: string): string | undefined {
  if (response.type !== "opaqueredirect" && (response.status < 300 || response.status >= 400)) return undefined;
  const where = response.headers.get("location");
  return `The agent server answered ${what} with a redirect${response.status ? ` (HTTP ${response.status})` : ""}${where ? ` to ${where}` : ""}; redirects are not followed: set url to the address that answers.`;
}

/**
 * A server agent, mirrored.
 * @example
 * const remote = remoteAgent({ url: "/api/agent", sessionId: "chat-1" });
 * remote.actor.subscribe((s) => render(selectTranscript(s), selectStreamingText(s)));
 * await remote.prompt("What is 2 + 3?");
 */
export function remoteAgent(options: RemoteAgentOptions): RemoteAgent {
  const base = `${options.url.replace(/\/+$/, "")}/sessions/${encodeURIComponent(options.sessionId)}`;
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const headers = () => (typeof options.headers === "function" ? options.headers() : (options.headers ?? {}));
  const actor = createActor(remoteAgentLogic);
  actor.start();
  const firstDelay = options.reconnectDelayMs ?? 250;
  const maxDelay = options.maxReconnectDelayMs ?? 10_000;

  const stream$ = defer(() => openStream(`${base}/events`, doFetch, headers, actor)).pipe(
    // A stream that ended (server restart, a slow client cut off) is reopened after the last frame seen.
    repeat({ delay: () => timer(firstDelay) }),
    retry({
      resetOnSuccess: true,
      delay: (error: unknown, attempt) => {
        if (error instanceof FatalStreamError) throw error;
        actor.send({ type: "remote.connection", connection: "reconnecting", error: describe(error) });
        return timer(Math.min(maxDelay, firstDelay * 2 ** (attempt - 1)));
      },
    }),
  );
  const subscription: Subscription = stream$.subscribe({
    next: (frames) => actor.send({ type: "remote.frames", frames }),
    error: (error: unknown) => actor.send({ type: "remote.connection", connection: "closed", error: describe(error) }),
  });

  const command = async (name: string, body: unknown): Promise<{ after?: string }> => {
    let response: Response;
    try {
      response = await doFetch(`${base}/${name}`, {
        method: "POST",
        headers: { ...headers(), "Content-Type": "application/json" },
        body: JSON.stringify(body),
        redirect: "manual",
      });
    } catch (error) {
      throw new AgentError("remote-failed", `Could not reach the agent server for ${name}: ${describe(error)}`);
    }
    const redirected = redirectRefusal(response, name);
    if (redirected) throw new AgentError("remote-failed", redirected);
    const json = (await response.json().catch(() => ({}))) as { error?: string; code?: AgentErrorCode; after?: string };
    if (response.ok) return json;
    throw new AgentError(json.code ?? "remote-failed", json.error ?? `The agent server answered ${name} with ${response.status} ${response.statusText}.`);
  };

  const runEnded = (after: string | undefined) => {
    const [epoch, seq] = (after ?? "").split("-");
    return (snapshot: RemoteAgentSnapshot) => {
      const [endEpoch, endSeq] = (snapshot.context.lastRunEndId ?? "").split("-");
      if (endEpoch === epoch) return Number(endSeq) > Number(seq);
      // Another epoch: the server restarted; the run is over once the mirror is idle.
      return endEpoch !== undefined && endEpoch !== "" && snapshot.value === "idle";
    };
  };

  const whenSnapshot = (predicate: (snapshot: RemoteAgentSnapshot) => boolean) =>
    new Promise<RemoteAgentSnapshot>((resolve) => {
      if (predicate(actor.getSnapshot())) return resolve(actor.getSnapshot());
      const watch = actor.subscribe((snapshot) => {
        if (!predicate(snapshot)) return;
        watch.unsubscribe();
        resolve(snapshot);
      });
    });

  return {
    actor,
    sessionId: options.sessionId,
    async prompt(input) {
      const { after } = await command("prompt", { content: contentOf(input) });
      const snapshot = await whenSnapshot(runEnded(after));
      return lastAssistantMessage(snapshot.context.messages);
    },
    async steer(input) {
      await command("steer", { content: contentOf(input) });
    },
    async followUp(input) {
      await command("followUp", { content: contentOf(input) });
    },
    async abort() {
      await command("abort", {});
    },
    async approve(toolCallId) {
      await command("approve", { toolCallId });
    },
    async reject(toolCallId, reason) {
      await command("reject", reason === undefined ? { toolCallId } : { toolCallId, reason });
    },
    subscribe(listener) {
      const subscription = actor.on("*", listener);
      return () => subscription.unsubscribe();
    },
    async waitForIdle() {
      await whenSnapshot((snapshot) => snapshot.value === "idle" && snapshot.context.lastEventId !== undefined);
    },
    close() {
      subscription.unsubscribe();
      actor.send({ type: "remote.connection", connection: "closed" });
    },
  };
}

/** One connection to the event stream: emits the frames of each network read as one batch, completes when the server ends it. */
function openStream(
  url: string,
  doFetch: typeof fetch,
  headers: () => Record<string, string>,
  actor: Actor<typeof remoteAgentLogic>,
): Observable<RemoteFrame[]> {
  return new Observable<RemoteFrame[]>((subscriber) => {
    const controller = new AbortController();
    const lastEventId = actor.getSnapshot().context.lastEventId;
    const requestHeaders: Record<string, string> = { ...headers(), Accept: "text/event-stream" };
    if (lastEventId) requestHeaders["Last-Event-ID"] = lastEventId;
    void (async () => {
      const response = await doFetch(url, { headers: requestHeaders, signal: controller.signal, redirect: "manual" });
      const redirected = redirectRefusal(response, "the event stream");
      if (redirected) throw new FatalStreamError(redirected);
      if (!response.ok || !response.body) {
        const detail = ((await response.json().catch(() => ({}))) as { error?: string }).error ?? response.statusText;
        const message = `The agent server answered ${response.status}: ${detail}`;
        // Wrong session or credentials will not heal by retrying; overload and outages may.
        throw response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429
          ? new FatalStreamError(message)
          : new Error(message);
      }
      actor.send({ type: "remote.connection", connection: "open" });
      let batch: RemoteFrame[] = [];
      const parser = createParser({
        onEvent: (event) => batch.push({ id: event.id, name: event.event, data: JSON.parse(event.data) as unknown }),
      });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(value);
        if (batch.length > 0) {
          const frames = batch;
          batch = [];
          subscriber.next(frames);
        }
      }
      actor.send({ type: "remote.connection", connection: "reconnecting" });
      subscriber.complete();
    })().catch((error: unknown) => {
      if (!controller.signal.aborted) subscriber.error(error);
    });
    return () => controller.abort();
  });
}

function contentOf(input: RemotePromptInput): UserMessage["content"] {
  return typeof input === "string" || Array.isArray(input) ? input : input.content;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
