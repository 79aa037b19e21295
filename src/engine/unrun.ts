import { reasonOf, type Reason } from '../model/reason.js';
import { isPlannedFire } from '../stores/rules.js';
import { compileJobSchedule } from './job-schedule.js';
import type { CustomSchedules } from '../schedules/custom.js';
import { lateReason, lateText, runsLate } from './misfire.js';
import {
  decideAbandoned,
  decideUnrun,
  failuresOf,
  type AttemptFacts,
  type Decision,
} from './outcome.js';

/**
 * The end of a claimed fire that must not run, decided at its start; undefined
 * when it runs:
 * - no attempt left (its attempts kept failing or vanishing);
 * - its job is paused (claimed before the pause and handed back since; see
 *   rules.ts isDroppedByChange);
 * - it starts past its misfire grace (claimed before an outage, started after
 *   it) and its job's policy does not run it now: under `skip` no late fire
 *   runs, under `fire_once` only the newest fire due by now, under `catch_up`
 *   the newest `maxCatchUp` late ones. This holds also for a fire whose only
 *   attempt was abandoned near its instant (it may never have run), not for
 *   one that waited for an earlier fire under `buffer_one`, and never for a
 *   backfilled fire (late by design).
 */
export function notToRun(facts: AttemptFacts, customs?: CustomSchedules): Decision | undefined {
  const { claim, policies, now, abandoned } = facts;
  const { execution } = claim;
  if (failuresOf(execution.attempts) + (abandoned ? 1 : 0) >= policies.maxAttempts)
    return decideAbandoned(facts);
  if (isPlannedFire(execution) && claim.job.paused)
    return decideUnrun(facts, 'skipped', { code: 'paused', message: 'its job was paused' });
  const startsAt = Math.max(now, execution.runAt);
  // A backfilled fire was asked for late: the misfire rule is not its.
  if (execution.backfill || execution.fireAt >= startsAt - policies.misfireGraceMs)
    return undefined;
  // A fire that waited for an earlier one under `buffer_one` is late by design.
  if (reasonOf(execution.error)?.code === 'buffered') return undefined;
  const firstRun =
    isPlannedFire(execution) ||
    (execution.trigger === 'schedule' &&
      abandoned !== undefined &&
      execution.attempts.length === 0);
  if (!firstRun) return undefined;
  const fires = compileJobSchedule(claim.job, customs);
  const runs = runsLate(fires, execution.fireAt, startsAt, policies);
  return runs
    ? undefined
    : decideUnrun(facts, 'missed', lateReason(policies, startsAt - execution.fireAt));
}

/**
 * The end of a fire that overlaps an unfinished earlier execution of its job:
 * skipped with `reason` — or, when its start came past its misfire grace, a
 * fire its job was busy for during a downtime: missed, as the other fires of
 * that downtime are.
 */
export function overlapping(facts: AttemptFacts, reason: Reason): Decision {
  const { claim, policies, now } = facts;
  const lateBy = now - claim.execution.fireAt;
  if (lateBy <= policies.misfireGraceMs) return decideUnrun(facts, 'skipped', reason);
  const message = `${lateText(policies, lateBy)}; its job was busy until then (${reason.message})`;
  return decideUnrun(facts, 'missed', { code: 'downtime', message });
}
