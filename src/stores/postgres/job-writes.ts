/**
 * The Postgres store's `jobsWrite`: the inserts in one statement, then one
 * `jobUpdate` per update (their NOTIFY included, sent only on commit) or
 * `jobRemove` per removal, in one transaction when there are several writes;
 * each kind in id order, as every batch locks them. A failed write rolls the
 * transaction back once all have been tried.
 *
 * The inserts are a plain INSERT first (`jobsInsert`): an insert that may
 * meet a taken id (`ON CONFLICT`) is a speculative one, which writes a second
 * WAL record per row to confirm it (48 B). When an id is taken the plain
 * INSERT fails as a whole; it is rolled back to a savepoint taken before it
 * (or, alone, it wrote nothing) and `jobsInsertSkipping` inserts the others.
 */
import pg from 'pg';
import type { JobWrite } from '../store.js';
import type { Database, Run } from './connection.js';
import { jobArrays, jobParams } from './rows.js';
import type { Value } from './sql.js';
import { WritesRejected } from './writes-rejected.js';

const UNIQUE_VIOLATION = '23505';

/** Writes the jobs; returns the indexes of the writes that failed (none written when any did, for several). */
export async function writeJobs(
  db: Database,
  writes: JobWrite[],
  notify: Readonly<Record<string, Value>>,
): Promise<number[]> {
  if (writes.length === 0) return [];
  const idOf = (i: number) => writes[i]?.job.id ?? '';
  const order = writes
    .map((_, i) => i)
    .sort((a, b) => (idOf(a) < idOf(b) ? -1 : idOf(a) > idOf(b) ? 1 : a - b));
  const failed: number[] = [];
  const rejected = new WritesRejected();
  const several = writes.length > 1;
  try {
    await db.batch('write jobs', several, async (run) => {
      failed.length = 0;
      const inserts = order.filter((i) => writes[i]?.expectedVersion === null);
      if (inserts.length > 0) {
        const jobs = inserts.map((i) => (writes[i] as JobWrite).job);
        const inserted = await insertJobs(run, { ...jobArrays(jobs), ...notify }, several);
        // An id inserted once: a second write of it in the batch failed.
        for (const i of inserts) if (!inserted.delete(idOf(i))) failed.push(i);
      }
      for (const i of order) {
        const write = writes[i];
        if (!write || write.expectedVersion === null) continue;
        if (write.remove) {
          const params = { id: write.job.id, expected_version: write.expectedVersion };
          if ((await run('jobRemove', params)).rows.length !== 1) failed.push(i);
          continue;
        }
        const { rows } = await run('jobUpdate', {
          ...jobParams(write.job),
          ...notify,
          expected_version: write.expectedVersion,
          drop_planned: write.dropPlanned,
        });
        if (rows.length !== 1) failed.push(i);
      }
      if (failed.length > 0 && several) throw rejected;
    });
  } catch (err) {
    if (err !== rejected && (err as { cause?: unknown } | null)?.cause !== rejected) throw err;
  }
  return failed.sort((a, b) => a - b);
}

/** The ids inserted: all of them by a plain INSERT, else those not taken (see the module comment). */
async function insertJobs(
  run: Run,
  values: Readonly<Record<string, Value>>,
  inTransaction: boolean,
): Promise<Set<unknown>> {
  const ids = (rows: Record<string, unknown>[]) => new Set(rows.map((row) => row['id']));
  if (inTransaction) await run('savepoint', {});
  try {
    return ids((await run('jobsInsert', values)).rows);
  } catch (err) {
    if (!(err instanceof pg.DatabaseError && err.code === UNIQUE_VIOLATION)) throw err;
    if (inTransaction) await run('rollbackToSavepoint', {});
    return ids((await run('jobsInsertSkipping', values)).rows);
  }
}
