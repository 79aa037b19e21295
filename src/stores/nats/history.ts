/**
 * The history bucket: finished executions, one key each (`<job key>.<execution
 * key>`), written once when an execution ends and deleted by the pruner or
 * with its job. Its mirror keeps a summary of each (`HistorySummary`) for the
 * listings and the pruner; records are read by key.
 */
import type { KV } from '@nats-io/kv';
import type { ExecutionRecord } from '../store.js';
import { unavailable } from './connection.js';
import {
  decode,
  encode,
  historyKey,
  idOf,
  keyOf,
  summaryOf,
  type HistorySummary,
} from './documents.js';
import { Mirror } from './mirror.js';
import { isConflict } from './job-documents.js';
import { Markers } from './markers.js';

/** How often the delete markers of pruned executions are purged (`markers.ts`). */
const PURGE_EVERY_MS = 30_000;

/** The history bucket and its mirror. */
export class History {
  readonly mirror: Mirror<ExecutionRecord, HistorySummary>;
  /** Execution id to history key, for the executions the mirror holds. */
  private readonly keys = new Map<string, string>();
  private readonly markers: Markers;

  constructor(
    private readonly kv: KV,
    purge: (key: string) => Promise<unknown>,
  ) {
    this.markers = new Markers(purge, PURGE_EVERY_MS);
    this.mirror = new Mirror<ExecutionRecord, HistorySummary>(summaryOf, (key, before, after) => {
      if (after) this.keys.set(after.id, key);
      else if (before) this.keys.delete(before.id);
    });
  }

  /** The summary of a finished execution the mirror holds, or undefined. */
  summary(id: string): HistorySummary | undefined {
    const key = this.keys.get(id);
    return key === undefined ? undefined : this.mirror.get(key)?.value;
  }

  /** Writes finished executions (idempotent: a key is written with the same record again). */
  async put(executions: readonly ExecutionRecord[]): Promise<void> {
    await Promise.all(
      executions.map(async (e) => {
        const key = historyKey(e.jobId, e.id);
        const revision = await this.kv.put(key, encode(e)).catch((err: unknown) => {
          throw unavailable(err, 'writing an execution');
        });
        this.mirror.written(key, e, revision);
      }),
    );
  }

  /** A finished execution, or null. */
  async get(jobId: string, id: string): Promise<ExecutionRecord | null> {
    const entry = await this.kv.get(historyKey(jobId, id)).catch((err: unknown) => {
      throw unavailable(err, 'reading an execution');
    });
    return entry && entry.operation === 'PUT' ? decode<ExecutionRecord>(entry.value) : null;
  }

  /** The job of a finished execution, also one the mirror does not hold yet (written by another instance just now), or null. */
  async jobOf(id: string): Promise<string | null> {
    const summary = this.summary(id);
    if (summary) return summary.jobId;
    try {
      for await (const key of await this.kv.keys(`*.${keyOf(id)}`))
        return idOf(key.split('.')[0] ?? '');
    } catch (err) {
      throw unavailable(err, 'finding an execution');
    }
    return null;
  }

  /**
   * Deletes finished executions; with `once`, each only if it is still the
   * record the mirror holds, so of two instances deleting one only one counts it.
   * Returns those deleted.
   */
  async remove<E extends Pick<HistorySummary, 'id' | 'jobId'>>(
    executions: readonly E[],
    once = false,
  ): Promise<E[]> {
    const deleted = await Promise.all(
      executions.map(async (e) => {
        const key = historyKey(e.jobId, e.id);
        const revision = once ? this.mirror.get(key)?.revision : undefined;
        if (once && revision === undefined) return null;
        try {
          await this.kv.delete(key, revision === undefined ? {} : { previousSeq: revision });
        } catch (err) {
          if (isConflict(err)) return null;
          throw unavailable(err, 'deleting an execution');
        }
        this.mirror.deleted(key);
        this.markers.deleted([key]);
        return e;
      }),
    );
    return deleted.filter((e) => e !== null);
  }

  /** Deletes every finished execution of a job, the mirror's and any it does not hold yet. */
  async removeJob(jobId: string): Promise<void> {
    const prefix = historyKey(jobId, '').slice(0, -1);
    const keys: string[] = [];
    try {
      for await (const key of await this.kv.keys(`${prefix}.>`)) keys.push(key);
      await Promise.all(keys.map((key) => this.kv.delete(key)));
    } catch (err) {
      throw unavailable(err, 'deleting a job’s executions');
    }
    for (const key of keys) this.mirror.deleted(key);
    this.markers.deleted(keys);
  }

  /** Stops the mirror and the purging of markers. */
  stop(): void {
    this.mirror.stop();
    this.markers.stop();
  }
}
