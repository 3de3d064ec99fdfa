/**
 * The MCP servers the tests talk to, run straight from node_modules with node
 * (never npx, never the network): the official reference servers, and the
 * fixture server (test/fixtures) for what they cannot show on demand.
 */
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import type { McpStdioServer } from "../../src/mcp/index.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** An official reference server (`everything`, `filesystem`, `memory`) over stdio. */
export function referenceServer(name: "everything" | "filesystem" | "memory", args: string[] = [], env?: Record<string, string>): McpStdioServer {
  const script = `${root}node_modules/@modelcontextprotocol/server-${name}/dist/index.js`;
  return { command: process.execPath, args: [script, ...args], ...(env ? { env } : {}) };
}

/** The fixture server (test/fixtures/mcp-fixture-server.mjs) over stdio. */
export function fixtureServer(...args: string[]): McpStdioServer {
  return { command: process.execPath, args: [`${root}test/fixtures/mcp-fixture-server.mjs`, ...args], cwd: root };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

/** server-everything in its HTTP mode on a free loopback port, once it says it listens. */
export async function everythingOverHttp(mode: "streamableHttp" | "sse"): Promise<{ url: string; close: () => Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, [`${root}node_modules/@modelcontextprotocol/server-everything/dist/index.js`, mode], {
    env: { ...process.env, PORT: String(port) },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let said = "";
  await new Promise<void>((resolve, reject) => {
    child.stderr.on("data", (chunk: Buffer) => {
      said += chunk.toString();
      if (said.includes(String(port))) resolve();
    });
    child.once("exit", (code) => reject(new Error(`server-everything ${mode} exited (${code}): ${said}`)));
  });
  const path = mode === "sse" ? "/sse" : "/mcp";
  return {
    url: `http://127.0.0.1:${port}${path}`,
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGKILL");
      }),
  };
}
