/**
 * The NATS store: many instances without a database, on JetStream KV (NATS
 * 2.9 or later). Each job is a small KV document and each of its executions
 * with work a key of its own (`documents.ts`), every write a compare-and-set
 * on a key's revision: one execution per `(jobId, fireAt)` is the create of
 * a fire's key (`inserts.ts`), leases and outcomes are fenced by the
 * execution's key (`executions.ts`), what an end owes its job reaches the
 * job's document in an order a crash cannot break (`settle.ts`), the overlap
 * check meets in the job's document (`overlap.ts`); a finished execution's
 * record stays in its key until pruned (`maintenance.ts`). Every
 * instance mirrors the jobs bucket from a KV watch (`mirror.ts`), so finding
 * due work reads no bucket, and the watch tells the engine at once about work
 * another instance made due (`capabilities.notify`). The registry:
 * `registry.ts`; pruning and staleness: `maintenance.ts`; the work on
 * executions: `executions.ts`; connection and buckets: `connection.ts`.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { ChimeError } from '../../errors.js';
import type { Share } from '../instances.js';
import { inShare, matchesJobFilter } from '../rules.js';
import type {
  Claim,
  ExecutionRecord,
  ExecutionsListParams,
  JobPlan,
  JobRecord,
  JobsListParams,
  JobWrite,
  Store,
  StoreCapabilities,
  StoreChange,
  StoreUsage,
} from '../store.js';
import { checkSchema, writeSchema } from './schema.js';
import {
  lastHeldOf,
  onServerLost,
  openBuckets,
  purgeOf,
  resolveOptions,
  unavailable,
  type Buckets,
  type NatsStoreOptions,
  type Settings,
} from './connection.js';
import { idOfKey, keyOf } from './documents.js';
import { Executions } from './executions.js';
import { advanceAll, inFlight, insertExecutions } from './inserts.js';
import { JobDocuments } from './job-documents.js';
import { ACK_TIMEOUT_MS } from './key-write.js';
import { removeExecutions, writeJobs } from './job-writes.js';
import { NatsMaintenance } from './maintenance.js';
import { NatsRegistry } from './registry.js';
import { LifeLine } from './life-line.js';
import { applyDebts, Settler } from './settle.js';
import { DebtQueue } from './debt-queue.js';
import { Publisher } from './publisher.js';

export type { NatsStoreOptions } from './connection.js';

/** What an open store works with. */
export interface Parts {
  readonly nc: NatsConnection;
  /** The publisher of the writes: each send waits at most {@link ACK_TIMEOUT_MS}. */
  readonly js: Publisher;
  readonly buckets: Buckets;
  readonly docs: JobDocuments;
  readonly debts: DebtQueue;
}

/** A {@link Store} on NATS JetStream KV. Open it before use; any number of instances may share a prefix. */
export class NatsStore implements Store {
  readonly name = 'nats';
  readonly capabilities: StoreCapabilities = { notify: true };
  /** The prefix of the store's bucket names. */
  readonly prefix: string;
  readonly maintenance: NatsMaintenance;
  private readonly settings: Settings;
  private readonly registry: NatsRegistry;
  /** The thread that writes this store's signs of life. */
  private readonly life: LifeLine;
  private readonly executions: Executions;
  private readonly settler: Settler;
  private readonly listeners = new Set<(change: StoreChange) => void>();
  private opening: Promise<Parts> | undefined;
  private opened: Parts | undefined;
  /** Messages sent by the connection closed last (for {@link usage} after close). */
  private sentBeforeClose = 0;

  constructor(options: NatsStoreOptions) {
    this.settings = resolveOptions(options);
    this.prefix = this.settings.prefix;
    const parts = () => this.parts();
    this.life = new LifeLine(this.settings);
    this.registry = new NatsRegistry(parts, `${this.prefix}_instances`, this.life);
    this.maintenance = new NatsMaintenance(parts);
    this.executions = new Executions(parts);
    this.settler = new Settler(parts);
  }

  readonly instanceRegister: NatsRegistry['instanceRegister'] = (p) =>
    this.registry.instanceRegister(p);
  readonly instanceBeat: NatsRegistry['instanceBeat'] = (p) => this.registry.instanceBeat(p);
  readonly instanceDeregister: NatsRegistry['instanceDeregister'] = (p) =>
    this.registry.instanceDeregister(p);
  readonly instancesList: NatsRegistry['instancesList'] = () => this.registry.instancesList();
  readonly executionsClaim: Executions['claim'] = (p) => this.executions.claim(p);
  /** Also settles what crashed writers left unsettled (`settle.ts`): this runs on every instance, every few seconds. */
  readonly executionsTakeOver: Executions['takeOver'] = async (p) => {
    await this.settler.sweep();
    return this.executions.takeOver(p);
  };
  readonly executionsStart: Executions['start'] = (p) => this.executions.start(p);
  readonly executionsMarkRunning: Executions['markRunning'] = (p) => this.executions.markRunning(p);
  readonly executionsFinish: Executions['finish'] = (p) => this.executions.finish(p);
  readonly leasesRenew: Executions['renew'] = (p) => this.executions.renew(p);
  readonly leasesRelease: Executions['release'] = (p) => this.executions.release(p);

  async open(): Promise<void> {
    this.opening ??= this.connect().catch((err: unknown) => {
      this.opening = undefined;
      throw err;
    });
    this.opened = await this.opening;
  }

  async close(): Promise<void> {
    const opening = this.opening;
    this.opening = undefined;
    this.opened = undefined;
    const parts = await opening?.catch(() => undefined);
    if (!parts) return;
    parts.docs.stop();
    await this.registry.stop();
    parts.js.stop();
    this.sentBeforeClose = parts.nc.stats().outMsgs;
    await parts.nc.close().catch(() => undefined);
  }

  async migrate(): Promise<number[]> {
    const { nc } = await openBuckets(this.settings, true);
    try {
      return await writeSchema(nc, this.settings);
    } finally {
      await nc.close().catch(() => undefined);
    }
  }

  /**
   * Messages this store sent to NATS (requests and publishes), as its
   * `statements`: its connection's, and its signs of life's on their thread.
   */
  usage(): StoreUsage {
    const main = this.opened?.nc.stats().outMsgs ?? this.sentBeforeClose;
    return { statements: main + this.life.sent };
  }

  onChange(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async jobGet({ id }: { id: string }): Promise<JobRecord | null> {
    return (await this.parts().docs.read(id))?.value.job ?? null;
  }

  async jobsGet({ ids }: { ids: string[] }): Promise<JobRecord[]> {
    const jobs = await inFlight([...new Set(ids)], (id) => this.jobGet({ id }));
    return jobs.filter((job) => job !== null);
  }

  async jobsWrite({ writes }: { writes: JobWrite[] }): Promise<number[]> {
    return writeJobs(this.parts(), writes);
  }

  async jobDelete({ id }: { id: string }): Promise<boolean> {
    const parts = this.parts();
    for (;;) {
      const entry = await parts.docs.read(id);
      if (!entry) return false;
      if ((await parts.docs.replace(keyOf(id), null, entry.revision)) === null) continue;
      await removeExecutions(parts, id);
      return true;
    }
  }

  async jobsList(params: JobsListParams): Promise<JobRecord[]> {
    const { docs } = this.parts();
    // By id from the keys, then decoded in that order until the page is full.
    const ids: [string, string][] = [];
    for (const [key, value] of docs.mirror.values()) {
      if (typeof value !== 'string') continue;
      const id = idOfKey(key);
      if (params.afterId === undefined || id > params.afterId) ids.push([id, key]);
    }
    ids.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const jobs: JobRecord[] = [];
    for (const [, key] of ids) {
      if (jobs.length >= params.limit) break;
      const job = docs.documentAt(key)?.job;
      if (job && matchesJobFilter(job, params)) jobs.push(job);
    }
    return jobs;
  }

  async nextDueAt(): Promise<number | null> {
    const { docs } = this.parts();
    const job = docs.due.documents.first();
    for (const [at, key] of docs.due.waiting.upTo(job ?? Number.POSITIVE_INFINITY)) {
      const value = docs.workAt(key);
      // Work of a job the mirror does not hold (removed mid-way by a crash) is not claimed: not due either.
      if (value && docs.has(value.jobId)) return at;
    }
    return job;
  }

  async jobsDue(params: { before: number; limit: number; share?: Share }): Promise<JobRecord[]> {
    const { before, limit, share } = params;
    const { docs } = this.parts();
    const due: JobRecord[] = [];
    for (const [at, key] of docs.due.documents.upTo(before)) {
      if (due.length >= limit) break;
      if (!inShare(idOfKey(key), at, share)) continue;
      const job = docs.documentAt(key)?.job;
      if (job) due.push(job);
    }
    return due;
  }

  async jobsAdvance({
    plans,
  }: {
    plans: JobPlan[];
  }): Promise<{ claims: Claim[]; applied: string[] }> {
    return advanceAll(this.parts(), plans);
  }

  async executionInsert({ execution }: { execution: ExecutionRecord }): Promise<void> {
    const parts = this.parts();
    await parts.docs.together(() => insertExecutions(parts, [execution]));
  }

  async executionsInsert({ executions }: { executions: ExecutionRecord[] }): Promise<string[]> {
    const parts = this.parts();
    return parts.docs.together(() => insertExecutions(parts, executions));
  }

  async executionGet({ id }: { id: string }): Promise<ExecutionRecord | null> {
    return this.executions.get(id);
  }

  async executionsList(params: ExecutionsListParams): Promise<ExecutionRecord[]> {
    return this.executions.list(params);
  }

  private async connect(): Promise<Parts> {
    const { nc, buckets } = await openBuckets(this.settings, this.settings.migrate);
    try {
      if (this.settings.migrate) await writeSchema(nc, this.settings);
      else await checkSchema(nc, this.settings);
      const js = new Publisher(nc, Math.min(this.settings.timeoutMs, ACK_TIMEOUT_MS));
      const docs = new JobDocuments(
        buckets.jobs,
        js,
        `${this.prefix}_jobs`,
        purgeOf(nc, `${this.prefix}_jobs`),
      );
      docs.onSooner((dueAt) => {
        for (const listener of this.listeners) listener({ dueAt });
      });
      const manager = jetstreamManager(nc, { timeout: this.settings.timeoutMs });
      await docs.mirror.start(buckets.jobs, lastHeldOf(manager, `${this.prefix}_jobs`));
      const debts = new DebtQueue(docs, (doc, works, kept) => applyDebts(docs, doc, works, kept));
      const parts = { nc, js, buckets, docs, debts };
      await this.registry.start(parts, lastHeldOf(manager, `${this.prefix}_instances`));
      onServerLost(nc, this.prefix, () => {
        docs.mirror.restart();
        this.registry.restart();
      });
      return parts;
    } catch (err) {
      await nc.close().catch(() => undefined);
      throw unavailable(err, 'opening');
    }
  }

  private parts(): Parts {
    if (this.opened) return this.opened;
    throw new ChimeError(
      'CHIME_ERR_STORE_UNAVAILABLE',
      'the NATS store is not open: call open() first',
    );
  }
}

/** Creates a store on NATS JetStream KV. */
export function natsStore(options: NatsStoreOptions): NatsStore {
  return new NatsStore(options);
}
