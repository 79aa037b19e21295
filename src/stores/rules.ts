/**
 * The store contract's row predicates, written once in TypeScript. The memory
 * store applies them directly; SQL stores state the same rules in their
 * statements, and the conformance suite checks that they agree.
 */
import type { ExecutionRecord, FinishRequest, JobRecord, JobsListParams } from './store.js';

/** True when a job passes a listing filter (not the paging cursor). */
export function matchesJobFilter(job: JobRecord, filter: JobsListParams): boolean {
  if (filter.paused !== undefined && job.paused !== filter.paused) return false;
  if (filter.targetType !== undefined && job.definition.target.type !== filter.targetType)
    return false;
  for (const [key, value] of Object.entries(filter.metadata ?? {})) {
    if (job.definition.metadata[key] !== value) return false;
  }
  return true;
}

/**
 * A planned fire: a scheduled execution of a schedule that never started. Such
 * executions are dropped when their job is paused or its schedule changes.
 */
export function isPlannedFire(e: ExecutionRecord): boolean {
  return e.trigger === 'schedule' && e.status === 'scheduled' && e.attempt === 0;
}

/**
 * True when `other` keeps `execution` from starting under `overlap: 'forbid'`:
 * an earlier execution of the job that is running or waiting for a retry.
 */
export function isUnfinishedForOverlap(
  other: ExecutionRecord,
  execution: ExecutionRecord,
): boolean {
  return (
    other.fireAt < execution.fireAt &&
    (other.status === 'running' || (other.status === 'scheduled' && other.attempt > 0))
  );
}

/** Orders executions newest first by `(fireAt, id)`; positive when `a` is older than `b`. */
export function compareNewestFirst(
  a: Pick<ExecutionRecord, 'fireAt' | 'id'>,
  b: Pick<ExecutionRecord, 'fireAt' | 'id'>,
): number {
  if (a.fireAt !== b.fireAt) return b.fireAt - a.fireAt;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** True when a claimed execution may start an attempt: it is scheduled, or running and taken over. */
export function isStartable(e: ExecutionRecord): boolean {
  return e.status === 'scheduled' || e.status === 'running';
}

/** True when an execution is in the state a finish expects (see `FinishRequest.from`). */
export function isFinishable(e: ExecutionRecord, finish: Pick<FinishRequest, 'from'>): boolean {
  return finish.from === 'running'
    ? e.status === 'running'
    : e.status === 'failed' && e.onFailure === 'pending';
}
