/**
 * The browser entry: a mirror of this tab's agent on the server
 * (`remoteAgent`), rendered with `useAgent`. The session id lives in
 * sessionStorage, so a reload finds the same agent and resumes its stream.
 */
import { createRoot } from "react-dom/client";
import { type RemoteAgent, remoteAgent } from "tinyagent";
import { App } from "./app.js";

declare const __MODEL_NAME__: string;

const KEY = "tinyagent-web-chat-session";
const sessionId = sessionStorage.getItem(KEY) ?? `chat-${crypto.randomUUID()}`;
sessionStorage.setItem(KEY, sessionId);

const agent = remoteAgent({ url: "/api/agent", sessionId });
// For the browser test and the devtools console.
(window as unknown as { chatAgent: RemoteAgent }).chatAgent = agent;

const newChat = () => {
  sessionStorage.removeItem(KEY);
  location.reload();
};

createRoot(document.getElementById("root")!).render(<App agent={agent} modelName={__MODEL_NAME__} onNewChat={newChat} />);
