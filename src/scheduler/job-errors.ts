import { ChimeError } from '../errors.js';

/** No job has this id (`path` `/id`). */
export function notFound(id: string): ChimeError {
  return new ChimeError('CHIME_ERR_JOB_NOT_FOUND', `no job has id "${id}"`, { path: '/id' });
}

/** A job's compare-and-set lost every round; `prefix`: the item's path in a batch. */
export function conflict(id: string, prefix = ''): ChimeError {
  return new ChimeError(
    'CHIME_ERR_JOB_CONFLICT',
    `job "${id}" kept changing under concurrent updates; try again`,
    { path: `${prefix}/id` },
  );
}

/** The id of a job to create is taken; `prefix`: the item's path in a batch. */
export function jobExists(id: string, prefix: string): ChimeError {
  return new ChimeError('CHIME_ERR_JOB_EXISTS', `a job with id "${id}" already exists`, {
    path: `${prefix}/id`,
  });
}
