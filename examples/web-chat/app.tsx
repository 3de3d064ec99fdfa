/**
 * The chat UI, driven only by the agent's snapshots: every value shown and
 * every button's `disabled` comes from `useSelector(agent.actor, …)`, and
 * buttons are enabled exactly when `snapshot.can(event)` says the input is legal.
 */
import { useSelector } from "@xstate/react";
import { useState } from "react";
import {
  selectError,
  selectPendingToolCalls,
  selectStateName,
  selectStreamingText,
  selectStreamingThinking,
  selectTranscript,
  userMessage,
  type Agent,
  type AgentMessage,
  type PendingToolCall,
} from "tinyagent";

type Props = { agent: Agent };

function contentText(content: AgentMessage["content"] | unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((block: { type: string; text?: string }) => (block.type === "text" ? block.text : "")).join("");
}

function Message({ message }: { message: AgentMessage }) {
  if (message.role === "user") return <div className="msg user">{contentText(message.content)}</div>;
  if (message.role === "toolResult") {
    return (
      <div className={`msg toolResult${message.isError ? " error" : ""}`}>
        ← {message.toolName}: {contentText(message.content)}
      </div>
    );
  }
  if (message.role !== "assistant") return null;
  return (
    <div className="msg assistant" data-stop-reason={message.stopReason}>
      {message.content.map((block, i) =>
        block.type === "thinking" ? (
          <div key={i} className="thinking">{block.thinking}</div>
        ) : block.type === "toolCall" ? (
          <div key={i} className="tool">→ {block.name}({JSON.stringify(block.arguments)})</div>
        ) : (
          <span key={i}>{block.text}</span>
        ),
      )}
      {message.errorMessage && <div className="error">{message.errorMessage}</div>}
    </div>
  );
}

function ToolCallRow({ agent, call }: Props & { call: PendingToolCall }) {
  const toolCallId = call.toolCallId;
  const canApprove = useSelector(agent.actor, (s) => s.can({ type: "agent.approve", toolCallId }));
  const canReject = useSelector(agent.actor, (s) => s.can({ type: "agent.reject", toolCallId }));
  return (
    <div className="tool" data-testid="tool-call" data-status={call.status}>
      {call.toolName}({JSON.stringify(call.args)}) · {call.status}
      {call.partialResult && <span data-testid="tool-progress"> · {contentText(call.partialResult.content)}</span>}
      {call.status === "awaitingApproval" && (
        <>
          {" "}
          <button data-testid="approve" disabled={!canApprove} onClick={() => agent.approve(toolCallId)}>Approve</button>
          <button data-testid="reject" disabled={!canReject} onClick={() => agent.reject(toolCallId, "Not now.")}>Reject</button>
        </>
      )}
    </div>
  );
}

/** The chat: transcript, the streaming reply, tool calls in flight, and the input bar. */
export function App({ agent }: Props) {
  const [draft, setDraft] = useState("");
  const state = useSelector(agent.actor, selectStateName);
  const transcript = useSelector(agent.actor, selectTranscript);
  const streamingText = useSelector(agent.actor, selectStreamingText);
  const thinking = useSelector(agent.actor, selectStreamingThinking);
  const pending = useSelector(agent.actor, selectPendingToolCalls);
  const error = useSelector(agent.actor, selectError);
  const canPrompt = useSelector(agent.actor, (s) => s.can({ type: "agent.prompt", messages: [] }));
  const canSteer = useSelector(agent.actor, (s) => s.can({ type: "agent.steer", message: userMessage("") }));
  const canAbort = useSelector(agent.actor, (s) => s.can({ type: "agent.abort" }));

  const send = () => {
    if (!draft.trim()) return;
    void agent.prompt(draft);
    setDraft("");
  };
  const steer = () => {
    if (!draft.trim()) return;
    agent.steer(draft);
    setDraft("");
  };

  return (
    <main>
      <h1>tinyagent chat</h1>
      <div className="state" data-testid="state">state: {state}</div>
      <div data-testid="transcript">
        {transcript.map((message, i) => <Message key={i} message={message} />)}
      </div>
      {(thinking || streamingText) && (
        <div className="msg assistant" data-testid="streaming">
          {thinking && <div className="thinking">{thinking}</div>}
          <span data-testid="streaming-text">{streamingText}</span>
        </div>
      )}
      {pending.map((call) => <ToolCallRow key={call.toolCallId} agent={agent} call={call} />)}
      {error && state === "idle" && <div className="error" data-testid="error">{error}</div>}
      <div className="bar">
        <input
          data-testid="prompt-input"
          value={draft}
          placeholder="Try: What is 2 + 3?  ·  What time is it?  ·  Hello"
          onChange={(e) => setDraft(e.target.value)}
          // Enter prompts when idle and steers the running reply otherwise.
          onKeyDown={(e) => e.key === "Enter" && (canPrompt ? send() : canSteer && steer())}
        />
        <button data-testid="send" disabled={!canPrompt} onClick={send}>Send</button>
        <button data-testid="stop" disabled={!canAbort} onClick={() => agent.abort()}>Stop</button>
      </div>
    </main>
  );
}
