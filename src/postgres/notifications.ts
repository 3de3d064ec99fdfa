/**
 * LISTEN/NOTIFY for `tinyagent/postgres`: one channel per schema, one
 * listening connection per worker or client. A notification only says
 * "look again" (what changed is always read from the tables), so one that
 * is lost while the connection is down costs nothing: on reconnect every
 * listener is told to look again.
 */
import pg from "pg";
import { identifier, type Tables } from "./schema.js";

/** What a notification is about: a session's commands, its events, or its job having ended. */
export type NoticeKind = "commands" | "events" | "settled";

/** The payload of a notification. */
export type Notice = { kind: NoticeKind; sessionId: string };

/** The payload text for `pg_notify(channel, payload)`. */
export function noticePayload(notice: Notice): string {
  return JSON.stringify(notice);
}

/** A listener: `notice` is undefined after a reconnect (anything may have changed). */
export type NoticeListener = (notice: Notice | undefined) => void;

/** One LISTEN connection, opened on first subscription and reopened after it drops. */
export class NoticeBoard {
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private readonly listeners = new Map<string, Set<NoticeListener>>();
  private closed = false;

  constructor(
    private readonly connectionString: string,
    private readonly tables: Tables,
  ) {}

  /** Calls `listener` for every notice about `sessionId` ("*": about any session); resolves once listening. */
  async subscribe(sessionId: string, listener: NoticeListener): Promise<() => void> {
    let set = this.listeners.get(sessionId);
    if (!set) this.listeners.set(sessionId, (set = new Set()));
    set.add(listener);
    await this.connect();
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(sessionId) === set) this.listeners.delete(sessionId);
    };
  }

  private connect(): Promise<void> {
    if (this.client || this.closed) return Promise.resolve();
    return (this.connecting ??= this.open().finally(() => (this.connecting = undefined)));
  }

  private async open(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString });
    client.on("notification", (message) => {
      let notice: Notice;
      try {
        notice = JSON.parse(message.payload ?? "") as Notice;
      } catch {
        return;
      }
      this.tell(notice.sessionId, notice);
    });
    client.on("error", () => this.dropped(client));
    client.on("end", () => this.dropped(client));
    await client.connect();
    await client.query(`LISTEN ${identifier(this.tables.channel)}`);
    if (this.closed) {
      await client.end();
      return;
    }
    this.client = client;
  }

  private dropped(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    void client.end().catch(() => undefined);
    this.reconnectLater();
  }

  // Reconnect after a pause, then tell everyone to look again: notifications may have been missed.
  private reconnectLater(): void {
    if (this.closed) return;
    setTimeout(() => {
      this.connect().then(
        () => this.tellAll(),
        () => this.reconnectLater(),
      );
    }, 200).unref();
  }

  private tell(sessionId: string, notice: Notice): void {
    for (const key of [sessionId, "*"]) for (const listener of this.listeners.get(key) ?? []) listener(notice);
  }

  private tellAll(): void {
    for (const set of this.listeners.values()) for (const listener of set) listener(undefined);
  }

  /** Stops listening. */
  async close(): Promise<void> {
    this.closed = true;
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
