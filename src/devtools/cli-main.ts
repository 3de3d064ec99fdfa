/**
 * The `tinyagent` command's logic, apart from the process it runs in (see
 * `cli.ts`): `tinyagent view [run.jsonl] [--port 4477] [--host 127.0.0.1]`
 * starts the run viewer, opens the recording if one is given, and prints the
 * page's address; more recordings can be opened from the page.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { basename } from "node:path";
import { parseArgs } from "node:util";
import { startRunViewer, type RunViewer } from "./viewer/server.js";

const USAGE = "usage: tinyagent view [run.jsonl] [--port 4477] [--host 127.0.0.1] [--allowed-host name]... [--token secret]";

/** The largest recording `tinyagent view` opens (the page's upload limit too). */
export const MAX_RECORDING_BYTES = 64 * 1024 * 1024;

/**
 * Reads a recording, refusing what is not a regular file (a device such as
 * /dev/zero would be read forever) and files over {@link MAX_RECORDING_BYTES}
 * (reading stops there even if the file grows meanwhile).
 */
function readRecording(file: string): string {
  const fd = openSync(file, "r");
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error("not a regular file; give the path of a .jsonl recording.");
    if (stat.size > MAX_RECORDING_BYTES)
      throw new Error(`the file is ${stat.size} bytes; tinyagent view opens recordings of up to ${MAX_RECORDING_BYTES} bytes.`);
    const buffer = Buffer.alloc(Math.min(stat.size, MAX_RECORDING_BYTES) + 1);
    let length = 0;
    for (let n; length < buffer.length && (n = readSync(fd, buffer, length, buffer.length - length, null)) > 0; ) length += n;
    if (length > MAX_RECORDING_BYTES) throw new Error(`the file grew past ${MAX_RECORDING_BYTES} bytes while being read.`);
    return buffer.toString("utf8", 0, length);
  } finally {
    closeSync(fd);
  }
}

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
      options: {
        port: { type: "string", default: "4477" },
        host: { type: "string", default: "127.0.0.1" },
        "allowed-host": { type: "string", multiple: true },
        token: { type: "string" },
        help: { type: "boolean" },
      },
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
      text = readRecording(file);
    } catch (error) {
      output.error(`tinyagent view: cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
      return { exitCode: 1 };
    }
  }
  let viewer: RunViewer;
  try {
    const allowedHosts = values["allowed-host"];
    viewer = await startRunViewer({
      port,
      host: values.host,
      ...(allowedHosts ? { allowedHosts } : {}),
      ...(values.token !== undefined ? { token: values.token } : {}),
    });
  } catch (error) {
    output.error(`tinyagent view: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return { exitCode: 2 };
  }
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
