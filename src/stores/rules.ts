/**
 * The store contract's row predicates, written once in TypeScript. The memory
 * store applies them directly; SQL stores state the same rules in their
 * statements, and the conformance suite checks that they agree.
 */
import { createHash } from 'node:crypto';
import type { Share } from './instances.js';
import type {
  ExecutionRecord,
  FinishRequest,
  JobRecord,
  JobsListParams,
  Retention,
  StatsDelta,
} from './store.js';

/**
 * The shard of a job (0 to `SHARDS - 1`): the first two bytes of the MD5 of
 * its id, big-endian. MD5 because every store can compute it where its data
 * is (Postgres: `('x' || substr(md5(id), 1, 4))::bit(16)::int`); it spreads
 * ids evenly, and nothing depends on it being hard to invert.
 */
export function shardOf(jobId: string): number {
  return createHash('md5').update(jobId).digest().readUInt16BE(0);
}

/** True when work of `jobId` due at `dueAt` falls to the holder of `share` (see {@link Share}). */
export function inShare(jobId: string, dueAt: number, share: Share | undefined): boolean {
  if (share === undefined || dueAt <= share.othersBefore) return true;
  const shard = shardOf(jobId);
  return shard >= share.from && shard < share.to;
}

/**
 * Until when an instance declared dead at `now` may have started attempts: it
 * starts none once it cannot be sure it is still registered — about
 * `deadAfter` (`now - deadBefore`) after its last sign of life — nor after it
 * was declared dead.
 */
export function mayHaveRunBefore(lastSeenAt: number, now: number, deadBefore: number): number {
  return Math.min(now, lastSeenAt + (now - deadBefore));
}

/**
 * What declaring an instance dead does to an execution it leased: a new
 * token (its holder's writes are fenced out). A planned execution whose
 * instant came before `ranBefore` may have been run from memory (an attempt
 * needs no write to start): it is marked started (`running`, the next
 * attempt number, started at its `runAt`); so is one the holder marked
 * itself. Those, and failed ones whose onFailure delivery is pending, have
 * their lease expire (`now - 1`) for a take-over, which records the attempt
 * as abandoned. A planned execution whose instant had not come is released:
 * claimable at once, no attempt counted.
 */
export function voidLease(e: ExecutionRecord, now: number, ranBefore: number): void {
  e.leaseToken += 1;
  if (e.status === 'scheduled' && e.runAt >= ranBefore) {
    e.leaseOwner = null;
    e.leaseUntil = null;
    return;
  }
  if (e.status === 'scheduled') markMayHaveRun(e);
  e.leaseUntil = now - 1;
}

/**
 * True when a take-over of an expired lease finds a planned execution whose
 * instant came while the lease held: its holder may have run it from memory.
 */
export function mayHaveRunUnderLease(e: ExecutionRecord): boolean {
  return e.status === 'scheduled' && e.leaseUntil !== null && e.runAt < e.leaseUntil;
}

/** Marks an execution that may have run unmarked as started at its `runAt` (the next attempt). */
export function markMayHaveRun(e: ExecutionRecord): void {
  e.status = 'running';
  e.attempt += 1;
  e.startedAt = e.runAt;
}

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
 * executions are dropped when their job is paused or its schedule changes
 * (unless held, or added by a backfill: isDroppedByChange).
 */
export function isPlannedFire(e: ExecutionRecord): boolean {
  return e.trigger === 'schedule' && e.status === 'scheduled' && e.attempt === 0;
}

/**
 * True when `other` keeps `execution` from starting under `overlap: 'forbid'`:
 * an earlier execution of the job that is running or waiting for a retry.
 * A backfilled fire also waits for an earlier one that has not started yet:
 * a backfill's fires are all due at once, and so they start in fire order
 * (else a later one claimed first starts beside an earlier one).
 */
export function isUnfinishedForOverlap(
  other: ExecutionRecord,
  execution: ExecutionRecord,
): boolean {
  return (
    other.fireAt < execution.fireAt &&
    (other.status === 'running' ||
      (other.status === 'scheduled' && (other.attempt > 0 || execution.backfill === true)))
  );
}

/**
 * True when a change of its job (paused, or its schedule changed) deletes a
 * planned fire: nobody holds it. A claimed one stays and runs at its instant
 * (its holder runs it from memory, and learns nothing of the change before):
 * a run recorded is better than a run the ledger does not show.
 */
export function isDroppedByChange(e: ExecutionRecord): boolean {
  return isPlannedFire(e) && e.leaseOwner === null && e.backfill !== true;
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
  if (finish.from === 'claimed') return isStartable(e);
  return e.status === 'failed' && e.onFailure === 'pending';
}

/**
 * A job's executions that became prunable are looked at in batches: the
 * pruner visits a job that keeps more than `keepLast` at most this long after
 * the first of them, and one whose executions age out this long after the
 * oldest outlived `maxAge` — so a job firing every second costs one visit per
 * half minute, not one per fire, whichever limit binds.
 */
export const PRUNE_DELAY_MS = 30_000;

/** True when an execution may be pruned: final, and not waiting for its onFailure delivery. */
export function isPrunable(e: Pick<ExecutionRecord, 'status' | 'onFailure'>): boolean {
  return (
    e.status !== 'scheduled' &&
    e.status !== 'running' &&
    !(e.status === 'failed' && e.onFailure === 'pending')
  );
}

/**
 * The job's next `pruneAfter` once it keeps `kept` prunable executions, one of
 * which just became prunable at `finishedAt`: soon when it keeps more than
 * `keepLast`, else once that one has outlived `maxAgeMs` (see
 * {@link agedOutAt}) — never later than the look already planned.
 */
export function pruneAfterAdding(
  current: number | null,
  kept: number,
  finishedAt: number,
  retention: Retention,
): number {
  const due =
    kept > retention.keepLast ? finishedAt + PRUNE_DELAY_MS : agedOutAt(finishedAt, retention);
  return current === null ? due : Math.min(current, due);
}

/**
 * When the pruner looks at an execution finished at `finishedAt` for its age:
 * {@link PRUNE_DELAY_MS} after it outlived `maxAgeMs`. Pruning takes those
 * finished strictly before `now - maxAgeMs`, so a look at exactly
 * `finishedAt + maxAgeMs` would find nothing; and the delay batches the
 * executions aging out after it into the same visit.
 */
export function agedOutAt(finishedAt: number, retention: Retention): number {
  return finishedAt + retention.maxAgeMs + PRUNE_DELAY_MS;
}

/**
 * The job's next `pruneAfter` after a pruning pass at `now`: at once when it
 * hit its batch limit, soon when it still keeps more than `keepLast`, else
 * once its oldest kept execution has outlived `maxAgeMs` ({@link agedOutAt}),
 * or null when it keeps none (with a finish time).
 */
export function pruneAfterPass(
  now: number,
  limitReached: boolean,
  kept: number,
  oldestFinishedAt: number | null,
  retention: Retention,
): number | null {
  if (limitReached) return now;
  if (kept > retention.keepLast) return now + PRUNE_DELAY_MS;
  return oldestFinishedAt === null ? null : agedOutAt(oldestFinishedAt, retention);
}

/** Adds a statistics delta to a job: counts added, last instants raised, staleness ended on `fresh`. */
export function applyStats(job: JobRecord, delta: StatsDelta): void {
  const { stats } = job;
  stats.succeeded += delta.succeeded;
  stats.failed += delta.failed;
  stats.missed += delta.missed;
  stats.skipped += delta.skipped;
  stats.lastFireAt = latest(stats.lastFireAt, delta.lastFireAt);
  stats.lastSuccessAt = latest(stats.lastSuccessAt, delta.lastSuccessAt);
  stats.lastFailureAt = latest(stats.lastFailureAt, delta.lastFailureAt);
  if (delta.fresh) job.staleSince = null;
}

function latest(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}

/** When a job with `staleAfterMs` goes stale, or null when it cannot (or already did, or is paused or completed). */
export function staleAt(job: JobRecord): number | null {
  if (job.staleAfterMs === null || job.staleSince !== null) return null;
  if (job.paused || job.completedAt !== null) return null;
  return (job.stats.lastSuccessAt ?? job.createdAt) + job.staleAfterMs;
}

/**
 * Applies an accepted {@link FinishRequest} to its execution: the new status
 * and due time, the attempts it appends, its result, error and onFailure
 * state, and the lease it keeps or gives back. The caller checked the fence
 * and {@link isFinishable}.
 */
export function applyFinish(e: ExecutionRecord, finish: FinishRequest): void {
  e.status = finish.status;
  if (finish.runAt !== undefined) e.runAt = finish.runAt;
  if (finish.abandoned) e.attempts.push(structuredClone(finish.abandoned));
  if (finish.attempt) {
    e.attempts.push(structuredClone(finish.attempt));
    e.attempt = finish.attempt.attempt;
    e.startedAt = Date.parse(finish.attempt.startedAt);
  }
  if (finish.result !== undefined) e.result = structuredClone(finish.result);
  if (finish.error !== undefined) e.error = { ...finish.error };
  e.onFailure = finish.onFailure;
  e.finishedAt = finish.finishedAt;
  e.leaseOwner = finish.keepLeaseUntil === undefined ? null : e.leaseOwner;
  e.leaseUntil = finish.keepLeaseUntil ?? null;
}
