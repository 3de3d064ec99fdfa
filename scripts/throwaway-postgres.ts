/**
 * A throwaway Postgres: Debian's `postgresql` package (installed by .ci/run
 * when missing), a fresh data directory in a temporary folder, a free
 * loopback port; `stop()` ends it and deletes the folder. Used by the tests
 * (test/helpers/postgres.ts), `npm run example:workers` and the workers
 * bench. Postgres refuses to run as root, so as root initdb and pg_ctl run
 * as the `postgres` user the package creates, in a folder that user owns.
 * Not part of the package: in production, workers connect to your database.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A running throwaway Postgres. */
export type ThrowawayPostgres = { connectionString: string; port: number; stop(): Promise<void> };

function binDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "pg_ctl"))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) {
    throw new Error("Postgres is not installed (no /usr/lib/postgresql/*/bin/pg_ctl): run `apt-get install postgresql` (.ci/run does this).");
  }
  return join(root, newest, "bin");
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Runs a Postgres binary, as the `postgres` user when we are root. */
function run(bin: string, args: string[], cwd: string): void {
  const asRoot = process.getuid?.() === 0;
  const [command, argv] = asRoot ? ["runuser", ["-u", "postgres", "--", bin, ...args]] : [bin, args];
  execFileSync(command, argv, { cwd, stdio: ["ignore", "pipe", "pipe"] });
}

/** Starts a throwaway Postgres and resolves once it accepts connections. */
export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), "tinyagent-pg-"));
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  const data = join(dir, "data");
  const port = await freePort();
  // Durability settings off: a throwaway database need not survive a power cut, and fsync costs seconds.
  run(join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"], dir);
  const settings = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  try {
    run(join(bin, "pg_ctl"), ["-D", data, "-l", join(dir, "log"), "-o", settings, "-w", "-t", "30", "start"], dir);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  let stopped = false;
  return {
    port,
    connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        run(join(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"], dir);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
