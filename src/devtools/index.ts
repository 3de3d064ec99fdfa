/**
 * `tinyagent/devtools`: record and replay runs, trace them step by step,
 * watch them in the run viewer, draw the machine. Node only (the viewer
 * serves HTTP); the main entry stays browser-safe without it.
 */
export { machineToMermaid } from "./diagram.js";
export { recordRun } from "./record.js";
export type { RecordRunOptions, RunRecording } from "./record.js";
export { replayRun } from "./replay.js";
export type { RunReplay } from "./replay.js";
export { traceRun } from "./run-trace.js";
export type { RunStep, ToolCallActorState, TraceRunOptions } from "./run-trace.js";
export { RUN_LOG_VERSION, RecordingError } from "./run-log.js";
export type { RunLogClock, RunLogEntry, RunLogEvent, RunLogHeader } from "./run-log.js";
export { startRunViewer } from "./viewer/server.js";
export type { RunViewer, RunViewerOptions } from "./viewer/server.js";
