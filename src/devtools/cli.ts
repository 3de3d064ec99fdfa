#!/usr/bin/env node
/**
 * The `tinyagent` executable (package.json "bin"): runs {@link runCli} and,
 * while the viewer serves, stops it on Ctrl-C.
 */
import { runCli } from "./cli-main.js";

const { exitCode, viewer } = await runCli(process.argv.slice(2));
if (viewer) process.once("SIGINT", () => void viewer.close().then(() => process.exit(0)));
else process.exitCode = exitCode;
