/**
 * The NATS store's options, its connection and its buckets. Opening checks
 * the server first — JetStream enabled, version 2.9 or later — and fails at
 * once with `CHIME_ERR_STORE_JETSTREAM_UNAVAILABLE` otherwise. Provisioning
 * creates the buckets with a fixed configuration: JetStream answers a create
 * of an existing stream with the same configuration as a success, so any
 * number of instances may open an empty server at once and one of each bucket
 * results. Every client error is turned into a `ChimeError`.
 */
import { readFile } from 'node:fs/promises';
import {
  connect,
  credsAuthenticator,
  type NatsConnection,
  type NodeConnectionOptions,
} from '@nats-io/transport-node';
import {
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { ChimeError, isChimeError } from '../../errors.js';
import { natsEndpoint } from '../../executors/nats/connections.js';
import type { Marker } from './markers.js';

/** Options of `natsStore()`. */
export interface NatsStoreOptions {
  /** The servers, e.g. `nats://127.0.0.1:4222` or a list (`tls://` requires TLS); `user:pass@` in a URL is used. */
  servers: string | string[];
  /** Prefix of the store's bucket names (`<prefix>_jobs`, …): `^[A-Za-z0-9_-]{1,32}$`. @defaultValue `'chime'` */
  prefix?: string;
  /** Replicas of every bucket (1, or 3 on a cluster of three or more servers). @defaultValue 1 */
  replicas?: number;
  /** Create the buckets at open(); when false, open() only checks they exist. @defaultValue true */
  migrate?: boolean;
  /**
   * Longest time connecting and each request to the server may take, ms (each
   * send of a job's write waits at most 2 s, and is sent again for up to 20 s).
   * @defaultValue 10000
   */
  timeoutMs?: number;
  /** A user name (with `pass`), when the URL carries none. */
  user?: string;
  pass?: string;
  /** An authentication token. */
  token?: string;
  /** Path of a `.creds` file (a user JWT and its NKey seed). */
  credentialsFile?: string;
  /** Path of a PEM file of the CA that signed the servers' certificates (TLS then required). */
  tlsCaFile?: string;
}

/** Resolved, frozen options. */
export interface Settings {
  readonly servers: readonly string[];
  readonly prefix: string;
  readonly replicas: number;
  readonly migrate: boolean;
  readonly timeoutMs: number;
  readonly options: NatsStoreOptions;
}

/** The schema version this code writes (the meta bucket's `schema` key). */
export const SCHEMA_VERSION = 3;

const PREFIX = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Checks options and resolves their defaults.
 * @throws ChimeError `CHIME_ERR_OPTION_INVALID` naming the offending option
 */
export function resolveOptions(options: NatsStoreOptions): Settings {
  const invalid = (path: string, message: string) =>
    new ChimeError('CHIME_ERR_OPTION_INVALID', `natsStore: ${message}`, { path });
  const list = Array.isArray(options.servers) ? options.servers : [options.servers];
  if (list.length === 0 || list.some((s) => typeof s !== 'string' || !URL.canParse(s)))
    throw invalid('/servers', 'servers must be one or more nats:// or tls:// URLs');
  const prefix = options.prefix ?? 'chime';
  if (!PREFIX.test(prefix)) throw invalid('/prefix', `prefix must match ${PREFIX.source}`);
  const replicas = options.replicas ?? 1;
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5)
    throw invalid('/replicas', 'replicas must be an integer from 1 to 5');
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100)
    throw invalid('/timeoutMs', 'timeoutMs must be an integer of at least 100 ms');
  return Object.freeze({
    servers: Object.freeze([...list]),
    prefix,
    replicas,
    migrate: options.migrate ?? true,
    timeoutMs,
    options,
  });
}

/** The store's buckets. */
export interface Buckets {
  readonly jobs: KV;
  readonly instances: KV;
  readonly meta: KV;
}

const BUCKETS = ['jobs', 'instances', 'meta'] as const;
/** JetStream's API error code of a stream that does not exist. */
const STREAM_NOT_FOUND = 10059;

/** Connects, checks the server and opens (creating unless `create` is false) the buckets. */
export async function openBuckets(
  settings: Settings,
  create: boolean,
): Promise<{ nc: NatsConnection; buckets: Buckets }> {
  const nc = await connectTo(settings);
  try {
    await checkServer(nc, settings);
    const kvm = new Kvm(jetstream(nc, { timeout: settings.timeoutMs }));
    const config = { history: 1, replicas: settings.replicas, timeout: settings.timeoutMs };
    const open = async (part: (typeof BUCKETS)[number]) => {
      const name = `${settings.prefix}_${part}`;
      // Two clients' creates of one stream at once can answer "subjects overlap" (nats-server 2.9):
      // the stream exists then, and a second create of the same configuration returns it.
      if (create)
        return kvm.create(name, config).catch(async (err: unknown) => {
          if (!(err instanceof JetStreamApiError && /subjects overlap/i.test(err.message)))
            throw err;
          await new Promise((resolve) => setTimeout(resolve, 100));
          return kvm.create(name, config);
        });
      const kv = await kvm.open(name);
      await kv.status().catch((err: unknown) => {
        if (!(err instanceof JetStreamApiError && err.code === STREAM_NOT_FOUND)) throw err;
        throw new ChimeError(
          'CHIME_ERR_STORE_SCHEMA_OUTDATED',
          `the NATS store with prefix ${settings.prefix} lacks its bucket ${name}: run chime migrate`,
        );
      });
      return kv;
    };
    const [jobs, instances, meta] = await Promise.all(BUCKETS.map(open));
    if (!jobs || !instances || !meta) throw new Error('a bucket did not open');
    return { nc, buckets: { jobs, instances, meta } };
  } catch (err) {
    await nc.close().catch(() => undefined);
    throw unavailable(err, 'opening its buckets');
  }
}

/** Connects to the servers with the store's options; `role` names the connection to the server. */
export async function connectTo(settings: Settings, role = 'store'): Promise<NatsConnection> {
  const { options } = settings;
  const endpoint = natsEndpoint([...settings.servers]);
  const connection: NodeConnectionOptions = {
    servers: [...endpoint.servers],
    timeout: settings.timeoutMs,
    name: `chime-${role}-${settings.prefix}`,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    // Else each request builds two errors with stack traces up front, in case it fails.
    noAsyncTraces: true,
  };
  const user = options.user ?? endpoint.user;
  if (user !== undefined) Object.assign(connection, { user, pass: options.pass ?? endpoint.pass });
  if (options.token !== undefined) connection.token = options.token;
  if (endpoint.tls || options.tlsCaFile !== undefined)
    connection.tls = options.tlsCaFile === undefined ? {} : { caFile: options.tlsCaFile };
  try {
    if (options.credentialsFile !== undefined)
      connection.authenticator = credsAuthenticator(await readFile(options.credentialsFile));
    return await connect(connection);
  } catch (err) {
    throw unavailable(err, `connecting to ${endpoint.servers.join(', ')}`);
  }
}

/** Fails with `CHIME_ERR_STORE_JETSTREAM_UNAVAILABLE` on a server without JetStream or before 2.9. */
async function checkServer(nc: NatsConnection, settings: Settings): Promise<void> {
  const version = nc.info?.version ?? '0.0.0';
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const jetstreamUnavailable = (why: string) =>
    new ChimeError(
      'CHIME_ERR_STORE_JETSTREAM_UNAVAILABLE',
      `natsStore: the NATS server ${why}; the NATS store needs nats-server 2.9 or later with JetStream enabled (-js, or a jetstream {} block)`,
    );
  if (major < 2 || (major === 2 && minor < 9))
    throw jetstreamUnavailable(`runs version ${version}`);
  if (nc.info?.jetstream !== true) throw jetstreamUnavailable('has JetStream disabled');
  try {
    await (await jetstreamManager(nc, { timeout: settings.timeoutMs })).getAccountInfo();
  } catch (err) {
    throw jetstreamUnavailable(`does not answer JetStream requests (${String(err)})`);
  }
}

/**
 * Calls `listener` when a server the store's watches may have used was lost:
 * the connection came back (on another server), the cluster's servers changed
 * (the client's `update` status, at once when one is killed), or one of the
 * prefix's streams elected a new leader (JetStream's `LEADER_ELECTED`
 * advisory, which every client of the account receives). Ends with the connection.
 */
export function onServerLost(nc: NatsConnection, prefix: string, listener: () => void): void {
  const streams = new Set(BUCKETS.map((part) => `KV_${prefix}_${part}`));
  // A wildcard is a whole token: every stream's election comes, the prefix's own count.
  nc.subscribe('$JS.EVENT.ADVISORY.STREAM.LEADER_ELECTED.*', {
    callback: (err, msg) => {
      // A subscription refused (an account without the permission) ends with an error.
      if (err === null && streams.has(msg.subject.slice(msg.subject.lastIndexOf('.') + 1)))
        listener();
    },
  });
  void (async () => {
    for await (const { type } of nc.status())
      if (type === 'reconnect' || type === 'update') listener();
  })();
}

/** A client error as `CHIME_ERR_STORE_UNAVAILABLE` (a ChimeError passes unchanged). */
export function unavailable(err: unknown, doing: string): ChimeError {
  if (isChimeError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ChimeError(
    'CHIME_ERR_STORE_UNAVAILABLE',
    `the NATS store failed ${doing}: ${message}`,
    {
      cause: err,
    },
  );
}

/**
 * The revision of the last message a bucket still holds (0: none): a watch
 * that brought it has caught up. Not the stream's last sequence, which may
 * name a delete marker purged since (a watch would wait for it forever).
 */
export function lastHeldOf(
  manager: Promise<JetStreamManager>,
  bucket: string,
): () => Promise<number> {
  return async () => {
    const last = await (
      await manager
    ).streams.getMessage(`KV_${bucket}`, { last_by_subj: `$KV.${bucket}.>` });
    return last?.seq ?? 0;
  };
}

/** Removes a bucket key's messages up to its delete marker, the marker included (see `markers.ts`). */
export function purgeOf(nc: NatsConnection, bucket: string): (marker: Marker) => Promise<unknown> {
  const manager = jetstreamManager(nc);
  return async ({ key, revision }) =>
    (await manager).streams.purge(`KV_${bucket}`, {
      filter: `$KV.${bucket}.${key}`,
      seq: revision + 1,
    });
}
