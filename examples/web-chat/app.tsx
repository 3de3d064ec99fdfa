/**
 * The chat UI, driven only by the agent's snapshot through `useAgent` (it
 * works the same on a local `Agent`): every value shown comes from it, and
 * every button is enabled exactly when `can()` says its input is legal.
 */
import { useSelector } from "@xstate/react";
import { useEffect, useMemo, useState } from "react";
import type { AgentMessage, AssistantMessage, PendingToolCall, RemoteAgent, ToolCall, ToolResultMessage } from "tinyagent";
import { type UseAgentResult, useAgent } from "tinyagent/react";
import { markdownHtml } from "./markdown.js";

type Props = { agent: RemoteAgent; modelName: string; onNewChat(): void };

function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((block: { type: string; text?: string }) => (block.type === "text" ? block.text : block.type === "image" ? "[image]" : "")).join("");
}

function Markdown({ text, testId }: { text: string; testId?: string }) {
  const html = useMemo(() => markdownHtml(text), [text]);
  // biome-ignore lint/security/noDangerouslySetInnerHtml: markdownHtml sanitises with DOMPurify
  return <div className="markdown" data-testid={testId} dangerouslySetInnerHTML={{ __html: html }} />;
}

const STATUS_LABEL: Record<string, string> = {
  queued: "queued",
  validating: "checking",
  awaitingApproval: "needs approval",
  running: "running",
  done: "done",
  error: "failed",
};

/** One tool call: its arguments, its live status and progress, its result, and the approval buttons. */
function ToolCard({ call, pending, result, chat }: { call: ToolCall; pending?: PendingToolCall; result?: ToolResultMessage; chat: UseAgentResult }) {
  const status = result ? (result.isError ? "error" : "done") : (pending?.status ?? "queued");
  const compact = JSON.stringify(call.arguments);
  const args = compact.length <= 60 ? compact : JSON.stringify(call.arguments, null, 2);
  const progress = pending?.partialResult ? contentText(pending.partialResult.content) : "";
  return (
    <div className={`tool-card ${status}`} data-testid="tool-call" data-status={status} data-tool={call.name}>
      <div className="tool-head">
        <span className="tool-name">{call.name}</span>
        <span className={`pill ${status}`}>{STATUS_LABEL[status] ?? status}</span>
      </div>
      <pre className="tool-args" data-testid="tool-args">
        {args === "{}" ? "(no arguments)" : args}
      </pre>
      {progress && !result && (
        <div className="tool-progress" data-testid="tool-progress">
          <span className="spinner" aria-hidden="true" />
          {progress}
        </div>
      )}
      {result && (
        <pre className="tool-result" data-testid="tool-result">
          {contentText(result.content)}
        </pre>
      )}
      {status === "awaitingApproval" && (
        <div className="tool-actions">
          <button
            type="button"
            className="primary"
            data-testid="approve"
            disabled={!chat.can({ type: "agent.approve", toolCallId: call.id })}
            onClick={() => chat.approve(call.id)}
          >
            Approve
          </button>
          <button
            type="button"
            data-testid="reject"
            disabled={!chat.can({ type: "agent.reject", toolCallId: call.id })}
            onClick={() => chat.reject(call.id, "The user declined.")}
          >
            Reject
          </button>
        </div>
      )}
    </div>
  );
}

/** An assistant message: thinking (folded once done), the text as Markdown, tool cards; a tag when it was cut short. */
function Assistant({
  message,
  streaming,
  chat,
  results,
  pending,
}: {
  message: AssistantMessage;
  streaming: boolean;
  chat: UseAgentResult;
  results: Map<string, ToolResultMessage>;
  pending: Map<string, PendingToolCall>;
}) {
  const tag =
    message.stopReason === "aborted"
      ? "stopped"
      : message.stopReason === "error"
        ? "failed"
        : message.stopReason === "length"
          ? "cut at max tokens"
          : undefined;
  return (
    <article
      className={`msg assistant${streaming ? " streaming" : ""}`}
      data-role="assistant"
      data-stop-reason={streaming ? undefined : message.stopReason}
      data-testid={streaming ? "streaming" : undefined}
    >
      <div className="role">Assistant{tag && <span className={`tag ${message.stopReason}`}>{tag}</span>}</div>
      {message.content.map((block, i) =>
        block.type === "thinking" ? (
          block.thinking && (
            <details key={i} className="thinking" open={streaming}>
              <summary>Thinking</summary>
              {block.thinking}
            </details>
          )
        ) : block.type === "toolCall" ? (
          <ToolCard key={block.id || i} call={block} pending={pending.get(block.id)} result={results.get(block.id)} chat={chat} />
        ) : (
          <Markdown key={i} text={block.text} testId={streaming ? "streaming-text" : undefined} />
        ),
      )}
      {streaming && message.content.length === 0 && <div className="typing" role="status" aria-label="The assistant is typing" />}
    </article>
  );
}

function User({ message }: { message: AgentMessage }) {
  return (
    <article className="msg user" data-role="user">
      <div className="role">You</div>
      <div className="user-text">{contentText((message as { content: unknown }).content)}</div>
    </article>
  );
}

const STATE_LABEL: Record<string, string> = {
  awaitingApproval: "waiting for you",
  idle: "ready",
  streaming: "writing…",
  executingTools: "using tools…",
  turnEnd: "thinking…",
};

function formatCost(total: number): string {
  return total === 0 ? "$0" : total < 0.01 ? `$${total.toFixed(5)}` : `$${total.toFixed(2)}`;
}

/** The chat: header with state and usage, the transcript, the streaming reply, one error banner, the composer. */
export function App({ agent, modelName, onNewChat }: Props) {
  const chat = useAgent(agent);
  const connection = useSelector(agent.actor, (s) => s.context.connection);
  const [draft, setDraft] = useState("");
  const [dismissedAt, setDismissedAt] = useState(-1);
  const { transcript, streamMessage, usage, error } = chat;
  // Waiting for a click is not "using tools": say so.
  const state = chat.pendingToolCalls.some((call) => call.status === "awaitingApproval") ? "awaitingApproval" : chat.state;

  const results = useMemo(() => {
    const map = new Map<string, ToolResultMessage>();
    for (const message of transcript) if (message.role === "toolResult") map.set(message.toolCallId, message);
    return map;
  }, [transcript]);
  const pending = useMemo(() => new Map(chat.pendingToolCalls.map((call) => [call.toolCallId, call])), [chat.pendingToolCalls]);

  const canPrompt = chat.can({ type: "agent.prompt" });
  const canSteer = chat.can({ type: "agent.steer" });
  const canAbort = chat.can({ type: "agent.abort" });
  const streamingText = chat.streamingText;

  // Keep the newest content in view while it grows.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the dependencies are what should trigger the scroll
  useEffect(() => {
    window.scrollTo({ top: document.body.scrollHeight });
  }, [transcript.length, streamingText, chat.pendingToolCalls]);

  const submit = () => {
    const text = draft.trim();
    if (!text) return;
    if (canPrompt) void chat.prompt(text).catch(() => {});
    else if (canSteer) void Promise.resolve(chat.steer(text)).catch(() => {});
    else return;
    setDraft("");
  };

  const showError = error !== undefined && chat.state === "idle" && dismissedAt !== transcript.length;
  const busy = chat.state !== "idle";

  return (
    <div className="app">
      <header className="top">
        <div className="brand">
          <span className="logo" aria-hidden="true">
            ◆
          </span>{" "}
          tinyagent <span className="model">{modelName}</span>
        </div>
        <div className="meta">
          <span className={`pill state ${connection === "open" ? state : connection}`} data-testid="state" data-state={state}>
            {connection === "open" ? (STATE_LABEL[state] ?? state) : connection}
          </span>
          <span className="usage" data-testid="usage" title={`input ${usage.input} · output ${usage.output} · cache ${usage.cacheRead}`}>
            {usage.totalTokens.toLocaleString("en-US")} tokens · {formatCost(usage.cost.total)}
          </span>
          <button type="button" className="ghost" onClick={onNewChat} disabled={busy}>
            New chat
          </button>
        </div>
      </header>

      <main className="log" data-testid="transcript">
        {transcript.length === 0 && !streamMessage && (
          <div className="empty">
            <h1>What can I do for you?</h1>
            <p>The agent and its tools run on the server; this page mirrors it. Try one of these:</p>
            <div className="suggestions">
              {["What is 2 + 3?", "What time is it?", "Hello there"].map((text) => (
                <button type="button" key={text} className="suggestion" onClick={() => setDraft(text)}>
                  {text}
                </button>
              ))}
            </div>
          </div>
        )}
        {transcript.map((message, i) =>
          message.role === "user" ? (
            <User key={i} message={message} />
          ) : message.role === "assistant" ? (
            <Assistant key={i} message={message} streaming={false} chat={chat} results={results} pending={pending} />
          ) : null,
        )}
        {streamMessage && <Assistant message={streamMessage} streaming chat={chat} results={results} pending={pending} />}
      </main>

      <footer className="composer">
        {showError && (
          <div className="banner" role="alert" data-testid="error">
            <span>{error}</span>
            <button type="button" className="ghost" aria-label="Dismiss" onClick={() => setDismissedAt(transcript.length)}>
              ✕
            </button>
          </div>
        )}
        <form
          className="bar"
          onSubmit={(e) => {
            e.preventDefault();
            submit();
          }}
        >
          <input
            data-testid="prompt-input"
            value={draft}
            aria-label="Message"
            placeholder={busy ? "Steer the reply… (Enter)" : "Message the agent…"}
            onChange={(e) => setDraft(e.target.value)}
            // Enter prompts when idle and steers the running reply otherwise (the disabled Send would block a form submit).
            onKeyDown={(e) => {
              if (e.key !== "Enter") return;
              e.preventDefault();
              submit();
            }}
          />
          <button type="submit" className="primary" data-testid="send" disabled={!canPrompt}>
            Send
          </button>
          <button type="button" className="stop" data-testid="stop" disabled={!canAbort} onClick={() => chat.abort()}>
            Stop
          </button>
        </form>
      </footer>
    </div>
  );
}
