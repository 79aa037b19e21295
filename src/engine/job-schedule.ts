import { compileSchedule, type FireTimes } from '../schedules/fire-times.js';
import type { JobRecord } from '../stores/store.js';
import type { CustomSchedules } from '../schedules/custom.js';

/**
 * The fire times of a stored job: its schedule, with an interval's anchor
 * taken from `startAt` or, when absent, from the anchor stored at creation,
 * and a custom schedule's function from `customs`.
 */
export function compileJobSchedule(
  job: Pick<JobRecord, 'definition'>,
  customs?: CustomSchedules,
): FireTimes {
  const { schedule, anchorAt } = job.definition;
  const anchor =
    schedule.kind === 'interval' && !schedule.startAt && anchorAt
      ? Date.parse(anchorAt)
      : undefined;
  return compileSchedule(schedule, anchor, customs);
}
