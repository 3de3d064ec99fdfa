/**
 * The `tinyagent` command's logic, apart from the process it runs in (see
 * `cli.ts`): `tinyagent view [run.jsonl] [--port 4477] [--host 127.0.0.1]`
 * starts the run viewer, opens the recording if one is given, and prints the
 * page's address; more recordings can be opened from the page.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { parseArgs } from "node:util";
import { startRunViewer, type RunViewer } from "./viewer/server.js";

const USAGE = "usage: tinyagent view [run.jsonl] [--port 4477] [--host 127.0.0.1]";

/** Where the command writes. */
export type CliOutput = { log(text: string): void; error(text: string): void };

/**
 * Runs the command line `argv` (without node and the script). Resolves with
 * the exit code when the command is done, or with the running viewer.
 * @example
 * const { viewer } = await runCli(["view", "run.jsonl", "--port", "0"]);
 */
export async function runCli(argv: string[], output: CliOutput = console): Promise<{ exitCode: number; viewer?: RunViewer }> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { port: { type: "string", default: "4477" }, host: { type: "string", default: "127.0.0.1" }, help: { type: "boolean" } },
    });
  } catch (error) {
    output.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return { exitCode: 2 };
  }
  const { positionals, values } = parsed;
  const [command, file, ...rest] = positionals;
  if (values.help) {
    output.log(USAGE);
    return { exitCode: 0 };
  }
  if (command !== "view" || rest.length > 0) {
    output.error(USAGE);
    return { exitCode: 2 };
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    output.error(`--port must be a port number (0-65535), got "${values.port}".\n${USAGE}`);
    return { exitCode: 2 };
  }
  let text: string | undefined;
  if (file) {
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      output.error(`tinyagent view: cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
      return { exitCode: 1 };
    }
  }
  const viewer = await startRunViewer({ port, host: values.host });
  if (file && text !== undefined) {
    try {
      viewer.open(text, { title: basename(file) });
    } catch (error) {
      output.error(`tinyagent view: cannot open ${file}: ${error instanceof Error ? error.message : String(error)}`);
      await viewer.close();
      return { exitCode: 1 };
    }
  }
  output.log(`tinyagent run viewer: ${viewer.url}${file ? ` (${basename(file)})` : ""} — Ctrl-C to stop`);
  return { exitCode: 0, viewer };
}
