/**
 * Cross-origin redirects (#13 item 11): a 307 or 308 makes fetch resend the method and the body (the prompt) and
 * the headers (a token). Neither the provider engine, the proxy client nor remoteAgent follows one: the call
 * ends with an error naming the redirect, and the other origin, a live loopback server here, gets nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentError, openAICompatibleModel, proxyModel, remoteAgent, streamOpenAICompatible, streamProxy } from "../../src/index.js";
import { allEvents, finalOf, userContext } from "../helpers/openai-chunks.js";
import { startSseServer, type SseServer } from "../helpers/sse-server.js";
import { until } from "../helpers/transcript.js";

let elsewhere: SseServer;
const redirecting: SseServer[] = [];
beforeAll(async () => {
  elsewhere = await startSseServer({ chunks: [] });
});
afterAll(async () => {
  await Promise.all([elsewhere, ...redirecting].map((server) => server.close()));
});

async function redirectTo(status: number): Promise<SseServer> {
  const server = await startSseServer({ status, headers: { location: `${elsewhere.url}/steal` }, chunks: [] });
  redirecting.push(server);
  return server;
}

describe("redirects are not followed", () => {
  for (const status of [307, 308]) {
    it(`the provider engine: a ${status} to another origin ends the call, the prompt and key stay home`, async () => {
      const server = await redirectTo(status);
      const before = elsewhere.requests.length;
      const model = openAICompatibleModel({ id: "m", baseUrl: `${server.url}/v1` });
      const message = finalOf(await allEvents(streamOpenAICompatible(model, userContext("my secret prompt"), { apiKey: "sk-home" })));
      expect(message.stopReason).toBe("error");
      expect(message.errorMessage).toContain(`answered with a redirect (HTTP ${status}) to ${elsewhere.url}/steal; redirects are not followed`);
      expect(server.requests).toHaveLength(1);
      expect(elsewhere.requests).toHaveLength(before);
    });

    it(`the proxy client: a ${status} from the proxy ends the call, the prompt and token stay home`, async () => {
      const server = await redirectTo(status);
      const before = elsewhere.requests.length;
      const model = proxyModel({ id: "m", proxyUrl: server.url, authToken: "proxy-token" });
      const message = finalOf(await allEvents(streamProxy(model, userContext("my secret prompt"))));
      expect(message.stopReason).toBe("error");
      expect(message.errorMessage).toBe(
        `Proxy error: the proxy answered with a redirect (HTTP ${status}) to ${elsewhere.url}/steal; redirects are not followed: set proxyUrl to the address that answers.`,
      );
      expect(server.requests).toHaveLength(1);
      expect(elsewhere.requests).toHaveLength(before);
    });

    it(`remoteAgent: a ${status} from the agent server rejects the command and closes the event stream`, async () => {
      const server = await redirectTo(status);
      const before = elsewhere.requests.length;
      const remote = remoteAgent({ url: server.url, sessionId: "s1", headers: { "x-app-token": "secret" } });
      try {
        const prompt = remote.prompt("my secret prompt");
        await expect(prompt).rejects.toThrow(AgentError);
        await expect(prompt).rejects.toThrow(
          `The agent server answered prompt with a redirect (HTTP ${status}) to ${elsewhere.url}/steal; redirects are not followed: set url to the address that answers.`,
        );
        await until(() => remote.actor.getSnapshot().context.connection === "closed");
        expect(remote.actor.getSnapshot().context.connectionError).toContain(`answered the event stream with a redirect (HTTP ${status})`);
        expect(elsewhere.requests).toHaveLength(before);
      } finally {
        remote.close();
      }
    });
  }
});
