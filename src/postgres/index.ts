/**
 * `tinyagent/postgres`: durable sessions and workers on Postgres (contract
 * §10–11). Needs the optional peer `pg`.
 */
export { createPostgresStore } from "./postgres-store.js";
export type { PostgresStore, PostgresStoreOptions } from "./postgres-store.js";
