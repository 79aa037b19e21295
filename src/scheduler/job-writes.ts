/**
 * What a definition asks of the store, given the job as stored: a create, an
 * update, or nothing. `ensureJobs`, `submitJobs` and `apply` decide it alike.
 */
import type { JobDefinition } from '../model/job.js';
import type { CustomSchedules } from '../schedules/custom.js';
import type { TargetBase } from '../model/target.js';
import type { JobRecord, JobWrite } from '../stores/store.js';
import { isDefinitionOf, newJobRecord, updatedJobRecord } from './job-records.js';
import type { JobValidator } from './validate-job.js';

/** A job of a batch, in its rounds. */
export interface PutItem<T extends TargetBase = TargetBase> {
  /** Its index in the batch. */
  index: number;
  job: JobDefinition<T>;
  /** Its id, or the one generated for it. */
  id: string;
  /** Its misfire grace: how far in the past a one-shot instant may lie. */
  graceMs: number;
  /** The prefix of its error paths: `/<index>`, or '' for a single job. */
  path: string;
}

/**
 * The write that brings the job to the item's definition at `now`, or null
 * when it already has it (the same definition as JSON, and the same `paused`
 * when the definition names one). A new or rescheduled one-shot whose instant is past
 * its grace is refused (`CHIME_ERR_SCHEDULE_IN_PAST` at the item's path).
 */
export function writeFor(
  item: PutItem,
  current: JobRecord | undefined,
  now: number,
  validator: JobValidator,
  customs: CustomSchedules,
): JobWrite | null {
  const { job, id, graceMs, path } = item;
  if (!current) {
    validator.assertNotInPast(job, now, graceMs, path);
    return { job: newJobRecord(id, job, now, customs), expectedVersion: null, dropPlanned: false };
  }
  const unchanged =
    isDefinitionOf(current.definition, job) &&
    (job.paused === undefined || job.paused === current.paused);
  if (unchanged) return null;
  const { record, scheduleChanged } = updatedJobRecord(current, job, now, customs);
  if (scheduleChanged) validator.assertNotInPast(job, now, graceMs, path);
  const dropPlanned = scheduleChanged || (record.paused && !current.paused);
  return { job: record, expectedVersion: current.version, dropPlanned };
}
