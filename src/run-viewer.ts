/**
 * The main entry's `startRunViewer`: the viewer's server is node-only, so it
 * is loaded on first use and the main entry stays browser-safe.
 */
import type { RunViewer, RunViewerOptions } from "./viewer/server.js";

/**
 * Serves the run viewer on loopback (Node only): the agent statechart with the
 * active state, the event timeline and the transcript, live or from a recording.
 * @example
 * const viewer = await startRunViewer({ port: 4477 });
 * viewer.attach(agent);
 * console.log(viewer.url);
 */
export async function startRunViewer(options?: RunViewerOptions): Promise<RunViewer> {
  // A computed specifier, so browser bundlers (the web chat's Vite build) do not pull the node server in.
  const specifier = "./viewer/server.js";
  const server = (await import(/* @vite-ignore */ specifier)) as typeof import("./viewer/server.js");
  return server.startRunViewer(options);
}
