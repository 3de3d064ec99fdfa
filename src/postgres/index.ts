/**
 * `tinyagent/postgres`: durable sessions and workers on Postgres (contract
 * §10–11). Needs the optional peers `pg` and, for workers, `pg-boss`.
 */
export { createPostgresStore } from "./postgres-store.js";
export type { PostgresStore, PostgresStoreOptions } from "./postgres-store.js";
export { startAgentWorker } from "./agent-worker.js";
export type { AgentWorker, AgentWorkerOptions, WorkerConnectionOptions } from "./agent-worker.js";
export type { JobOptions } from "./job-engine.js";
export { sessionClient } from "./session-client.js";
export type { SessionClient, SessionEventsOptions } from "./session-client.js";
