/**
 * What the NATS store tests share: stores on the machine's NATS server, each
 * on a prefix of its own, and the removal of that prefix's buckets after.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { jetstreamManager } from '@nats-io/jetstream';
import { natsStore, type NatsStore, type NatsStoreOptions } from '../../src/stores/nats/index.js';
import { SERVICES, uniqueName } from '../helpers/services.js';
import type { ExecutionRecord, JobPlan, JobRecord } from '../../src/stores/store.js';
import { T0, makeRetention } from './records.js';

export const NATS_URL = SERVICES.nats.url;

/** A fresh bucket-name prefix. */
export function freshPrefix(): string {
  return uniqueName('chime_t')
    .replace(/[^A-Za-z0-9_-]/g, '_')
    .slice(0, 32);
}

/** Deletes every stream (bucket) whose name holds `prefix`. */
export async function dropPrefix(
  prefix: string,
  servers: string | string[] = NATS_URL,
): Promise<void> {
  const nc = await connect({ servers });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const name of jsm.streams.names())
      if (name.startsWith(`KV_${prefix}_`)) await jsm.streams.delete(name);
  } finally {
    await nc.close();
  }
}

/** The streams whose name holds `prefix`, sorted. */
export async function streamsOf(prefix: string, servers = NATS_URL): Promise<string[]> {
  const nc = await connect({ servers });
  try {
    const jsm = await jetstreamManager(nc);
    const names: string[] = [];
    for await (const name of jsm.streams.names())
      if (name.startsWith(`KV_${prefix}_`)) names.push(name);
    return names.sort();
  } finally {
    await nc.close();
  }
}

/** Stores made by a test, closed and their prefixes dropped after it. */
export function natsStores() {
  const opened: NatsStore[] = [];
  const prefixes = new Set<string>();
  const connections: NatsConnection[] = [];
  return {
    /**
     * A store's bucket (`jobs`, `instances`, `meta`) on a connection of the
     * test's own, closed after it: to write keys as another writer left them,
     * or read what the store wrote.
     */
    async bucket(store: Pick<NatsStore, 'prefix'>, part: string): Promise<KV> {
      const nc = await connect({ servers: NATS_URL });
      connections.push(nc);
      return new Kvm(nc).open(`${store.prefix}_${part}`);
    },
    makeStore(options: Partial<NatsStoreOptions> = {}): NatsStore {
      const prefix = options.prefix ?? freshPrefix();
      prefixes.add(prefix);
      const store = natsStore({ servers: NATS_URL, ...options, prefix });
      opened.push(store);
      return store;
    },
    async cleanup(): Promise<void> {
      await Promise.all(connections.splice(0).map((nc) => nc.close()));
      await Promise.all(opened.splice(0).map((store) => store.close()));
      for (const prefix of prefixes) await dropPrefix(prefix);
      prefixes.clear();
    },
  };
}

/** A plan of `execution` made on the job's version and next fire T0, its next fire a minute on. */
export function planAtT0(job: JobRecord, execution: ExecutionRecord): JobPlan {
  return {
    jobId: job.id,
    expectedVersion: job.version,
    expectedNextFireAt: T0,
    nextFireAt: T0 + 60_000,
    completedAt: null,
    lastOutcome: null,
    fires: 1,
    executions: [execution],
    retention: makeRetention(),
  };
}
