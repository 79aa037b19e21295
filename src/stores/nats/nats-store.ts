/**
 * The NATS store: many instances without a database, on JetStream KV (NATS
 * 2.9 or later). Each job is one KV document holding its record and its
 * executions that have work (`documents.ts`); a compare-and-set on its
 * revision makes every write of one job atomic — one execution per
 * `(jobId, fireAt)`, fenced leases and outcomes, the overlap check.
 * Finished executions move to a history bucket (`history.ts`). Every
 * instance mirrors the jobs bucket from a KV watch (`mirror.ts`), so finding
 * due work reads no bucket, and the watch tells the engine at once about work
 * another instance made due (`capabilities.notify`). The registry:
 * `registry.ts`; pruning and staleness: `maintenance.ts`; the work on
 * executions: `executions.ts`; connection and buckets: `connection.ts`.
 */
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { ChimeError } from '../../errors.js';
import type { Share } from '../instances.js';
import { inShare, isPrunable, matchesJobFilter, pruneAfterAdding } from '../rules.js';
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
  onServerLost,
  openBuckets,
  purgeOf,
  resolveOptions,
  unavailable,
  type Buckets,
  type NatsStoreOptions,
  type Settings,
} from './connection.js';
import { countFinished, dueOf, firesAt } from './documents.js';
import { Executions } from './executions.js';
import { History } from './history.js';
import { ACK_TIMEOUT_MS, JobDocuments } from './job-documents.js';
import { writeJobs } from './job-writes.js';
import { NatsMaintenance } from './maintenance.js';
import { NatsRegistry } from './registry.js';

export type { NatsStoreOptions } from './connection.js';

/** What an open store works with. */
export interface Parts {
  readonly nc: NatsConnection;
  readonly buckets: Buckets;
  readonly docs: JobDocuments;
  readonly history: History;
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
  private readonly executions: Executions;
  private readonly listeners = new Set<(change: StoreChange) => void>();
  private opening: Promise<Parts> | undefined;
  private opened: Parts | undefined;
  private nextDue: { generation: number; at: number | null } | undefined;
  /** Messages sent by the connection closed last (for {@link usage} after close). */
  private sentBeforeClose = 0;

  constructor(options: NatsStoreOptions) {
    this.settings = resolveOptions(options);
    this.prefix = this.settings.prefix;
    const parts = () => this.parts();
    this.registry = new NatsRegistry(parts);
    this.maintenance = new NatsMaintenance(parts);
    this.executions = new Executions(parts);
  }

  readonly instanceRegister: NatsRegistry['instanceRegister'] = (p) =>
    this.registry.instanceRegister(p);
  readonly instanceBeat: NatsRegistry['instanceBeat'] = (p) => this.registry.instanceBeat(p);
  readonly instanceDeregister: NatsRegistry['instanceDeregister'] = (p) =>
    this.registry.instanceDeregister(p);
  readonly instancesList: NatsRegistry['instancesList'] = () => this.registry.instancesList();
  readonly executionsClaim: Executions['claim'] = (p) => this.executions.claim(p);
  readonly executionsTakeOver: Executions['takeOver'] = (p) => this.executions.takeOver(p);
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
    parts.docs.mirror.stop();
    parts.history.stop();
    this.registry.stop();
    this.sentBeforeClose = parts.nc.stats().outMsgs;
    await parts.nc.close().catch(() => undefined);
  }

  async migrate(): Promise<number[]> {
    const { nc, buckets } = await openBuckets(this.settings, true);
    try {
      return await writeSchema(buckets);
    } finally {
      await nc.close().catch(() => undefined);
    }
  }

  /** Messages this store sent to NATS (requests and publishes), as its `statements`. */
  usage(): StoreUsage {
    return { statements: this.opened?.nc.stats().outMsgs ?? this.sentBeforeClose };
  }

  onChange(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async jobGet({ id }: { id: string }): Promise<JobRecord | null> {
    return (await this.parts().docs.read(id))?.value.job ?? null;
  }

  async jobsGet({ ids }: { ids: string[] }): Promise<JobRecord[]> {
    const jobs = await Promise.all([...new Set(ids)].map((id) => this.jobGet({ id })));
    return jobs.filter((job) => job !== null);
  }

  async jobsWrite({ writes }: { writes: JobWrite[] }): Promise<number[]> {
    const { docs, history } = this.parts();
    return writeJobs(docs, history, writes);
  }

  async jobDelete({ id }: { id: string }): Promise<boolean> {
    const { docs, history } = this.parts();
    for (;;) {
      const entry = await docs.read(id);
      if (!entry) return false;
      if (!(await docs.remove(id, entry.revision))) continue;
      await history.removeJob(id);
      return true;
    }
  }

  async jobsList(params: JobsListParams): Promise<JobRecord[]> {
    const jobs: JobRecord[] = [];
    for (const [, doc] of this.parts().docs.mirror.values()) {
      const { job } = doc;
      if (
        (params.afterId === undefined || job.id > params.afterId) &&
        matchesJobFilter(job, params)
      )
        jobs.push(job);
    }
    return jobs
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, params.limit)
      .map((job) => structuredClone(job));
  }

  async nextDueAt(): Promise<number | null> {
    const { mirror } = this.parts().docs;
    if (this.nextDue?.generation === mirror.generation) return this.nextDue.at;
    let at: number | null = null;
    for (const [, doc] of mirror.values()) {
      const due = dueOf(doc);
      if (due !== null && (at === null || due < at)) at = due;
    }
    this.nextDue = { generation: mirror.generation, at };
    return at;
  }

  async jobsDue(params: { before: number; limit: number; share?: Share }): Promise<JobRecord[]> {
    const { before, limit, share } = params;
    const due: JobRecord[] = [];
    for (const [, { job }] of this.parts().docs.mirror.values()) {
      const at = job.nextFireAt;
      if (!job.paused && at !== null && at <= before && inShare(job.id, at, share)) due.push(job);
    }
    return due
      .sort((a, b) => (a.nextFireAt ?? 0) - (b.nextFireAt ?? 0))
      .slice(0, limit)
      .map((job) => structuredClone(job));
  }

  async jobsAdvance({
    plans,
  }: {
    plans: JobPlan[];
  }): Promise<{ claims: Claim[]; applied: string[] }> {
    const results = await Promise.all(plans.map((plan) => this.advance(plan)));
    return {
      claims: results.flatMap((r) => r?.claims ?? []),
      applied: results.filter((r) => r !== null).map((r) => r.jobId),
    };
  }

  async executionInsert({ execution }: { execution: ExecutionRecord }): Promise<void> {
    const { docs, history } = this.parts();
    if (docs.jobOfActive(execution.id) !== undefined || history.summary(execution.id)) return;
    const final = isPrunable(execution);
    const changed = await docs.change(
      execution.jobId,
      (doc) => {
        if (execution.trigger === 'schedule' && firesAt(doc, execution.fireAt))
          return { answer: false, write: false };
        if (final) countFinished(doc, execution);
        else doc.active.push(structuredClone(execution));
        return { answer: true, write: true };
      },
      async () => (final ? history.put([execution]) : undefined),
    );
    if (final && changed?.answer !== true && changed !== null) await history.remove([execution]);
  }

  async executionsInsert({ executions }: { executions: ExecutionRecord[] }): Promise<string[]> {
    const inserted = new Set<string>();
    const byJob = new Map<string, ExecutionRecord[]>();
    for (const e of executions) byJob.set(e.jobId, [...(byJob.get(e.jobId) ?? []), e]);
    for (const [jobId, group] of byJob) {
      for (const id of await this.insertOfJob(jobId, group)) inserted.add(id);
    }
    return executions.filter((e) => inserted.has(e.id)).map((e) => e.id);
  }

  /** Inserts executions of one job by one compare-and-set of its document; returns the ids inserted. */
  private async insertOfJob(jobId: string, group: ExecutionRecord[]): Promise<string[]> {
    const { docs, history } = this.parts();
    const fresh = group.filter(
      (e) => docs.jobOfActive(e.id) === undefined && !history.summary(e.id),
    );
    const finals = fresh.filter(isPrunable);
    const put = new Set<ExecutionRecord>();
    const changed = await docs.change(
      jobId,
      (doc) => {
        const taken = new Set<number>();
        const ids: string[] = [];
        for (const e of fresh) {
          if (e.trigger === 'schedule' && (firesAt(doc, e.fireAt) || taken.has(e.fireAt))) continue;
          if (e.trigger === 'schedule') taken.add(e.fireAt);
          if (isPrunable(e)) countFinished(doc, e);
          else doc.active.push(structuredClone(e));
          ids.push(e.id);
        }
        return { answer: ids, write: ids.length > 0 };
      },
      async (ids) => {
        const now = finals.filter((e) => ids.includes(e.id));
        for (const e of now) put.add(e);
        await history.put(now);
      },
    );
    const ids = changed?.answer ?? [];
    // A final one put before a write that lost its compare-and-set, and not inserted since.
    const orphans = [...put].filter((e) => !ids.includes(e.id));
    if (orphans.length > 0) await history.remove(orphans);
    return ids;
  }

  async executionGet({ id }: { id: string }): Promise<ExecutionRecord | null> {
    return this.executions.get(id);
  }

  async executionsList(params: ExecutionsListParams): Promise<ExecutionRecord[]> {
    return this.executions.list(params);
  }

  /** One plan: compare-and-set of its job, with the fires it inserts; null when it did not apply. */
  private async advance(plan: JobPlan): Promise<{ jobId: string; claims: Claim[] } | null> {
    const { docs, history } = this.parts();
    const finals = plan.executions.filter(isPrunable);
    const changed = await docs.change(
      plan.jobId,
      (doc) => {
        const { job } = doc;
        if (job.version !== plan.expectedVersion || job.nextFireAt !== plan.expectedNextFireAt)
          return { answer: null, write: false };
        job.nextFireAt = plan.nextFireAt;
        if (plan.completedAt !== null) job.completedAt = plan.completedAt;
        if (plan.lastOutcome !== null) job.lastOutcome = { ...plan.lastOutcome };
        job.fireCount += plan.fires ?? 0;
        const inserted: ExecutionRecord[] = [];
        for (const e of plan.executions) {
          if (firesAt(doc, e.fireAt) || docs.jobOfActive(e.id) !== undefined) continue;
          inserted.push(e);
          if (!isPrunable(e)) {
            doc.active.push(structuredClone(e));
            continue;
          }
          if (e.status === 'missed') job.stats.missed += 1;
          if (e.status === 'skipped') job.stats.skipped += 1;
          countFinished(doc, e);
          job.pruneAfter = pruneAfterAdding(
            job.pruneAfter,
            doc.kept,
            e.finishedAt ?? e.createdAt,
            plan.retention,
          );
        }
        return { answer: inserted, write: true };
      },
      async () => (finals.length > 0 ? history.put(finals) : undefined),
    );
    const inserted = changed?.answer ?? [];
    const orphans = finals.filter((e) => !inserted.includes(e));
    if (orphans.length > 0) await history.remove(orphans);
    if (!changed?.answer) return null;
    const claims = inserted
      .filter((e) => e.leaseOwner !== null)
      .map((e) => ({ execution: structuredClone(e), job: structuredClone(changed.doc.job) }));
    return { jobId: plan.jobId, claims };
  }

  private async connect(): Promise<Parts> {
    const { nc, buckets } = await openBuckets(this.settings, this.settings.migrate);
    try {
      if (this.settings.migrate) await writeSchema(buckets);
      else await checkSchema(buckets, this.settings.prefix);
      const docs = new JobDocuments(
        buckets.jobs,
        jetstream(nc, { timeout: Math.min(this.settings.timeoutMs, ACK_TIMEOUT_MS) }),
        `${this.prefix}_jobs`,
      );
      const history = new History(buckets.history, purgeOf(nc, `${this.prefix}_history`));
      docs.onSooner((dueAt) => {
        for (const listener of this.listeners) listener({ dueAt });
      });
      await Promise.all([docs.mirror.start(buckets.jobs), history.mirror.start(buckets.history)]);
      const parts = { nc, buckets, docs, history };
      await this.registry.start(parts);
      onServerLost(nc, this.prefix, () => {
        docs.mirror.restart();
        history.mirror.restart();
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
