import { isPlannedFire } from '../stores/rules.js';
import { compileJobSchedule } from './job-schedule.js';
import type { CustomSchedules } from '../schedules/custom.js';
import { runsLate } from './misfire.js';
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
 *   attempt was abandoned near its instant (it may never have run), and never
 *   for a backfilled fire (late by design).
 */
export function notToRun(facts: AttemptFacts, customs?: CustomSchedules): Decision | undefined {
  const { claim, policies, now, abandoned } = facts;
  const { execution } = claim;
  if (failuresOf(execution.attempts) + (abandoned ? 1 : 0) >= policies.maxAttempts)
    return decideAbandoned(facts);
  if (isPlannedFire(execution) && claim.job.paused) return decideUnrun(facts, 'skipped');
  const startsAt = Math.max(now, execution.runAt);
  // A backfilled fire was asked for late: the misfire rule is not its.
  if (execution.backfill || execution.fireAt >= startsAt - policies.misfireGraceMs)
    return undefined;
  const firstRun =
    isPlannedFire(execution) ||
    (execution.trigger === 'schedule' &&
      abandoned !== undefined &&
      execution.attempts.length === 0);
  if (!firstRun) return undefined;
  const fires = compileJobSchedule(claim.job, customs);
  const runs = runsLate(fires, execution.fireAt, startsAt, policies);
  return runs ? undefined : decideUnrun(facts, 'missed');
}
