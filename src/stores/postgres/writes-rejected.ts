import { ChimeError } from '../../errors.js';

/**
 * Thrown inside `PostgresStore.jobsWrite`'s transaction to roll it back;
 * never escapes it. A ChimeError, because the transaction runner takes any
 * other error for a connection fault and discards the connection.
 */
export class WritesRejected extends ChimeError {
  constructor() {
    super('CHIME_ERR_JOB_CONFLICT', 'job writes could not be applied; none was');
  }
}
