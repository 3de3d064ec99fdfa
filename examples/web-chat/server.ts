/**
 * `npm run example:web`: builds the web chat with Vite and serves it, with
 * tinyagent's proxy mounted at `/api/stream` in front of the faux model's
 * loopback server. The agent runs in the browser; the proxy holds the
 * (here: pretend) provider key.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { createProxyServer } from "tinyagent/proxy";
import { startFauxServer } from "tinyagent/testing";
import { build, preview, type Plugin } from "vite";
import { MODEL_ID, PROXY_TOKEN } from "./config.js";

const root = fileURLToPath(new URL(".", import.meta.url));
const src = fileURLToPath(new URL("../../src/index.ts", import.meta.url));

/** Options of {@link startWebChat}. */
export type WebChatOptions = { port?: number; host?: string; chunkDelayMs?: number };

/** A running web chat. */
export type WebChat = { url: string; close(): Promise<void> };

/**
 * Builds the app into a temporary directory and serves it with the proxy.
 * @example
 * const chat = await startWebChat({ port: 5173 }); console.log(chat.url);
 */
export async function startWebChat(options: WebChatOptions = {}): Promise<WebChat> {
  const upstream = await startFauxServer({ chunkDelayMs: options.chunkDelayMs ?? 25 });
  const proxy = createProxyServer({ authToken: PROXY_TOKEN, apiKey: "sk-demo-key", models: [{ ...upstream.model, id: MODEL_ID }] });
  const outDir = await mkdtemp(join(tmpdir(), "tinyagent-web-chat-"));
  const mountProxy: Plugin = {
    name: "tinyagent-proxy",
    configurePreviewServer(server) {
      server.middlewares.use((req, res, next) => (req.url?.startsWith("/api/") ? proxy.handler(req, res) : next()));
    },
  };
  const config = {
    root,
    configFile: false as const,
    logLevel: "warn" as const,
    plugins: [react(), mountProxy],
    // The app imports the package by name; build it from source.
    resolve: { alias: { tinyagent: src } },
    build: { outDir, emptyOutDir: true, reportCompressedSize: false, chunkSizeWarningLimit: 4096, minify: false },
  };
  try {
    await build(config);
    const server = await preview({ ...config, preview: { port: options.port ?? 0, host: options.host ?? "127.0.0.1", strictPort: true } });
    const url = server.resolvedUrls?.local[0]?.replace(/\/$/, "") ?? "";
    return {
      url,
      async close() {
        await server.close();
        await proxy.close();
        await upstream.close();
        await rm(outDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await proxy.close();
    await upstream.close();
    await rm(outDir, { recursive: true, force: true });
    throw error;
  }
}

if (process.argv[1]?.endsWith("server.ts")) {
  const chat = await startWebChat({ port: Number(process.env.PORT ?? 5173) });
  console.log(`web chat on ${chat.url} (Ctrl-C to stop)`);
  process.once("SIGINT", () => void chat.close().then(() => process.exit(0)));
}
