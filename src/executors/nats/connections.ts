import { connect, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsTarget } from './schema.js';

/** Longest time opening a connection (TCP, TLS, the INFO/CONNECT handshake) may take. */
const CONNECT_TIMEOUT_MS = 10_000;
/**
 * Pause between two reconnect attempts to one server (the client's default is
 * 2 s). With {@link MAX_RECONNECT_ATTEMPTS} a lost server is retried for about
 * ten seconds; then the connection closes and the pool replaces it with a new
 * one at the next attempt.
 */
const RECONNECT_WAIT_MS = 1_000;
/** Reconnect attempts per server before the client gives the connection up. */
const MAX_RECONNECT_ATTEMPTS = 10;
/** The port of a server URL that names none. */
const DEFAULT_PORT = 4222;

/** Where and how to connect, parsed from a target's `servers` and `auth`. */
export interface NatsEndpoint {
  /** `host:port` of each server, in the target's order. */
  readonly servers: readonly string[];
  /** Whether the servers were given as `tls://`: TLS is then required. */
  readonly tls: boolean;
  readonly user?: string;
  readonly pass?: string;
  readonly token?: string;
}

/**
 * Parses a target's servers and credentials. Credentials come from `auth`,
 * else from the first URL that carries a `user:password@`: the NATS client
 * would not read them from the URL itself.
 */
export function natsEndpoint(
  servers: NatsTarget['servers'],
  auth?: NatsTarget['auth'],
): NatsEndpoint {
  const urls = (Array.isArray(servers) ? servers : [servers]).map((s) => new URL(s));
  const endpoint = {
    servers: urls.map((url) => (url.port === '' ? `${url.host}:${DEFAULT_PORT}` : url.host)),
    tls: urls.some((url) => url.protocol === 'tls:'),
  };
  if (auth?.token !== undefined) return { ...endpoint, token: auth.token };
  if (auth?.user !== undefined) return { ...endpoint, user: auth.user, pass: auth.password ?? '' };
  const withCredentials = urls.find((url) => url.username !== '');
  if (!withCredentials) return endpoint;
  return {
    ...endpoint,
    user: decodeURIComponent(withCredentials.username),
    pass: decodeURIComponent(withCredentials.password),
  };
}

/**
 * One pooled connection. The NATS client reconnects by itself after a
 * network fault; meanwhile {@link NatsLink.ready} holds publishes back (the
 * client would buffer them and send them late), and once the client gives up
 * the link is closed and the pool opens a new connection.
 */
export class NatsLink {
  private connected = true;
  private waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private js: JetStreamClient | undefined;
  /** True once the connection closed for good. */
  closed = false;
  /** Why it closed, when it closed on an error. */
  closeError: Error | undefined;

  constructor(readonly connection: NatsConnection) {
    void this.watch();
  }

  /** Resolves while connected, or once reconnected; rejects when the connection closes. */
  ready(): Promise<void> {
    if (this.closed) return Promise.reject(this.closedError());
    if (this.connected) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** The JetStream client of this connection. */
  jetstream(): JetStreamClient {
    this.js ??= jetstream(this.connection);
    return this.js;
  }

  /** Marks the link closed and fails whoever waits for a reconnect. */
  markClosed(error: Error | undefined): void {
    this.closed = true;
    this.closeError ??= error;
    this.wake(this.closedError());
  }

  private async watch(): Promise<void> {
    try {
      for await (const status of this.connection.status()) {
        if (status.type === 'disconnect') this.connected = false;
        if (status.type === 'reconnect') {
          this.connected = true;
          this.wake();
        }
      }
    } catch {
      // the status stream ends with the connection; closed() reports why
    }
  }

  private wake(error?: Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) {
      if (error) waiter.reject(error);
      else waiter.resolve();
    }
  }

  private closedError(): Error {
    const reason = this.closeError ? `: ${this.closeError.message}` : '';
    return new Error(`the connection was closed${reason}`, { cause: this.closeError });
  }
}

/** One pooled connection, opened lazily. */
interface Entry {
  readonly opened: Promise<NatsLink>;
  link: NatsLink | undefined;
  /** Set by `close()`: a connection still opening is closed as soon as it opens. */
  abandoned: boolean;
}

/**
 * The NATS connections of one executor: one per servers list and
 * credentials, opened on first use. A connection that fails to open, or
 * that the client closes after it gave up reconnecting, is dropped, so the
 * next attempt opens a new one. `close()` closes them all.
 */
export class NatsConnections {
  private readonly entries = new Map<string, Entry>();

  /** The connection for `endpoint`; rejects with the client's error when no server answers. */
  async link(endpoint: NatsEndpoint): Promise<NatsLink> {
    const key = JSON.stringify(endpoint);
    const existing = this.entries.get(key);
    if (existing && !existing.link?.closed) return await existing.opened;
    const entry: Entry = {
      opened: connect(connectOptions(endpoint)).then(
        (connection) => this.adopt(key, entry, connection),
        (err: unknown) => {
          this.drop(key, entry);
          throw err;
        },
      ),
      link: undefined,
      abandoned: false,
    };
    entry.opened.catch(() => undefined); // awaited by callers; never an unhandled rejection
    this.entries.set(key, entry);
    return await entry.opened;
  }

  /** Closes every connection; the pool can be used again afterwards. */
  async close(): Promise<void> {
    const entries = [...this.entries.values()];
    this.entries.clear();
    await Promise.allSettled(
      entries.map(async (entry) => {
        entry.abandoned = true;
        await entry.link?.connection.close();
      }),
    );
  }

  private adopt(key: string, entry: Entry, connection: NatsConnection): NatsLink {
    const link = new NatsLink(connection);
    entry.link = link;
    void connection.closed().then((err) => {
      link.markClosed(err instanceof Error ? err : undefined);
      this.drop(key, entry);
    });
    if (entry.abandoned) void connection.close().catch(() => undefined);
    return link;
  }

  private drop(key: string, entry: Entry): void {
    if (this.entries.get(key) === entry) this.entries.delete(key);
  }
}

function connectOptions(endpoint: NatsEndpoint): NodeConnectionOptions {
  const options: NodeConnectionOptions = {
    servers: [...endpoint.servers],
    name: 'chime',
    timeout: CONNECT_TIMEOUT_MS,
    reconnectTimeWait: RECONNECT_WAIT_MS,
    maxReconnectAttempts: MAX_RECONNECT_ATTEMPTS,
  };
  if (endpoint.tls) options.tls = {};
  if (endpoint.token !== undefined) options.token = endpoint.token;
  if (endpoint.user !== undefined) {
    options.user = endpoint.user;
    options.pass = endpoint.pass ?? '';
  }
  return options;
}
