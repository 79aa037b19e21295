import { ChimeError } from '../errors.js';
import type { Attempt } from '../model/execution.js';
import { reasonAsError, reasonOf, type Reason } from '../model/reason.js';
import type { ExecutionRecord, FinishRequest, Store } from '../stores/store.js';
import type { Leases } from './leases.js';
import { decideBuffered, decideUnrun, type AttemptFacts, type Decision } from './outcome.js';
import { retentionOf } from './policies.js';
import { overlapping } from './unrun.js';

/** Executions of a job looked at, per status, when a fire overlaps. */
const LOOK_LIMIT = 100;
/** Bounds of the wait of a buffered fire before it checks again (see {@link bufferWaitMs}). */
const BUFFER_WAIT_MIN_MS = 1_000;
const BUFFER_WAIT_MAX_MS = 30_000;

/** What the overlap policies need from the runner. */
export interface OverlapDeps {
  store: Store;
  leases: Leases;
}

/** What becomes of a fire that overlaps: an end (skipped, missed, waiting), or a start once the earlier ones are cancelled. */
export type OverlapVerdict = { end: Decision } | { replaced: true };

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Decides a fire whose checked start found an earlier execution of its job
 * unfinished (running, or waiting for a retry), by its job's policy:
 * - `forbid`: skipped (missed when past its grace: see `overlapping`);
 * - `replace`: the earlier ones are cancelled — each end written with its
 *   holder's lease token, which fences the holder out: an attempt held here
 *   is aborted at once, one held elsewhere when its holder's next lease
 *   renewal fails — and the fire starts;
 * - `buffer_one`: it waits (handed back, due again a little later) unless an
 *   earlier fire already waits: then it is skipped.
 * A backfilled fire is asked for explicitly, and a backfill's fires are all
 * due at once: under any policy but `allow` it waits for the earlier ones,
 * so they run one after another and none is skipped or replaced.
 */
export async function resolveOverlap(
  deps: OverlapDeps,
  facts: AttemptFacts,
): Promise<OverlapVerdict> {
  const { overlap } = facts.policies;
  if (facts.claim.execution.backfill) return { end: buffered(facts) };
  if (overlap === 'replace') {
    await cancelEarlier(deps, facts);
    return { replaced: true };
  }
  if (overlap === 'buffer_one') return { end: await bufferOrSkip(deps.store, facts) };
  const reason: Reason = {
    code: 'overlap',
    message: 'an earlier execution of its job was unfinished (overlap forbid)',
  };
  return { end: overlapping(facts, reason) };
}

/** True for a retry or a take-over under `replace`: one a newer fire may have replaced ({@link replacedRetry}). */
export function mayBeReplaced(facts: AttemptFacts): boolean {
  return facts.policies.overlap === 'replace' && facts.claim.execution.attempt > 0;
}

/**
 * Under `replace`, a retry (or a take-over) of an execution that a newer
 * fire of its job has replaced since — it was waiting, unleased, when that
 * fire started, so nobody could cancel it then — is cancelled instead of run.
 */
export async function replacedRetry(
  store: Store,
  facts: AttemptFacts,
): Promise<Decision | undefined> {
  const { execution } = facts.claim;
  const newest = await store.executionsList({ jobId: execution.jobId, limit: LOOK_LIMIT });
  const newer = newest.find(
    (e) => e.fireAt > execution.fireAt && !(e.status === 'scheduled' && e.attempt === 0),
  );
  if (!newer) return undefined;
  return decideUnrun(facts, 'cancelled', replacedBy(newer));
}

async function cancelEarlier(deps: OverlapDeps, facts: AttemptFacts): Promise<void> {
  const { claim, now, policies } = facts;
  const reason = replacedBy(claim.execution);
  const cancels = (await unfinishedBefore(deps.store, claim.execution))
    .filter((e) => e.leaseOwner !== null)
    .map((e): FinishRequest => {
      const cancel: FinishRequest = {
        id: e.id,
        jobId: e.jobId,
        leaseToken: e.leaseToken,
        from: 'claimed',
        status: 'cancelled',
        error: reasonAsError(reason),
        onFailure: null,
        finishedAt: now,
        lastOutcome: null,
        retention: retentionOf(policies),
      };
      if (e.status === 'running') cancel.attempt = cancelledAttempt(e, reason, now);
      return cancel;
    });
  if (cancels.length === 0) return;
  const accepted = await deps.store.executionsFinish({ finishes: cancels });
  cancels.forEach((cancel, i) => {
    const held = accepted[i] ? deps.leases.drop(cancel.id) : undefined;
    held?.abort?.abort(new ChimeError('CHIME_ERR_REPLACED', reason.message));
  });
}

async function bufferOrSkip(store: Store, facts: AttemptFacts): Promise<Decision> {
  const { execution } = facts.claim;
  if (reasonOf(execution.error)?.code !== 'buffered') {
    const before = { fireAt: execution.fireAt, id: '' };
    const scheduled = await store.executionsList({
      jobId: execution.jobId,
      status: 'scheduled',
      before,
      limit: LOOK_LIMIT,
    });
    const waiting = scheduled.find((e) => e.attempt === 0);
    if (waiting) {
      const message = `the fire of ${iso(waiting.fireAt)} already waited for an earlier execution (overlap buffer_one)`;
      return overlapping(facts, { code: 'buffer_full', message });
    }
  }
  return buffered(facts);
}

/** The fire waits for the earlier execution of its job, and its start is checked again later. */
function buffered(facts: AttemptFacts): Decision {
  const { overlap } = facts.policies;
  const reason: Reason = {
    code: 'buffered',
    message: `waited for an earlier execution of its job to finish (overlap ${overlap})`,
  };
  // Waited since its instant, or since it was made (a backfilled fire: long after its instant).
  const { fireAt, createdAt } = facts.claim.execution;
  const waitedMs = facts.now - Math.max(fireAt, createdAt);
  return decideBuffered(facts, reason, facts.now + bufferWaitMs(waitedMs));
}

/**
 * How long a buffered fire waits before its start is checked again: a
 * quarter of how long it has waited so far, from 1 s to 30 s — prompt after
 * a short run, a few requests a minute during a long one.
 */
function bufferWaitMs(waitedMs: number): number {
  return Math.min(BUFFER_WAIT_MAX_MS, Math.max(BUFFER_WAIT_MIN_MS, Math.floor(waitedMs / 4)));
}

/** The unfinished executions of a job (rules.ts isUnfinishedForOverlap) that fired before `e`. */
async function unfinishedBefore(store: Store, e: ExecutionRecord): Promise<ExecutionRecord[]> {
  const look = (status: 'running' | 'scheduled') =>
    store.executionsList({
      jobId: e.jobId,
      status,
      before: { fireAt: e.fireAt, id: '' },
      limit: LOOK_LIMIT,
    });
  const [running, scheduled] = await Promise.all([look('running'), look('scheduled')]);
  return [...running, ...scheduled.filter((s) => s.attempt > 0)];
}

function replacedBy(newer: ExecutionRecord): Reason {
  return {
    code: 'replaced',
    message: `replaced by the fire of ${iso(newer.fireAt)} (execution ${newer.id}, overlap replace)`,
  };
}

function cancelledAttempt(e: ExecutionRecord, reason: Reason, now: number): Attempt {
  return {
    attempt: e.attempt,
    owner: e.leaseOwner ?? '',
    startedAt: iso(e.startedAt ?? now),
    finishedAt: iso(now),
    outcome: 'cancelled',
    error: { message: reason.message, name: 'ChimeError', code: 'CHIME_ERR_REPLACED' },
  };
}
