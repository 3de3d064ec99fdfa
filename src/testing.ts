/**
 * `tinyagent/testing`: the faux model, scripted or rule-based, in process or
 * behind a loopback OpenAI-compatible endpoint. No network, no API key.
 */
export { createFauxProvider, fauxModel, fauxStream } from "../adapters/faux.js";
export type { FauxCall, FauxProvider, FauxProviderOptions } from "../adapters/faux.js";
export { fauxRulesResponse } from "../adapters/faux-rules.js";
export type { FauxResponder, FauxResponse, FauxScript, FauxToolCall, FauxUsage } from "../adapters/faux-script.js";
export { startFauxServer } from "../adapters/faux-server.js";
export type { FauxServer, FauxServerOptions, FauxServerStream, FauxStreamOutcome } from "../adapters/faux-server.js";
