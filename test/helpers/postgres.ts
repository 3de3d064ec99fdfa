/**
 * A real Postgres for tests (scripts/throwaway-postgres.ts), started once
 * per test file and stopped after it. A missing Postgres is an error, never
 * a skip: CI must run these tests.
 */
import { afterAll, beforeAll } from "vitest";
import { startThrowawayPostgres, type ThrowawayPostgres } from "../../scripts/throwaway-postgres.js";

/** Starts a throwaway Postgres (bench/sessions.ts uses it under this name). */
export const startPostgres = startThrowawayPostgres;

/** One Postgres for the calling test file: started before its tests, stopped after them. */
export function usePostgres(): { readonly connectionString: string } {
  let pg: ThrowawayPostgres | undefined;
  beforeAll(async () => {
    pg = await startThrowawayPostgres();
  }, 30_000);
  afterAll(() => pg?.stop());
  return {
    get connectionString() {
      if (!pg) throw new Error("usePostgres(): Postgres is not started yet (read connectionString inside a test or hook).");
      return pg.connectionString;
    },
  };
}
