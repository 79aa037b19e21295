/**
 * The record a pause leaves: when a job resumes, the fires its schedule had
 * while it was paused are written to the ledger as `skipped`, reason
 * `paused` — so "why did it not run on Tuesday?" has an answer — within the
 * job's history bound: fires older than its retention's `maxAge` are not
 * recorded (the pruner would delete them at once), nor more than its
 * `keepLast` newest ones (at most {@link MAX_PAUSED_RECORDED}).
 */
import { v7 as uuidv7 } from 'uuid';
import { compileJobSchedule } from '../engine/job-schedule.js';
import { resolvePolicies, retentionOf, type ResolvedPolicies } from '../engine/policies.js';
import { reasonAsError } from '../model/reason.js';
import type { ExecutionRecord, JobRecord, Store } from '../stores/store.js';

/** Most fires of one pause recorded (a per-second job paused for a day had 86,400). */
export const MAX_PAUSED_RECORDED = 1_000;
/** Tries of the record's compare-and-set against a planner advancing the job meanwhile. */
const ROUNDS = 5;

/**
 * Writes the fires of the pause that ended at `now` (the job was paused
 * since its last change, `paused.updatedAt`) as skipped executions. A fire the
 * ledger already has (claimed before the pause, run after it) is left as it
 * is. Nothing is written for a job with no next fire (a one-shot completed by
 * its resume: the record needs the job's next fire for its compare-and-set).
 */
export async function recordPause(
  store: Store,
  paused: JobRecord,
  now: number,
  defaults: Readonly<ResolvedPolicies>,
): Promise<void> {
  const policies = resolvePolicies(paused.definition, defaults);
  const executions = pausedFires(paused, now, policies);
  if (executions.length === 0) return;
  for (let round = 0; round < ROUNDS; round++) {
    const job = await store.jobGet({ id: paused.id });
    if (!job || job.paused || job.nextFireAt === null) return;
    const { applied } = await store.jobsAdvance({
      plans: [
        {
          jobId: job.id,
          expectedVersion: job.version,
          expectedNextFireAt: job.nextFireAt,
          nextFireAt: job.nextFireAt,
          completedAt: null,
          lastOutcome: null,
          executions,
          retention: retentionOf(policies),
        },
      ],
    });
    if (applied.length > 0) return;
  }
}

/** The skipped executions of the fires from `paused.updatedAt` to `now`, oldest first, within the bound. */
function pausedFires(
  paused: JobRecord,
  now: number,
  policies: ResolvedPolicies,
): ExecutionRecord[] {
  const from = Math.max(paused.updatedAt, now - policies.maxAgeMs);
  const count = Math.min(policies.keepLast, MAX_PAUSED_RECORDED);
  if (count === 0 || from >= now) return [];
  const since = new Date(paused.updatedAt).toISOString();
  const error = reasonAsError({ code: 'paused', message: `its job was paused (since ${since})` });
  return compileJobSchedule(paused)
    .previous(now - 1, count, from)
    .reverse()
    .map((fireAt) => ({
      id: uuidv7(),
      jobId: paused.id,
      fireAt,
      runAt: fireAt,
      trigger: 'schedule',
      status: 'skipped',
      attempt: 0,
      leaseOwner: null,
      leaseUntil: null,
      leaseToken: 0,
      attempts: [],
      error,
      onFailure: null,
      createdAt: now,
      startedAt: null,
      finishedAt: now,
    }));
}
