/**
 * From a proxy request's body to what is streamed: the JSON checked against
 * the limits and the schema, the model resolved on the server's terms (the
 * client never picks the upstream URL), `maxTokens` bounded. Runtime-neutral:
 * the node server and the fetch handler both read the body their own way and
 * hand the text here.
 */
import { z } from "zod/v4";
import type { Model } from "../src/core/types.js";
import { OPENROUTER_BASE_URL } from "./openrouter.js";
import { checkRequestLimits } from "./proxy-limits.js";
import type { ProxyRequestLimits } from "./proxy-limits.js";
import { HttpRejection } from "./proxy-policy.js";
import { proxyRequestSchema } from "./proxy-wire.js";
import type { ProxyRequest, ProxyRequestModel } from "./proxy-wire.js";

/** Which models clients may use (see `ProxyServerOptions.models`). */
export type ProxyModels = readonly Model[] | ((requested: ProxyRequestModel) => Model | undefined | Promise<Model | undefined>);

/** Public endpoints of the providers whose keys the default upstream reads from the environment. */
const PUBLIC_BASE_URLS: Record<string, string> = { openrouter: OPENROUTER_BASE_URL, openai: "https://api.openai.com/v1" };

/**
 * The upstream model for a request when no allow-list is configured. The URL is
 * never the client's: a known provider's public endpoint, or none for a custom
 * upstream (which decides itself); anything else is refused.
 */
function openModel(requested: ProxyRequestModel, customUpstream: boolean): Model | undefined {
  const baseUrl = PUBLIC_BASE_URLS[requested.provider ?? ""];
  if (baseUrl === undefined && !customUpstream) return undefined;
  const model: Model = { id: requested.id, provider: requested.provider ?? "proxy", api: requested.api ?? "openai-completions", baseUrl: baseUrl ?? "" };
  if (requested.name !== undefined) model.name = requested.name;
  return model;
}

/**
 * Only JSON, refused before reading: text/plain, form and multipart bodies are what another site's page
 * can send without a CORS preflight (with a cookie-based `authorize`, that would spend the key for it).
 */
export function checkJsonMediaType(contentType: string | null | undefined): void {
  const mediaType = contentType?.split(";")[0]?.trim().toLowerCase();
  if (mediaType !== "application/json" && !mediaType?.endsWith("+json")) {
    throw new HttpRejection(415, `Send the request body as JSON (Content-Type: application/json)${mediaType ? `, not ${mediaType}` : ""}.`);
  }
}

/** The parsed request and the server's model for it, or an {@link HttpRejection} saying what is wrong. */
export async function parseProxyRequest(
  body: string,
  settings: { limits: Required<ProxyRequestLimits>; models: ProxyModels | undefined; customUpstream: boolean },
): Promise<{ request: ProxyRequest; model: Model }> {
  const { limits, models } = settings;
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new HttpRejection(400, `Malformed JSON: ${(error as Error).message}`);
  }
  checkRequestLimits(json, limits);
  const parsed = proxyRequestSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
    throw new HttpRejection(400, `Invalid request body:\n${z.prettifyError(parsed.error)}`, { issues });
  }
  const requested = parsed.data.model;
  const model =
    models === undefined
      ? openModel(requested, settings.customUpstream)
      : typeof models === "function"
        ? await models(requested)
        : models.find((m) => m.id === requested.id);
  if (!model && models === undefined) {
    const provider = requested.provider ?? "(none)";
    throw new HttpRejection(
      403,
      `This proxy has no model allow-list and provider "${provider}" has no known public endpoint; the server must pass { models } to createProxyServer.`,
    );
  }
  if (!model) throw new HttpRejection(403, `Model "${requested.id}" is not allowed on this proxy.`);
  const { options: requestOptions } = parsed.data;
  if (requestOptions.maxTokens !== undefined) {
    if (requestOptions.maxTokens > limits.maxOutputTokens) {
      throw new HttpRejection(
        400,
        `options.maxTokens is ${requestOptions.maxTokens}; this proxy accepts at most ${limits.maxOutputTokens} (limits.maxOutputTokens).`,
      );
    }
    // The server's model knows its own ceiling: ask for no more than that.
    if (model.maxTokens !== undefined && requestOptions.maxTokens > model.maxTokens) requestOptions.maxTokens = model.maxTokens;
  }
  return { request: parsed.data, model };
}
