/**
 * Conversions from store records (epoch ms) to the public shapes (ISO 8601
 * text) that the library and the API return.
 */
import type { Execution } from '../model/execution.js';
import type { Instance } from '../model/instance.js';
import type { Job } from '../model/job.js';
import { reasonOf } from '../model/reason.js';
import type { TargetBase } from '../model/target.js';
import type { InstanceRecord } from './instances.js';
import type { ExecutionRecord, JobRecord } from './store.js';

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

/**
 * The public view of a stored job. `T` is the type of its targets: a store
 * keeps them as `TargetBase`, and the scheduler validated them against its
 * executors (built-in: the `Target` union) before they were written.
 */
export function toJob<T extends TargetBase = TargetBase>(record: JobRecord): Job<T> {
  const { anchorAt: _anchor, ...definition } = record.definition;
  const { stats } = record;
  const job: Job = {
    id: record.id,
    ...definition,
    paused: record.paused,
    nextFireAt: isoOrNull(record.nextFireAt),
    version: record.version,
    createdAt: iso(record.createdAt),
    updatedAt: iso(record.updatedAt),
    completedAt: isoOrNull(record.completedAt),
    fireCount: record.fireCount,
    lastOutcome: record.lastOutcome,
    stats: {
      lastFireAt: isoOrNull(stats.lastFireAt),
      lastSuccessAt: isoOrNull(stats.lastSuccessAt),
      lastFailureAt: isoOrNull(stats.lastFailureAt),
      succeeded: stats.succeeded,
      failed: stats.failed,
      missed: stats.missed,
      skipped: stats.skipped,
    },
    staleSince: isoOrNull(record.staleSince),
  };
  return job as Job<T>;
}

/** The public view of a stored execution. */
export function toExecution(record: ExecutionRecord): Execution {
  const view: Execution = {
    id: record.id,
    jobId: record.jobId,
    fireAt: iso(record.fireAt),
    runAt: iso(record.runAt),
    trigger: record.trigger,
    status: record.status,
    attempt: record.attempt,
    attempts: record.attempts,
    leaseOwner: record.leaseOwner,
    onFailure: record.onFailure,
    createdAt: iso(record.createdAt),
    startedAt: isoOrNull(record.startedAt),
    finishedAt: isoOrNull(record.finishedAt),
  };
  if (record.backfill) view.backfill = true;
  if (record.payload !== undefined) view.payload = record.payload;
  if (record.result !== undefined) view.result = record.result;
  const reason = reasonOf(record.error);
  if (reason) view.reason = reason;
  else if (record.error !== undefined) view.error = record.error;
  return view;
}

/** The public view of a registered instance. */
export function toInstance(record: InstanceRecord): Instance {
  return {
    id: record.id,
    host: record.host,
    pid: record.pid,
    version: record.version,
    startedAt: iso(record.startedAt),
    lastSeenAt: iso(record.lastSeenAt),
    capacity: record.capacity,
    held: record.held,
    running: record.running,
  };
}
