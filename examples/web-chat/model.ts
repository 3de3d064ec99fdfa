/**
 * Which model the chat's agent uses: a real provider when its key is in the
 * environment (the first of the list found; `TINYAGENT_MODEL` picks the model
 * id), else the built-in faux model on loopback, which needs no key.
 */
import { anthropicModel, type Model, openAIResponsesModel, openRouterModel } from "tinyagent";

const PROVIDERS: { key: string; make: (id?: string) => Model }[] = [
  { key: "ANTHROPIC_API_KEY", make: (id) => anthropicModel(id ?? "claude-haiku-4-5") },
  { key: "OPENAI_API_KEY", make: (id) => openAIResponsesModel(id ?? "gpt-5-mini") },
  { key: "OPENROUTER_API_KEY", make: (id) => openRouterModel(id ?? "openai/gpt-4o-mini") },
];

/** The provider model whose key is set, or undefined (use the faux model). The key itself is read by the adapter. */
export function providerModel(env: Record<string, string | undefined> = process.env): Model | undefined {
  const provider = PROVIDERS.find((p) => env[p.key]);
  return provider?.make(env.TINYAGENT_MODEL || undefined);
}

/** Prices for the faux model, so the page has a cost to show ($ per 1M tokens, like a small hosted model). */
export const FAUX_COST = { input: 0.15, output: 0.6, cacheRead: 0, cacheWrite: 0 };
