import type { MisfirePolicy } from '../model/policies.js';
import type { Reason } from '../model/reason.js';

/** The fire instants of one schedule (see `src/schedules/fire-times.ts`). */
export interface FireSource {
  nextAfter(afterMs: number): number | null;
  previous(atOrBeforeMs: number, count: number, notBeforeMs: number): number[];
}

/** What one planning pass does with a job's due fires. */
export interface FirePlan {
  /** Fires to execute, oldest first. */
  run: number[];
  /** Fires recorded as `missed`, oldest first. */
  missed: number[];
  /** True when older missed fires exist that are not recorded one by one (see {@link MAX_MISSED_RECORDED}). */
  missedTruncated: boolean;
  /** The first fire left for a later pass, or null when the schedule has none. */
  nextFireAt: number | null;
}

/**
 * Most missed fires recorded one by one per planning pass. A per-second job
 * that was down for a day missed 86,400 fires; the ledger keeps the newest
 * 1,000 as rows and the pass says how the rest were summarised (an event and a
 * warning), so a long outage costs one bounded pass, never an unbounded one.
 */
export const MAX_MISSED_RECORDED = 1_000;

/** Most fires of one job planned ahead per pass (a job every millisecond must not stall the others). */
export const MAX_FIRES_PER_PASS = 1_000;

/** The misfire settings of a job. */
export interface MisfireSettings {
  misfire: MisfirePolicy;
  misfireGraceMs: number;
  maxCatchUp: number;
}

/**
 * Plans a job's fires from `start` (its first unplanned fire) up to
 * `horizonEnd`. A fire more than `misfireGraceMs` before `now` is late; the
 * policy decides which late fires run:
 * - `fire_once`: the newest late fire, unless a fire within the grace is also
 *   due (that one is the job's run now);
 * - `catch_up`: the newest `maxCatchUp` late fires, oldest first;
 * - `skip`: none.
 * Late fires that do not run are missed.
 */
export function planFires(
  fires: FireSource,
  start: number,
  now: number,
  horizonEnd: number,
  settings: MisfireSettings,
): FirePlan {
  const lateBefore = now - settings.misfireGraceMs;
  const plan: FirePlan = { run: [], missed: [], missedTruncated: false, nextFireAt: null };
  let cursor = start;
  if (start < lateBefore) {
    const firstOnTime = fires.nextAfter(lateBefore - 1);
    const onTimeDue = firstOnTime !== null && firstOnTime <= now;
    const runLate =
      settings.misfire === 'skip'
        ? 0
        : settings.misfire === 'fire_once'
          ? onTimeDue
            ? 0
            : 1
          : settings.maxCatchUp;
    const late = fires.previous(lateBefore - 1, runLate + MAX_MISSED_RECORDED, start); // newest first
    const oldest = late.at(-1);
    plan.missedTruncated = oldest !== undefined && fires.previous(oldest - 1, 1, start).length > 0;
    plan.run = late.slice(0, runLate).reverse();
    plan.missed = late.slice(runLate).reverse();
    if (firstOnTime === null) return plan;
    cursor = firstOnTime;
  }
  let fire: number | null = cursor;
  while (fire !== null && fire <= horizonEnd && plan.run.length < MAX_FIRES_PER_PASS) {
    plan.run.push(fire);
    fire = fires.nextAfter(fire);
  }
  plan.nextFireAt = fire;
  return plan;
}

/**
 * Whether a late fire at `fireAt`, about to start at `now`, is one its policy
 * runs (the rule of {@link planFires}, applied at the start of a fire planned
 * on time and started late): under `skip` none; under `fire_once` only when
 * no later fire is due by `now`; under `catch_up` when fewer than
 * `maxCatchUp` later fires are late too.
 */
export function runsLate(
  fires: Pick<FireSource, 'nextAfter'>,
  fireAt: number,
  now: number,
  settings: MisfireSettings,
): boolean {
  if (settings.misfire === 'skip') return false;
  const fireOnce = settings.misfire === 'fire_once';
  const counts = (at: number) => (fireOnce ? at <= now : at < now - settings.misfireGraceMs);
  const limit = fireOnce ? 1 : settings.maxCatchUp;
  let later = 0;
  for (let at = fires.nextAfter(fireAt); at !== null && counts(at) && later < limit;) {
    later++;
    at = fires.nextAfter(at);
  }
  return later < limit;
}

/**
 * Why a late fire is not run, by the policy that decided it: `catch_up`
 * leaves out the fires beyond its `maxCatchUp` newest, `skip` and
 * `fire_once` every late fire but (under `fire_once`) the job's one run.
 */
export function lateReason(settings: MisfireSettings, lateByMs: number): Reason {
  const late = lateText(settings, lateByMs);
  if (settings.misfire === 'catch_up')
    return {
      code: 'catch_up_limit',
      message: `${late}; older than the newest ${settings.maxCatchUp} late fires (maxCatchUp) that catch_up runs`,
    };
  const rule =
    settings.misfire === 'skip'
      ? 'misfire skip runs no late fire'
      : 'misfire fire_once runs one fire of a backlog, the newest';
  return { code: 'downtime', message: `${late}; ${rule}` };
}

/** How late a fire is, against its grace, in words. */
export function lateText(
  settings: Pick<MisfireSettings, 'misfireGraceMs'>,
  lateByMs: number,
): string {
  const s = (ms: number) => (ms < 1_000 ? `${ms} ms` : `${(ms / 1_000).toFixed(1)} s`);
  return `${s(lateByMs)} late, past its misfire grace of ${s(settings.misfireGraceMs)}`;
}
