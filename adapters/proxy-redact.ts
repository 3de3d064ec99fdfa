/**
 * What the proxy removes from everything it sends a client: the provider
 * secrets, also when a secret arrives split over several deltas (the client
 * would join the pieces) or cut short at the end of an error text, and the
 * upstream's address (URLs and the host), which may name internal hosts or
 * carry credentials of its own.
 *
 * Deltas are redacted per block: the tail of a block's text that could be the
 * start of a secret is held back until the next delta shows whether it is;
 * the block's end event (or the terminal event) flushes it, as "[redacted]"
 * when it is a secret's first characters, else as it was.
 */
import { MIN_SECRET_LENGTH, REDACTED, redactValues } from "../src/core/redact.js";
import type { ProxyWireEvent } from "./proxy-wire.js";

type DeltaType = "text_delta" | "thinking_delta" | "toolcall_delta";

const END_OF: Record<string, DeltaType> = { text_end: "text_delta", thinking_end: "thinking_delta", toolcall_end: "toolcall_delta" };
const URL_PATTERN = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;
const HOST_REPLACEMENT = "[upstream host]";

/** Provider keys the default upstream falls back to (so a reply is redacted of them too); none where there is no `process`. */
export function environmentKeys(): (string | undefined)[] {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
  return [env.OPENAI_API_KEY, env.OPENROUTER_API_KEY];
}

/** Redaction for one stream; see the module comment. */
export class ProxyRedactor {
  private readonly secrets: string[];
  private readonly hosts: string[];
  private readonly held = new Map<string, { type: DeltaType; contentIndex: number; text: string }>();

  /** `secrets`: keys and credential header values; `upstreamUrls`: where requests go (their hosts are hidden too). */
  constructor(secrets: readonly (string | undefined)[], upstreamUrls: readonly string[] = []) {
    // Longest first, so a secret containing another is replaced whole.
    this.secrets = [...new Set(secrets.filter((s): s is string => typeof s === "string" && s.length >= MIN_SECRET_LENGTH))].sort((a, b) => b.length - a.length);
    this.hosts = [
      ...new Set(
        upstreamUrls
          .filter((u) => URL.canParse(u))
          .map((u) => new URL(u).hostname)
          .filter((h) => h.length > 0),
      ),
    ];
  }

  /** A whole text (a frame, an id): secrets replaced, and a secret's first characters where the text was cut ("…" or its end). */
  text(text: string): string {
    text = redactValues(text, this.secrets);
    const cut = text.endsWith("…") ? text.length - 1 : text.length;
    const start = this.secretPrefixAt(text.slice(0, cut));
    if (start !== undefined && cut - start >= MIN_SECRET_LENGTH) text = `${text.slice(0, start)}${REDACTED}${text.slice(cut)}`;
    return text;
  }

  /** An error text for a client: {@link text}, then every URL and the upstream's host name removed. */
  errorText(text: string): string {
    // Punctuation ending a URL is the sentence's ("at http://host/v1: …").
    text = this.text(text).replace(URL_PATTERN, (url) => `the upstream${/[.,:;!?)\]]*$/.exec(url)![0]}`);
    for (const host of this.hosts) text = text.replaceAll(host, HOST_REPLACEMENT);
    return text;
  }

  /** The events to send for `event`, in order (a delta may be held back, an end event flushes its block first). */
  events(event: ProxyWireEvent): ProxyWireEvent[] {
    switch (event.type) {
      case "text_delta":
      case "thinking_delta":
      case "toolcall_delta": {
        const key = `${event.type}:${event.contentIndex}`;
        const joined = redactValues((this.held.get(key)?.text ?? "") + event.delta, this.secrets);
        const start = this.secretPrefixAt(joined) ?? joined.length;
        this.held.set(key, { type: event.type, contentIndex: event.contentIndex, text: joined.slice(start) });
        return start === 0 ? [] : [{ ...event, delta: joined.slice(0, start) }];
      }
      case "text_end":
      case "thinking_end":
      case "toolcall_end":
        return [...this.flush(`${END_OF[event.type]}:${event.contentIndex}`), event];
      case "done":
        return [...this.flushAll(), event];
      case "error":
        return [...this.flushAll(), event.errorMessage === undefined ? event : { ...event, errorMessage: this.errorText(event.errorMessage) }];
      default:
        return [event];
    }
  }

  /** Deltas still held back, for a stream cut short by the proxy itself. */
  flushAll(): ProxyWireEvent[] {
    return [...this.held.keys()].flatMap((key) => this.flush(key));
  }

  private flush(key: string): ProxyWireEvent[] {
    const held = this.held.get(key);
    this.held.delete(key);
    if (!held || held.text === "") return [];
    const delta = held.text.length >= MIN_SECRET_LENGTH ? REDACTED : held.text;
    return [{ type: held.type, contentIndex: held.contentIndex, delta }];
  }

  /** Where the longest tail of `text` that begins some secret starts (undefined: no tail does). */
  private secretPrefixAt(text: string): number | undefined {
    let earliest: number | undefined;
    for (const secret of this.secrets) {
      const from = Math.max(0, text.length - secret.length + 1);
      for (let i = text.indexOf(secret[0]!, from); i !== -1 && (earliest === undefined || i < earliest); i = text.indexOf(secret[0]!, i + 1)) {
        if (secret.startsWith(text.slice(i))) {
          earliest = i;
          break;
        }
      }
    }
    return earliest;
  }
}
