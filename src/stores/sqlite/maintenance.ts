/**
 * The SQLite store's maintenance part (`StoreMaintenance`): the pruning of
 * finished executions to each job's retention, and the marking of stale
 * jobs. Each call is one `BEGIN IMMEDIATE` transaction on the store's connection.
 */
import type Database from 'better-sqlite3';
import { pruneAfterPass } from '../rules.js';
import type { JobRecord, StoreMaintenance, PruneParams } from '../store.js';
import { mustGet } from './fire-writes.js';
import { jobFromRow } from './rows.js';
import type { Statements } from './statements.js';

/** The maintenance part over the store's connection (`connected` throws when it is closed). */
export class SqliteMaintenance implements StoreMaintenance {
  constructor(private readonly connected: () => { db: Database.Database; s: Statements }) {}

  async jobsToPrune({ now, limit }: { now: number; limit: number }): Promise<JobRecord[]> {
    return this.connected().s.jobsToPrune.all({ now, limit }).map(jobFromRow);
  }

  async executionsPrune(params: PruneParams): Promise<number> {
    return this.write((s) => pruneJob(s, params));
  }

  async jobsStale({ now, limit }: { now: number; limit: number }): Promise<JobRecord[]> {
    return this.write((s) =>
      s.jobsStale
        .all({ now, limit })
        .map(({ id }) => mustGet(s.jobMarkStale.get({ id, now }), 'job', id)),
    ).map(jobFromRow);
  }

  private write<R>(fn: (s: Statements) => R): R {
    const { db, s } = this.connected();
    return db.transaction(() => fn(s)).immediate();
  }
}

/**
 * One pass of the pruner over a job, inside the caller's transaction: the
 * prunable executions beyond the keepLast newest (skipped when the kept count
 * says there are none) and those aged out, oldest fire first, at most `limit`.
 */
function pruneJob(s: Statements, params: PruneParams): number {
  const { jobId, retention, now, limit } = params;
  const job = s.pruneJob.get({ id: jobId });
  if (!job || limit <= 0) return 0;
  const candidates = new Map<string, number>();
  if (job.kept_count > retention.keepLast) {
    const boundary = s.pruneBoundary.get({ job_id: jobId, keep_last: retention.keepLast });
    if (boundary) {
      for (const row of s.pruneBeyond.all({ job_id: jobId, ...boundary, limit }))
        candidates.set(row.id, row.fire_at);
    }
  }
  const cutoff = now - retention.maxAgeMs;
  for (const row of s.pruneAged.all({ job_id: jobId, cutoff, limit }))
    candidates.set(row.id, row.fire_at);
  const doomed = [...candidates]
    .sort(([idA, fireA], [idB, fireB]) => fireA - fireB || (idA < idB ? -1 : 1))
    .slice(0, limit)
    .map(([id]) => id);
  const deleted =
    doomed.length === 0 ? 0 : s.pruneDelete.run({ ids: JSON.stringify(doomed) }).changes;
  const kept = Math.max(0, job.kept_count - deleted);
  let pruneAfter = job.prune_after;
  if (pruneAfter === params.expectedPruneAfter) {
    const oldest = s.pruneOldest.get({ job_id: jobId })?.finished_at ?? null;
    pruneAfter = pruneAfterPass(now, deleted === limit, kept, oldest, retention);
  }
  s.pruneSet.run({ id: jobId, kept_count: kept, prune_after: pruneAfter });
  return deleted;
}
