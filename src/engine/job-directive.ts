/**
 * A job that decides its own next run (go-quartz's `Execute` returning the
 * next task or nil): a handler target may return `{ next: Date }` — the
 * job's next fire is then that instant (the schedule goes on from there) —
 * or `{ complete: true }`, which ends a recurring job like a one-shot's last
 * fire. A result naming `next` or `complete` otherwise (not an instant, not
 * `true`) fails the attempt for good: a handler's mistake is not retried into
 * a loop. The change takes effect from the first fire not yet claimed, as a
 * pause does.
 */
import { ChimeError, PermanentError } from '../errors.js';
import type { JobRecord, Store } from '../stores/store.js';
import type { AttemptResult } from './outcome.js';

/** What a handler's result asks of its job. */
export type JobDirective = { next: number } | { complete: true };

/** Most compare-and-set rounds of a directive's job write. */
const MAX_ROUNDS = 5;

/**
 * The directive in a handler target's successful result, if any; a malformed
 * one turns the result into a permanent failure.
 */
export function readDirective(
  job: JobRecord,
  result: AttemptResult,
): { result: AttemptResult; directive?: JobDirective } {
  const value = result.ok ? result.value : undefined;
  if (job.definition.target.type !== 'handler' || !isRecord(value)) return { result };
  if ('complete' in value) {
    if (value['complete'] === true) return { result, directive: { complete: true } };
    return refused(result, '/complete', 'complete must be true');
  }
  if (!('next' in value)) return { result };
  const next = value['next'];
  const at = next instanceof Date ? next.getTime() : NaN;
  if (Number.isFinite(at)) return { result, directive: { next: at } };
  return refused(
    result,
    '/next',
    `next must be a Date, got ${JSON.stringify(next) ?? String(next)}`,
  );
}

/**
 * Applies a directive to the job as the store has it (a compare-and-set on
 * its version, which it bumps; `nextFireAt` and `completedAt` change, its planned fires that
 * nobody holds are dropped — which reopens a job, so a completion is written
 * again after). A paused job keeps its pause: `next` is ignored.
 */
export async function applyDirective(
  store: Store,
  jobId: string,
  directive: JobDirective,
  now: number,
): Promise<void> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const job = await store.jobGet({ id: jobId });
    if (!job || (job.paused && 'next' in directive)) return;
    // A new version, as every write of a job makes: a plan made on the one before fails.
    const version = job.version + 1;
    const changed: JobRecord =
      'next' in directive
        ? { ...job, version, nextFireAt: directive.next, completedAt: null, updatedAt: now }
        : { ...job, version, nextFireAt: null, completedAt: now, updatedAt: now };
    const write = { job: changed, expectedVersion: job.version, dropPlanned: true };
    if ((await store.jobsWrite({ writes: [write] })).length > 0) continue;
    if ('complete' in directive) {
      await store.jobsWrite({
        writes: [{ ...write, expectedVersion: version, dropPlanned: false }],
      });
    }
    return;
  }
}

function refused(result: AttemptResult, path: string, message: string): { result: AttemptResult } {
  const cause = new ChimeError('CHIME_ERR_INVALID_INPUT', `the handler's result: ${message}`, {
    path,
  });
  return { result: { ok: false, error: new PermanentError(cause.message, { cause }) } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
