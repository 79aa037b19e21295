/**
 * A job's `maxFires`: the fires of a plan beyond what its job has left are
 * cut, oldest kept, and the plan that makes the last one ends the schedule
 * (the job is then completed, like a one-shot). Missed fires count as fires.
 */
import type { FirePlan } from './misfire.js';

/**
 * `plan` with at most `left` fires (run and missed together, oldest first);
 * when those are the job's last, `nextFireAt` is null. `left` undefined: no
 * limit, the plan as it is.
 */
export function limitFires(plan: FirePlan, left: number | undefined): FirePlan {
  if (left === undefined) return plan;
  const all = [...plan.missed, ...plan.run].sort((a, b) => a - b);
  if (all.length < left) return plan;
  const last = all[Math.max(0, left) - 1];
  const kept = (fire: number) => last !== undefined && fire <= last;
  return {
    run: plan.run.filter(kept),
    missed: plan.missed.filter(kept),
    missedTruncated: plan.missedTruncated,
    nextFireAt: null,
  };
}

/** The fires a job has left under its `maxFires` (undefined: no limit). */
export function firesLeft(maxFires: number | undefined, fireCount: number): number | undefined {
  return maxFires === undefined ? undefined : Math.max(0, maxFires - fireCount);
}
