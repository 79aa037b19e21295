/**
 * The scheduler's refusals of a call that its input alone does not explain:
 * a job missing, taken, or changing under it.
 */
import { ChimeError } from '../errors.js';

/** No job has this id. */
export function notFound(id: string): ChimeError {
  return new ChimeError('CHIME_ERR_JOB_NOT_FOUND', `no job has id "${id}"`, { path: '/id' });
}

/** A job kept changing under concurrent updates. */
export function conflict(id: string, prefix = ''): ChimeError {
  return new ChimeError(
    'CHIME_ERR_JOB_CONFLICT',
    `job "${id}" kept changing under concurrent updates; try again`,
    { path: `${prefix}/id` },
  );
}

/** A job with this id exists. */
export function jobExists(id: string, prefix: string): ChimeError {
  return new ChimeError('CHIME_ERR_JOB_EXISTS', `a job with id "${id}" already exists`, {
    path: `${prefix}/id`,
  });
}
