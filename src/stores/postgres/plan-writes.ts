/**
 * The Postgres store's `jobsAdvance`: the plans in one statement per segment
 * of distinct jobs, in one transaction when there are several segments.
 *
 * The fires are inserted by a plain INSERT first (`jobsAdvance`): an insert
 * that may meet a taken fire (`ON CONFLICT DO NOTHING`) is a speculative one,
 * which writes a second WAL record per row to confirm it (48 B). A plan holds
 * its job's row lock and applies only when the job's version and next fire
 * are those it planned from, so its fires are new but for rare cases: the
 * job's planned fires kept through an update that moved its schedule back, a
 * backfilled fire the plan catches up on. Then the plain INSERT fails,
 * Postgres rolls back the statement (or the batch's transaction), and the
 * whole batch runs again with `jobsAdvanceSkipping`, which skips taken fires.
 */
import pg from 'pg';
import type { Claim, JobPlan } from '../store.js';
import { segments, type Database } from './connection.js';
import { collectAdvance, planArrays, type AdvanceRow } from './rows.js';
import type { StatementName, Value } from './sql.js';

const UNIQUE_VIOLATION = '23505';

/** Applies the plans; returns the claims of the leased fires inserted and the jobs whose plan applied. */
export async function applyPlans(
  db: Database,
  plans: JobPlan[],
  params: Readonly<Record<string, Value>>,
): Promise<{ claims: Claim[]; applied: string[] }> {
  try {
    return await applyAll(db, plans, params, 'jobsAdvance');
  } catch (err) {
    const cause = (err as { cause?: unknown } | null)?.cause;
    if (!(cause instanceof pg.DatabaseError && cause.code === UNIQUE_VIOLATION)) throw err;
    return await applyAll(db, plans, params, 'jobsAdvanceSkipping');
  }
}

async function applyAll(
  db: Database,
  plans: JobPlan[],
  params: Readonly<Record<string, Value>>,
  statement: StatementName,
): Promise<{ claims: Claim[]; applied: string[] }> {
  const claims: Claim[] = [];
  const applied: string[] = [];
  const parts = segments(plans, (plan) => plan.jobId);
  await db.batch('apply plans', parts.length > 1, async (run) => {
    claims.length = 0;
    applied.length = 0;
    for (const part of parts) {
      const values = { ...planArrays(part.items), ...params };
      collectAdvance((await run<AdvanceRow>(statement, values)).rows, claims, applied);
    }
  });
  return { claims, applied };
}
