/**
 * The NATS store case of the bench: a bucket prefix of its own on the NATS
 * server at `CHIME_BENCH_NATS_URL` (default `nats://127.0.0.1:4222`), its
 * buckets deleted afterwards. Bulk data goes in through the store, many
 * writes in flight at once (KV has no bulk insert). When the server is
 * unreachable the case is skipped with a note.
 */
import { randomBytes } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { natsStore } from '../src/index.js';
import type { ExecutionRecord, JobRecord, Store } from '../src/stores/store.js';
import { copyOf, insertJobs, type Made, type SharedTarget, type StoreCase } from './stores.js';
import { storeWrites } from './write-cost.js';

export const NATS_URL = process.env['CHIME_BENCH_NATS_URL'] ?? 'nats://127.0.0.1:4222';
/** Writes in flight at once while bulk data goes in. */
const IN_FLIGHT = 200;

/** The NATS case, or the reason it cannot run. */
export async function natsCase(): Promise<StoreCase | string> {
  try {
    await (await connect({ servers: NATS_URL, timeout: 2_000 })).close();
  } catch (err) {
    return `nats skipped: ${NATS_URL} is unreachable (${err instanceof Error ? err.message : String(err)})`;
  }
  return { name: 'nats', burstSubmitGuessMs: 10_000, make: makeNats, sharedTarget: sharedNats };
}

function freshPrefix(): string {
  return `chime_bench_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** Runs `write(i)` for i in [0, count), {@link IN_FLIGHT} at a time. */
async function inFlight(count: number, write: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < count; i += IN_FLIGHT) {
    const batch = Array.from({ length: Math.min(IN_FLIGHT, count - i) }, (_, k) => i + k);
    await Promise.all(batch.map(write));
  }
}

/** Runs `body` with a JetStream manager on a connection of its own, closed afterwards. */
async function withManager<T>(
  body: (jsm: Awaited<ReturnType<typeof jetstreamManager>>) => Promise<T>,
): Promise<T> {
  const nc = await connect({ servers: NATS_URL });
  try {
    return await body(await jetstreamManager(nc));
  } finally {
    await nc.close();
  }
}

const dropPrefix = (prefix: string) =>
  withManager(async (jsm) => {
    for (const part of ['jobs', 'instances', 'meta'])
      await jsm.streams.delete(`KV_${prefix}_${part}`).catch(() => undefined);
  });

const streamState = (prefix: string, part: string) =>
  withManager(async (jsm) => (await jsm.streams.info(`KV_${prefix}_${part}`)).state);

/** The execution keys of the jobs bucket (`<job key>.<execution key>`), delete markers not yet purged included. */
const executionKeys = (prefix: string) =>
  withManager(async (jsm) => {
    const bucket = `${prefix}_jobs`;
    const info = await jsm.streams.info(`KV_${bucket}`, { subjects_filter: `$KV.${bucket}.*.*` });
    return Object.keys(info.state.subjects ?? {}).length;
  });

async function makeNats(): Promise<Made> {
  const prefix = freshPrefix();
  const store: Store = natsStore({ servers: NATS_URL, prefix });
  return {
    store,
    cleanup: () => dropPrefix(prefix),
    bytesPerJob: async (jobs) => Math.round((await streamState(prefix, 'jobs')).bytes / jobs),
    serverPids: async () => [],
    insertJobs: (template: JobRecord, idPrefix: string, count: number) =>
      inFlight(count, (i) => insertJobs(store, [{ ...template, id: `${idPrefix}${i}` }])),
    insertExecutions: (template: ExecutionRecord, count: number, jobs: number) =>
      inFlight(count, (i) => store.executionInsert({ execution: copyOf(template, i, jobs) })),
    writes: async () => storeWrites(store),
  };
}

async function sharedNats(): Promise<SharedTarget> {
  const prefix = freshPrefix();
  return {
    config: { store: 'nats', databaseUrl: NATS_URL, schema: prefix },
    serverPids: async () => [],
    executionRows: () => executionKeys(prefix).catch(() => 0),
    cleanup: () => dropPrefix(prefix),
  };
}
