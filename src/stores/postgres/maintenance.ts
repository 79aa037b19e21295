/**
 * The Postgres store's maintenance part (`StoreMaintenance`): the pruning of
 * finished executions to each job's retention, and the marking of stale
 * jobs. Statements: `executionsPrune`, `pruneLock`, `jobsToPrune` and
 * `jobsStale` in `sql.ts`.
 */
import { PRUNE_DELAY_MS } from '../rules.js';
import type { JobRecord, StoreMaintenance, PruneParams } from '../store.js';
import type { Database } from './connection.js';
import { jobFromRow, type JobRow } from './rows.js';

/** The maintenance part over the store's pool. */
export class PostgresMaintenance implements StoreMaintenance {
  constructor(private readonly db: Database) {}

  async jobsToPrune({ now, limit }: { now: number; limit: number }): Promise<JobRecord[]> {
    const values = { now, limit };
    const { rows } = await this.db.query<JobRow>('read jobs to prune', 'jobsToPrune', values, true);
    return rows.map(jobFromRow);
  }

  /**
   * One pruning pass in a transaction of two statements: the job is locked
   * first (see `sql.ts`), so the pass reads and writes the version it holds.
   */
  async executionsPrune(params: PruneParams): Promise<number> {
    const { jobId, retention, now, limit } = params;
    if (limit <= 0) return 0;
    const values = {
      job_id: jobId,
      keep_last: retention.keepLast,
      max_age: retention.maxAgeMs,
      cutoff: now - retention.maxAgeMs,
      now,
      limit,
      expected_prune_after: params.expectedPruneAfter,
      prune_delay_ms: PRUNE_DELAY_MS,
    };
    let deleted = 0;
    await this.db.batch('prune executions', true, async (run) => {
      await run('pruneLock', { job_id: jobId });
      const { rows } = await run<{ deleted: number }>('executionsPrune', values);
      deleted = rows[0]?.deleted ?? 0;
    });
    return deleted;
  }

  async jobsStale({ now, limit }: { now: number; limit: number }): Promise<JobRecord[]> {
    const { rows } = await this.db.query<JobRow>('mark stale jobs', 'jobsStale', { now, limit });
    return rows.map(jobFromRow);
  }
}
