/**
 * The published package as a user gets it: `npm pack`, install the tarball
 * into a fresh project outside the repo (offline, from the npm cache), then
 * type-check the README quick start under NodeNext and bundler resolution,
 * run it, `require()` it from CommonJS, and let @arethetypeswrong/cli check
 * the ESM resolutions. Packs the current `dist/` (npm test builds first; run
 * `npm run build` before running this file alone).
 */
import { execFile, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, "..");
const tsc = join(repo, "node_modules/typescript/bin/tsc");
const attw = join(repo, "node_modules/@arethetypeswrong/cli/dist/index.js");
const OFFLINE = ["--offline", "--no-audit", "--no-fund", "--loglevel=error"];

/** The README quick start itself, as a user copies it (no provider key in the child's env: the loopback model). */
const QUICK_START = readFileSync(join(repo, "examples/quickstart.ts"), "utf8");

/** NodeNext checks every declaration file (ours included); bundler setups usually skip them, which halves the time. */
function tsconfig(module: string, moduleResolution: string, outDir?: string): string {
  return JSON.stringify({
    compilerOptions: {
      target: "ES2022",
      lib: ["ES2023", "DOM"],
      module,
      moduleResolution,
      strict: true,
      types: ["node"],
      ...(outDir ? { outDir } : { noEmit: true, skipLibCheck: true }),
    },
    files: ["quickstart.ts"],
  });
}

type LockEntry = { version: string; resolved?: string; integrity?: string; dependencies?: Record<string, string>; [key: string]: unknown };
const manifest = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as {
  version: string;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, unknown>;
};
/** What the app itself depends on besides tinyagent: the peer it uses, and Node's types (the quick start reads process.env). */
const APP_DEPENDENCIES = ["zod", "@types/node"];
const repoLock = JSON.parse(readFileSync(join(repo, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };

/**
 * A project depending on the tarball and zod, with a lockfile whose other
 * entries are the repo's own (same versions, integrity), so `npm ci --offline`
 * needs only tarballs from the cache, no registry metadata.
 */
function writeLockedProject(dir: string, tgz: string): void {
  const spec = `file:${relative(dir, tgz)}`;
  const appDependencies = Object.fromEntries(APP_DEPENDENCIES.map((name) => [name, repoLock.packages[`node_modules/${name}`]!.version]));
  const packages: Record<string, LockEntry> = {
    "": { name: "app", version: "1.0.0", dependencies: { tinyagent: spec, ...appDependencies } } as unknown as LockEntry,
    "node_modules/tinyagent": {
      version: manifest.version,
      resolved: spec,
      integrity: `sha512-${createHash("sha512").update(readFileSync(tgz)).digest("base64")}`,
      license: "MIT",
      dependencies: manifest.dependencies,
      peerDependencies: manifest.peerDependencies,
      peerDependenciesMeta: manifest.peerDependenciesMeta,
    },
  };
  const add = (name: string, parent: string): void => {
    const nested = `${parent ? `${parent}/` : ""}node_modules/${name}`;
    const path = repoLock.packages[nested] ? nested : `node_modules/${name}`;
    const entry = repoLock.packages[path];
    if (!entry) throw new Error(`package-lock.json has no ${name}`);
    if (packages[path]) return;
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...rest } = entry;
    packages[path] = rest as LockEntry;
    for (const dep of Object.keys(entry.dependencies ?? {})) add(dep, path);
  };
  for (const name of Object.keys(manifest.dependencies)) add(name, "");
  for (const name of APP_DEPENDENCIES) add(name, "");
  writeFileSync(join(dir, "package.json"), JSON.stringify({ ...packages[""], private: true, type: "module" }));
  writeFileSync(join(dir, "package-lock.json"), JSON.stringify({ name: "app", version: "1.0.0", lockfileVersion: 3, requires: true, packages }));
}

let work: string;
let project: string;
let tarball: string;

beforeAll(async () => {
  if (!existsSync(join(repo, "dist/src/index.js"))) await run("npm", ["run", "build"], { cwd: repo });
  work = mkdtempSync(join(tmpdir(), "tinyagent-pack-"));
  const { stdout } = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], { cwd: repo });
  tarball = join(work, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
  project = join(work, "app");
  mkdirSync(join(project, "node_modules"), { recursive: true });
  try {
    writeLockedProject(project, tarball);
    await run("npm", ["ci", ...OFFLINE], { cwd: project });
  } catch {
    // The npm cache lacks a tarball: unpack ours and link its dependencies and peers from the repo.
    rmSync(join(project, "node_modules"), { recursive: true, force: true });
    const target = join(project, "node_modules/tinyagent");
    mkdirSync(target, { recursive: true });
    await run("tar", ["xzf", tarball, "-C", target, "--strip-components=1"]);
    for (const name of [...Object.keys(manifest.dependencies), ...APP_DEPENDENCIES]) {
      mkdirSync(dirname(join(project, "node_modules", name)), { recursive: true });
      symlinkSync(join(repo, "node_modules", name), join(project, "node_modules", name), "dir");
    }
  }
  writeFileSync(join(project, "quickstart.ts"), QUICK_START);
  writeFileSync(join(project, "tsconfig.nodenext.json"), tsconfig("NodeNext", "NodeNext", "out"));
  writeFileSync(join(project, "tsconfig.bundler.json"), tsconfig("ESNext", "Bundler"));
}, 60_000);

afterAll(() => {
  if (process.env.KEEP_PACK) return console.log("kept", work);
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the packed package", () => {
  it("ships dist, README, LICENSE and no source maps, source or tests", () => {
    const files = listTarball();
    expect(files).toContain("package/LICENSE");
    expect(files).toContain("package/README.md");
    expect(files).toContain("package/dist/src/index.js");
    expect(files).toContain("package/dist/src/index.d.ts");
    expect(files.filter((f) => f.endsWith(".map") || f.startsWith("package/src/") || f.startsWith("package/test/"))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(project, "node_modules/tinyagent/package.json"), "utf8")) as { scripts?: Record<string, string> };
    expect(manifest.scripts?.prepare).toBeUndefined();
  });

  it("type-checks the quick start under NodeNext and bundler resolution, and runs it", async () => {
    await Promise.all([
      run(process.execPath, [tsc, "-p", "tsconfig.nodenext.json"], { cwd: project }),
      run(process.execPath, [tsc, "-p", "tsconfig.bundler.json"], { cwd: project }),
    ]);
    const { stdout } = await run(process.execPath, ["out/quickstart.js"], { cwd: project, env: { ...process.env, OPENROUTER_API_KEY: "" } });
    expect(stdout).toContain("[sum] [ { type: 'text', text: '5' } ]");
    expect(stdout).toContain("The sum is 5.");
  }, 30_000);

  it("can be required from CommonJS (Node ≥ 20.19)", async () => {
    writeFileSync(join(project, "check.cjs"), 'const { Agent } = require("tinyagent"); console.log(typeof Agent);');
    const { stdout } = await run(process.execPath, ["check.cjs"], { cwd: project });
    expect(stdout.trim()).toBe("function");
  });

  it("has no type-resolution problem for ESM (arethetypeswrong, esm-only profile)", async () => {
    const { stdout } = await run(process.execPath, [attw, tarball, "--profile", "esm-only", "--format", "ascii", "--no-color"]).catch(
      (error: { stdout?: string }) => ({ stdout: `attw failed:\n${error.stdout ?? String(error)}` }),
    );
    expect(stdout).not.toMatch(/attw failed/);
  }, 60_000);
});

function listTarball(): string[] {
  return execFileSync("tar", ["tzf", tarball], { encoding: "utf8" }).split("\n").filter(Boolean);
}
