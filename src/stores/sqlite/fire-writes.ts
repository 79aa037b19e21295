/**
 * The SQLite store's writes of the fire path, each run inside the caller's
 * `BEGIN IMMEDIATE` transaction: plans (compare-and-set, fires inserted),
 * fenced starts and ends, take-overs, and what an end writes to its job
 * (`jobTally`: the engine's statistics delta, the last outcome, the pruner's
 * next look).
 */
import { instantMs } from '../../model/instant.js';
import type { LastOutcome } from '../../model/job.js';
import { attemptText } from '../attempt-text.js';
import { PRUNE_DELAY_MS, isPrunable } from '../rules.js';
import type {
  Claim,
  ExecutionRecord,
  FinishRequest,
  JobPlan,
  JobRecord,
  Retention,
  RunningMark,
  StartRequest,
  StartResult,
} from '../store.js';
import { executionFromRow, executionParams, jobFromRow, jsonOrNull, type Params } from './rows.js';
import type { Statements } from './statements.js';

/** The compare-and-set of one plan; true when the job was still as the planner saw it. */
export function advanceJob(s: Statements, plan: JobPlan): boolean {
  const result = s.jobAdvance.run({
    id: plan.jobId,
    expected_version: plan.expectedVersion,
    expected_next_fire_at: plan.expectedNextFireAt,
    next_fire_at: plan.nextFireAt,
    completed_at: plan.completedAt,
    fires: plan.fires ?? 0,
    last_outcome: plan.lastOutcome === null ? null : JSON.stringify(plan.lastOutcome),
  });
  return result.changes === 1;
}

/**
 * Inserts a plan's fires (a fire that exists is skipped); returns the leased
 * ones as claims, whose executions are the plan's records as inserted (the
 * planner hands them over; reading each row back cost as much as its insert).
 * Missed and skipped fires count in the job's statistics, and those that are prunable
 * (all of them) plan the pruner's look, one after the other.
 */
export function insertFires(s: Statements, plan: JobPlan): Claim[] {
  const inserted: ExecutionRecord[] = [];
  for (const execution of plan.executions) {
    if (!insertExecution(s, execution)) continue;
    if (isPrunable(execution)) {
      s.jobTally.run(
        Object.assign(
          tally(plan.jobId, execution.finishedAt ?? execution.createdAt, plan.retention),
          {
            missed: execution.status === 'missed' ? 1 : 0,
            skipped: execution.status === 'skipped' ? 1 : 0,
            prunable: 1,
          },
        ),
      );
    }
    if (execution.leaseOwner !== null) inserted.push(execution);
  }
  return withJobs(s, inserted);
}

/** Inserts one execution, counted among its job's kept ones when prunable; true when inserted. */
export function insertExecution(s: Statements, execution: ExecutionRecord): boolean {
  if (s.executionInsert.get(executionParams(execution)) === undefined) return false;
  if (isPrunable(execution)) s.jobKeep.run({ id: execution.jobId });
  return true;
}

/** Marks long-running attempts running (fenced); returns the ids marked. */
export function markRunning(s: Statements, marks: RunningMark[]): string[] {
  return marks
    .filter(
      (m) =>
        s.markRunning.run({
          id: m.id,
          lease_token: m.leaseToken,
          attempt: m.attempt,
          started_at: m.startedAt,
        }).changes === 1,
    )
    .map((m) => m.id);
}

/** Takes over the expired leases of up to `limit` executions; each claim names its previous holder. */
export function takeOver(
  s: Statements,
  params: { owner: string; now: number; leaseMs: number; limit: number },
): Claim[] {
  const { owner, now, leaseMs, limit } = params;
  const taken: ExecutionRecord[] = [];
  const from: string[] = [];
  for (const row of s.executionsExpired.all({ now, limit })) {
    const leaseUntil = Math.max(row.run_at, now) + leaseMs;
    const updated = s.executionTakeOver.get({ id: row.id, owner, lease_until: leaseUntil });
    if (!updated) continue;
    taken.push(executionFromRow(updated));
    from.push(row.lease_owner ?? '');
  }
  return withJobs(s, taken).map((claim, i) => Object.assign(claim, { takenFrom: from[i] }));
}

/**
 * One fenced start: rejected unless the lease is held with this token and
 * there is an attempt to start. Under `unlessOverlapping` the job's earlier
 * executions are looked at first, in the same transaction.
 */
export function startOne(s: Statements, start: StartRequest): StartResult {
  if (start.unlessOverlapping) {
    const row = s.executionGet.get({ id: start.id });
    if (!row || row.lease_token !== start.leaseToken || row.lease_owner === null) return 'rejected';
    const startable = row.status === 'scheduled' || row.status === 'running';
    if (!startable || row.attempt !== start.attempt - 1) return 'rejected';
    const { job_id, fire_at } = row;
    if (s.unfinishedBefore.get({ job_id, fire_at, backfill: row.backfill ? 1 : 0 }))
      return 'overlapping';
  }
  const started = s.startRunning.run({
    id: start.id,
    lease_token: start.leaseToken,
    attempt: start.attempt,
    started_at: start.startedAt,
    abandoned: attemptText(start.abandoned),
  });
  return started.changes === 1 ? 'started' : 'rejected';
}

/**
 * One fenced end; when accepted, what it writes to its job joins the batch's
 * tallies: the last outcome, its statistics delta, and the pruner's next look
 * when the execution became prunable.
 */
export function finishOne(s: Statements, finish: FinishRequest, tallies: TallyBatch): boolean {
  const at = finishRow(s, finish);
  if (at === undefined) return false;
  // A finish starts from a state that is not prunable (isFinishable): prunable now means it became so.
  const prunable = isPrunable(finish);
  if (!finish.stats && !prunable && !finish.lastOutcome) return true;
  tallies.add(finish.jobId, at, finish, prunable);
  return true;
}

/**
 * Runs an end's fenced UPDATE; returns the instant its job's tally takes (its
 * finish, else its fire), or undefined when the end was refused. The common
 * end (an attempt that ran from a claim and ended, the lease released) has a
 * leaner statement of its own, which returns nothing.
 */
function finishRow(s: Statements, finish: FinishRequest): number | undefined {
  const { attempt, finishedAt } = finish;
  const result = jsonOrNull(finish.result);
  const error = jsonOrNull(finish.error);
  if (
    finish.from === 'claimed' &&
    attempt !== undefined &&
    finishedAt !== null &&
    finish.runAt === undefined &&
    finish.abandoned === undefined &&
    finish.keepLeaseUntil === undefined
  ) {
    const { changes } = s.finishAttempt.run([
      finish.status,
      attemptText(attempt),
      attempt.attempt,
      instantMs(attempt.startedAt),
      result,
      error,
      finish.onFailure,
      finishedAt,
      finish.id,
      finish.jobId,
      finish.leaseToken,
    ]);
    return changes === 1 ? finishedAt : undefined;
  }
  const fireAt = s.finish.get({
    id: finish.id,
    job_id: finish.jobId,
    from: finish.from,
    lease_token: finish.leaseToken,
    status: finish.status,
    run_at: finish.runAt ?? null,
    attempt: attemptText(attempt),
    abandoned: attemptText(finish.abandoned),
    attempt_no: attempt?.attempt ?? null,
    attempt_started_at: attempt ? instantMs(attempt.startedAt) : null,
    result,
    error,
    on_failure: finish.onFailure,
    finished_at: finishedAt,
    keep_lease_until: finish.keepLeaseUntil ?? null,
  });
  return fireAt === undefined ? undefined : (finishedAt ?? fireAt);
}

/** The parameters of `jobTally` that change nothing, for a job and the instant `at`. */
function tally(jobId: string, at: number, retention: Retention): Params {
  return {
    id: jobId,
    at,
    prune_at: at,
    keep_last: retention.keepLast,
    max_age_ms: retention.maxAgeMs,
    prune_delay_ms: PRUNE_DELAY_MS,
    last_outcome: null,
    succeeded: 0,
    failed: 0,
    missed: 0,
    skipped: 0,
    last_fire_at: null,
    last_success_at: null,
    last_failure_at: null,
    fresh: 0,
    kept: 0,
    prunable: 0,
  };
}

/** One job's merged tally: its `jobTally` parameters, and its last outcome (stringified when written). */
interface Merged {
  params: Params;
  lastOutcome: LastOutcome | null;
}

/**
 * The job tallies of one batch of ends, merged per job and kind of outcome
 * (a success, a failure, neither), so a batch of many ends of one job
 * updates its row once per kind instead of once per end; each end adds to
 * its tally in place, and only the last outcomes kept are stringified.
 */
export class TallyBatch {
  private readonly byKey = new Map<string, Merged>();

  /** Adds an accepted end of job `jobId` at `at`; `prunable` when it made its execution prunable. */
  add(jobId: string, at: number, finish: FinishRequest, prunable: boolean): void {
    const { stats, lastOutcome } = finish;
    const key = `${jobId}\u0000${stats?.succeeded ?? 0}${stats?.failed ?? 0}`;
    let merged = this.byKey.get(key);
    if (!merged) {
      merged = { params: tally(jobId, at, finish.retention), lastOutcome: null };
      this.byKey.set(key, merged);
    }
    const p = merged.params;
    const later = at >= Number(p['at']);
    if (stats) {
      p['succeeded'] = Number(p['succeeded']) + stats.succeeded;
      p['failed'] = Number(p['failed']) + stats.failed;
      p['missed'] = Number(p['missed']) + stats.missed;
      p['skipped'] = Number(p['skipped']) + stats.skipped;
      p['last_fire_at'] = latest(p['last_fire_at'], stats.lastFireAt);
      p['last_success_at'] = latest(p['last_success_at'], stats.lastSuccessAt);
      p['last_failure_at'] = latest(p['last_failure_at'], stats.lastFailureAt);
      if (stats.fresh) p['fresh'] = 1;
    }
    if (prunable) {
      p['kept'] = Number(p['kept']) + 1;
      p['prunable'] = 1;
    }
    p['prune_at'] = Math.min(Number(p['prune_at']), at);
    if (later) {
      p['at'] = at;
      if (lastOutcome) merged.lastOutcome = lastOutcome;
    } else if (merged.lastOutcome === null) {
      merged.lastOutcome = lastOutcome;
    }
  }

  /** Writes the merged tallies, oldest first, so the newest outcome is the job's last. */
  apply(s: Statements): void {
    const all = [...this.byKey.values()].sort(
      (a, b) => Number(a.params['at']) - Number(b.params['at']),
    );
    for (const { params, lastOutcome } of all) {
      params['last_outcome'] = lastOutcome ? JSON.stringify(lastOutcome) : null;
      s.jobTally.run(params);
    }
  }
}

function latest(a: Params[string] | undefined, b: number | null): number | null {
  if (a === null || a === undefined) return b;
  if (b === null) return a as number;
  return Math.max(Number(a), b);
}

/**
 * Pairs executions with their jobs, reading and parsing each job once: the
 * claims of one job share its record (claims are read, never changed).
 */
export function withJobs(s: Statements, executions: ExecutionRecord[]): Claim[] {
  const jobs = new Map<string, JobRecord>();
  return executions.map((execution) => {
    const { jobId } = execution;
    let job = jobs.get(jobId);
    if (!job) {
      job = jobFromRow(mustGet(s.jobGet.get({ id: jobId }), 'job', jobId));
      jobs.set(jobId, job);
    }
    return { execution, job };
  });
}

/** The row, or a programming error: it was read inside the same transaction. */
export function mustGet<T>(row: T | undefined, what: string, id: string): T {
  if (row === undefined) {
    throw new Error(`SQLite store: ${what} ${id} vanished inside a transaction`);
  }
  return row;
}
