/**
 * Backfill of a past window (`backfillJob`): every fire of a job's schedule
 * in `[from, to]` becomes an execution with its own `fireAt`, marked
 * `backfill`. The store's `(jobId, fireAt)` uniqueness keeps a fire that is
 * in the ledger from being added again, so a backfill run twice adds nothing;
 * a dry run lists the fires it would add. The window is bounded by the
 * scheduler's `maxBackfillFires`.
 */
import { ChimeError } from '../errors.js';
import { compileJobSchedule } from '../engine/job-schedule.js';
import { parseInstant } from '../model/instant.js';
import type { CustomSchedules } from '../schedules/custom.js';
import type { FireTimes } from '../schedules/fire-times.js';
import type { ExecutionRecord, JobRecord, Store } from '../stores/store.js';
import { newExecution } from '../stores/records.js';

/** What a backfill is asked for. */
export interface BackfillParams {
  /** The window's first instant (a `Date` or ISO 8601 text with an offset). */
  from: Date | string;
  /** The window's last instant, not after now. */
  to: Date | string;
  /** List the fires it would add, and add none. @defaultValue false */
  dryRun?: boolean;
}

/** What a backfill added, or (dry run) would add. */
export interface BackfillResult {
  jobId: string;
  dryRun: boolean;
  /** The fires added (dry run: that would be added), oldest first (ISO 8601). */
  fires: string[];
  /** The fires of the window already in the ledger, left alone (ISO 8601). */
  existing: string[];
}

/** What {@link backfill} needs. */
export interface BackfillDeps {
  store: Store;
  job: JobRecord;
  now: number;
  maxFires: number;
  /** The custom schedules a job may name. */
  customs?: CustomSchedules;
}

/** Runs a backfill of `job` (see the module comment); wakes nothing itself. */
export async function backfill(
  deps: BackfillDeps,
  params: BackfillParams,
): Promise<BackfillResult> {
  const { store, job, now } = deps;
  const { fromMs, toMs } = windowOf(params, now);
  const fires = firesIn(compileJobSchedule(job, deps.customs), job.id, fromMs, toMs, deps.maxFires);
  const ledger = await ledgerFires(store, job.id, fromMs, toMs);
  const existing = fires.filter((fire) => ledger.has(fire));
  const missing = fires.filter((fire) => !ledger.has(fire));
  const dryRun = params.dryRun === true;
  let added = missing;
  if (!dryRun && missing.length > 0) {
    const executions = missing.map((fireAt) => backfilledExecution(job.id, fireAt, now));
    const inserted = new Set(await store.executionsInsert({ executions }));
    added = executions.filter((e) => inserted.has(e.id)).map((e) => e.fireAt);
  }
  const iso = (ms: number) => new Date(ms).toISOString();
  return { jobId: job.id, dryRun, fires: added.map(iso), existing: existing.map(iso) };
}

function backfilledExecution(jobId: string, fireAt: number, now: number): ExecutionRecord {
  return {
    ...newExecution({ jobId, fireAt, runAt: now, now, trigger: 'schedule' }),
    backfill: true,
  };
}

/** The window in epoch ms: instants, `from` not after `to`, `to` not after now. */
function windowOf(params: BackfillParams, now: number): { fromMs: number; toMs: number } {
  const instant = (value: unknown, path: string) =>
    parseInstant(value instanceof Date ? value.toISOString() : value, path);
  const fromMs = instant(params.from, '/from');
  const toMs = instant(params.to, '/to');
  if (toMs > now)
    throw invalid('/to', `a backfill covers a past window; to (${String(params.to)}) is after now`);
  if (fromMs > toMs) throw invalid('/from', 'from is after to');
  return { fromMs, toMs };
}

/** The fires of the job's schedule in `[fromMs, toMs]`, oldest first; at most `max`. */
function firesIn(
  times: FireTimes,
  jobId: string,
  fromMs: number,
  toMs: number,
  max: number,
): number[] {
  const fires: number[] = [];
  for (let at = times.nextAfter(fromMs - 1); at !== null && at <= toMs; at = times.nextAfter(at)) {
    if (fires.length === max) {
      throw new ChimeError(
        'CHIME_ERR_BACKFILL_TOO_LARGE',
        `the window holds more than ${max} fires of job "${jobId}"; backfill a shorter window (or raise maxBackfillFires)`,
        { path: '/to' },
      );
    }
    fires.push(at);
  }
  return fires;
}

/** The fires of the schedule in `[fromMs, toMs]` that have an execution in the ledger. */
async function ledgerFires(
  store: Store,
  jobId: string,
  fromMs: number,
  toMs: number,
): Promise<Set<number>> {
  const found = new Set<number>();
  let before = { fireAt: toMs + 1, id: '' };
  for (;;) {
    const page = await store.executionsList({ jobId, limit: 1000, before });
    for (const e of page)
      if (e.trigger === 'schedule' && e.fireAt >= fromMs && e.fireAt <= toMs) found.add(e.fireAt);
    const last = page.at(-1);
    if (page.length < 1000 || last === undefined || last.fireAt < fromMs) return found;
    before = { fireAt: last.fireAt, id: last.id };
  }
}

function invalid(path: string, message: string): ChimeError {
  return new ChimeError('CHIME_ERR_INVALID_INPUT', message, { path });
}
