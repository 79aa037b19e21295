/**
 * How a definition becomes a stored job, and how a change applies to one:
 * whether a stored job already has it (what makes `ensureJob` idempotent),
 * interval anchors that survive restarts, and `nextFireAt` after creation,
 * schedule changes, pause and resume.
 */
import stringify from 'safe-stable-stringify';
import { compileJobSchedule } from '../engine/job-schedule.js';
import type { CustomSchedules } from '../schedules/custom.js';
import type { JobDefinition } from '../model/job.js';
import { NO_STATS, type JobRecord, type StoredDefinition } from '../stores/store.js';
import { parseDuration } from '../model/duration.js';
import { sameJson } from './job-diff.js';

/** The definition as stored but for its anchor: defaults applied, `id` and `paused` left out (not a copy). */
function definitionOf(job: JobDefinition): StoredDefinition {
  const { id: _id, paused: _paused, ...rest } = job;
  return { ...rest, target: rest.target ?? { type: 'handler' }, metadata: rest.metadata ?? {} };
}

/**
 * True when a stored definition is the job's: the same as JSON (`sameJson`,
 * as the drift report compares), the interval anchor left out. `ensureJob`
 * of the job then changes nothing.
 */
export function isDefinitionOf(stored: StoredDefinition, job: JobDefinition): boolean {
  const { anchorAt: _anchor, ...definition } = stored;
  return sameJson(definition, definitionOf(job));
}

/** True when two schedules are the same (canonically). */
export function sameSchedule(a: JobDefinition['schedule'], b: JobDefinition['schedule']): boolean {
  return stringify(a) === stringify(b);
}

/**
 * The stored definition: defaults made explicit where they are state, and an
 * interval without `startAt` anchored when its schedule was set (kept across
 * updates that leave the schedule alone).
 */
export function storedDefinition(
  job: JobDefinition,
  now: number,
  previous?: StoredDefinition,
): StoredDefinition {
  const definition = structuredClone(definitionOf(job));
  if (job.schedule.kind === 'interval' && job.schedule.startAt === undefined) {
    const keep = previous?.anchorAt !== undefined && sameSchedule(previous.schedule, job.schedule);
    definition.anchorAt = keep ? previous.anchorAt : new Date(now).toISOString();
  }
  return definition;
}

/** The first fire at or after `from`; a one-shot's instant even when just past (the planner judges lateness). */
export function firstFireAt(
  definition: StoredDefinition,
  from: number,
  customs?: CustomSchedules,
): number | null {
  if (definition.schedule.kind === 'once') return Date.parse(definition.schedule.at);
  return compileJobSchedule({ definition }, customs).nextAfter(from - 1);
}

/** A new job record. */
export function newJobRecord(
  id: string,
  job: JobDefinition,
  now: number,
  customs?: CustomSchedules,
): JobRecord {
  const definition = storedDefinition(job, now);
  const paused = job.paused ?? false;
  const next = paused ? null : firstFireAt(definition, now, customs);
  return {
    id,
    definition,
    paused,
    nextFireAt: next,
    version: 1,
    createdAt: now,
    updatedAt: now,
    completedAt: next === null && !paused ? now : null,
    fireCount: 0,
    lastOutcome: null,
    staleAfterMs: staleAfterOf(definition),
    stats: { ...NO_STATS },
    staleSince: null,
    pruneAfter: null,
  };
}

/** The definition's `staleAfter` in ms, or null. */
function staleAfterOf(definition: StoredDefinition): number | null {
  return definition.staleAfter === undefined
    ? null
    : parseDuration(definition.staleAfter, '/staleAfter');
}

/** A job record with a new definition applied; `scheduleChanged` says whether planned fires must go. */
export function updatedJobRecord(
  existing: JobRecord,
  job: JobDefinition,
  now: number,
  customs?: CustomSchedules,
): { record: JobRecord; scheduleChanged: boolean } {
  const scheduleChanged = !sameSchedule(existing.definition.schedule, job.schedule);
  const definition = storedDefinition(job, now, existing.definition);
  const paused = job.paused ?? existing.paused;
  const record = withPaused(
    { ...existing, definition, staleAfterMs: staleAfterOf(definition) },
    paused,
    now,
    scheduleChanged,
    customs,
  );
  return { record, scheduleChanged };
}

/**
 * A job record paused or resumed (and its version bumped). Resuming — or a new
 * schedule — plans from now: fires that fell while paused are not missed, they
 * were paused. A completed job stays completed when resumed.
 */
export function withPaused(
  existing: JobRecord,
  paused: boolean,
  now: number,
  replan = false,
  customs?: CustomSchedules,
): JobRecord {
  const resumed = existing.paused && !paused;
  let nextFireAt = existing.nextFireAt;
  let completedAt = existing.completedAt;
  if (paused) nextFireAt = null;
  else if (replan || (resumed && existing.completedAt === null)) {
    nextFireAt = firstFireAt(existing.definition, now, customs);
    // A one-shot whose instant passed while it was paused was paused, not missed: it is done.
    if (resumed && !replan && nextFireAt !== null && nextFireAt < now) nextFireAt = null;
    completedAt = nextFireAt === null ? now : null;
  }
  return {
    ...existing,
    paused,
    nextFireAt,
    completedAt,
    version: existing.version + 1,
    updatedAt: now,
  };
}
