import type { Job } from '../api/types';

/** The state fields of a job: what the service keeps, not what a definition says. */
const STATE_FIELDS = [
  'nextFireAt',
  'version',
  'createdAt',
  'updatedAt',
  'completedAt',
  'fireCount',
  'lastOutcome',
  'stats',
  'staleSince',
];

/** The definition part of a job (what `PUT` takes back): its state fields left out. */
export function definitionOf(job: Job): Record<string, unknown> {
  return Object.fromEntries(Object.entries(job).filter(([field]) => !STATE_FIELDS.includes(field)));
}
