/**
 * Where a request's API key comes from: `options.apiKey` (which the agent
 * fills from `getApiKey`), else the provider's environment variable. One
 * table for every adapter, so the 401/403 hint names the right variable.
 */
import type { Model, StreamOptions } from "../src/core/types.js";
import type { ApiKeySource } from "./http-errors.js";

/** The environment variables read per provider, first found wins (contract §2). */
const API_KEY_ENV: Record<string, string[]> = {
  openrouter: ["OPENROUTER_API_KEY"],
  openai: ["OPENAI_API_KEY"],
  anthropic: ["ANTHROPIC_API_KEY"],
  google: ["GEMINI_API_KEY", "GOOGLE_API_KEY"],
};

/** The environment variable named in hints for a provider's key, if it reads one ("A (or B)" when it reads several). */
function apiKeyEnvVar(provider: string): string | undefined {
  const vars = API_KEY_ENV[provider];
  if (!vars?.length) return undefined;
  return vars.length === 1 ? vars[0] : `${vars[0]} (or ${vars.slice(1).join(", ")})`;
}

/** `options.apiKey`, else the provider's environment variable; local providers need none. */
export function resolveApiKey(provider: string, apiKey: string | undefined): { key?: string; source: ApiKeySource } {
  if (apiKey) return { key: apiKey, source: { kind: "option" } };
  const env = typeof process !== "undefined" ? process.env : {};
  for (const envVar of API_KEY_ENV[provider] ?? []) {
    const fromEnv = env[envVar];
    if (fromEnv) return { key: fromEnv, source: { kind: "env", envVar } };
  }
  return { source: { kind: "none", envVar: apiKeyEnvVar(provider), provider } };
}

/**
 * The headers of an OpenAI-style SSE request: JSON in, events out, the key as
 * a Bearer token; `extra`, then the model's, then the call's headers override.
 */
export function bearerHeaders(model: Model, options: StreamOptions, extra?: Record<string, string>): { headers: Record<string, string>; source: ApiKeySource } {
  const { key, source } = resolveApiKey(model.provider, options.apiKey);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "text/event-stream",
    ...(key ? { authorization: `Bearer ${key}` } : {}),
    ...extra,
    ...model.headers,
    ...options.headers,
  };
  return { headers, source };
}
