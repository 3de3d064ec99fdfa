/**
 * `npm run example:web`: builds the web chat with Vite and serves it, with
 * tinyagent/server's `agentRequestHandler` mounted at `/api/agent`. The
 * agent and its tools run here, one agent per chat session; the page mirrors
 * it with `remoteAgent` and renders it with `useAgent`. The model is the
 * built-in faux model on loopback unless a provider key is set (./model.ts).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { Agent, type Model } from "tinyagent";
import { agentRequestHandler, nodeHandler } from "tinyagent/server";
import { type FauxScript, startFauxServer } from "tinyagent/testing";
import { build, type Plugin, preview } from "vite";
import { FAUX_COST, providerModel } from "./model.js";
import { getTime, sum } from "./tools.js";

const root = fileURLToPath(new URL(".", import.meta.url));
const source = (path: string) => fileURLToPath(new URL(`../../src/${path}`, import.meta.url));

/** Options of {@link startWebChat}. */
export type WebChatOptions = {
  port?: number;
  host?: string;
  /** The faux model's pause between chunks (default 25 ms): slow enough to watch it stream. */
  chunkDelayMs?: number;
  /** The faux model's replies (default: its rules); e.g. a slower reply for a test. */
  script?: FauxScript;
  /** A model to use instead of the environment's choice (./model.ts). */
  model?: Model;
};

/** A running web chat. */
export type WebChat = { url: string; model: Model; close(): Promise<void> };

/**
 * Builds the app into a temporary directory and serves it with the agent handler.
 * @example
 * const chat = await startWebChat({ port: 5173 }); console.log(chat.url);
 */
export async function startWebChat(options: WebChatOptions = {}): Promise<WebChat> {
  const chosen = options.model ?? providerModel();
  const faux = chosen ? undefined : await startFauxServer({ chunkDelayMs: options.chunkDelayMs ?? 25, ...(options.script ? { script: options.script } : {}) });
  const model: Model = chosen ?? { ...faux!.model, name: "faux (loopback)", cost: FAUX_COST };
  const handle = agentRequestHandler({
    agent: () =>
      new Agent({
        model,
        tools: [sum, getTime],
        systemPrompt: "You are a helpful assistant. Use the tools for arithmetic and the time. Answer in Markdown.",
      }),
  });
  const serveAgents = nodeHandler(handle);
  const outDir = await mkdtemp(join(tmpdir(), "tinyagent-web-chat-"));
  const mountAgents: Plugin = {
    name: "tinyagent-agents",
    configurePreviewServer(server) {
      server.middlewares.use((req, res, next) => (req.url?.startsWith("/api/agent/") ? serveAgents(req, res) : next()));
    },
  };
  const config = {
    root,
    configFile: false as const,
    logLevel: "warn" as const,
    plugins: [react(), mountAgents],
    // The app imports the package by name; build it from source.
    resolve: {
      alias: [
        { find: /^tinyagent$/, replacement: source("index.ts") },
        { find: /^tinyagent\/react$/, replacement: source("react/index.ts") },
      ],
    },
    define: { __MODEL_NAME__: JSON.stringify(model.name ?? model.id) },
    build: { outDir, emptyOutDir: true, reportCompressedSize: false, chunkSizeWarningLimit: 4096, minify: false },
  };
  const stop = async () => {
    await faux?.close();
    await rm(outDir, { recursive: true, force: true });
  };
  try {
    await build(config);
    const server = await preview({ ...config, preview: { port: options.port ?? 0, host: options.host ?? "127.0.0.1", strictPort: true } });
    const url = server.resolvedUrls?.local[0]?.replace(/\/$/, "") ?? "";
    return {
      url,
      model,
      async close() {
        await server.close();
        await stop();
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

if (process.argv[1]?.endsWith("server.ts")) {
  const chat = await startWebChat({ port: Number(process.env.PORT ?? 5173) });
  console.log(`web chat on ${chat.url} with ${chat.model.name ?? chat.model.id} (Ctrl-C to stop)`);
  process.once("SIGINT", () => void chat.close().then(() => process.exit(0)));
}
