import { ChimeError, PermanentError, RetryAfterError, isChimeError } from '../errors.js';
import type { Attempt, AttemptOutcome, ErrorInfo } from '../model/execution.js';
import { formatInstant } from '../model/instant.js';
import type { LastOutcome } from '../model/job.js';
import { findTooDeep } from '../model/json-value.js';
import { storableJson, storableText } from '../model/storable-text.js';
import { MAX_JSON_DEPTH } from '../model/limits.js';
import { reasonAsError, type Reason } from '../model/reason.js';
import type { Claim, FinishRequest, StatsDelta } from '../stores/store.js';
import { retentionOf, retryDelay, type ResolvedPolicies } from './policies.js';

/** How an attempt's code ended. */
export type AttemptResult = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * An attempt's end, decided: the fenced write to make, and what to announce;
 * a fire not run (or waiting) says why.
 */
export type Decision =
  | {
      finish: FinishRequest;
      kind: 'succeeded' | 'retry' | 'dead' | 'handed-back';
      error?: ErrorInfo;
    }
  | {
      finish: FinishRequest;
      kind: 'skipped' | 'missed' | 'cancelled' | 'buffered';
      reason: Reason;
    };

/** What the decision needs to know about the attempt. */
export interface AttemptFacts {
  claim: Claim;
  leaseToken: number;
  owner: string;
  attempt: number;
  startedAt: number;
  now: number;
  leaseMs: number;
  policies: ResolvedPolicies;
  maxResultBytes: number;
  /** The attempt a previous holder abandoned (a take-over), to be recorded with this end. */
  abandoned: Attempt | undefined;
}

const MAX_ERROR_MESSAGE = 2_000;

/**
 * Decides what an attempt's end means: success; a failure retried after a
 * backoff (or the receiver's `Retry-After`, bounded by `maxDelay`); a failure
 * for good (`PermanentError`, or no attempt left), keeping the lease when an
 * onFailure target must be delivered next; or a shutdown that hands the
 * execution back at once. Returns undefined when the lease was lost: there is
 * nothing this instance may write.
 */
export function decideOutcome(facts: AttemptFacts, result: AttemptResult): Decision | undefined {
  const { claim, now, policies } = facts;
  if (result.ok) {
    return {
      kind: 'succeeded',
      finish: finishOf(facts, {
        status: 'succeeded',
        attempt: attemptRecord(facts, 'succeeded'),
        result: capResult(result.value, facts.maxResultBytes),
        onFailure: null,
        finishedAt: now,
        lastOutcome: lastOutcome(claim, 'succeeded', now),
        stats: statsOf('succeeded', claim.execution.fireAt, now),
      }),
    };
  }
  if (isChimeError(result.error, 'CHIME_ERR_LEASE_LOST')) return undefined;
  const error = toErrorInfo(result.error);
  if (isChimeError(result.error, 'CHIME_ERR_SHUTDOWN')) {
    return {
      kind: 'handed-back',
      error,
      finish: finishOf(facts, {
        status: 'scheduled',
        // A started execution handed back before its instant stays due at that instant.
        runAt: Math.max(now, claim.execution.runAt),
        attempt: attemptRecord(facts, 'shutdown', error),
        error,
        onFailure: null,
        finishedAt: null,
        lastOutcome: null,
      }),
    };
  }
  const outcome: AttemptOutcome = isChimeError(result.error, 'CHIME_ERR_ATTEMPT_TIMEOUT')
    ? 'timed_out'
    : 'failed';
  const permanent = result.error instanceof PermanentError;
  const failures = failuresOf(claim.execution.attempts) + (facts.abandoned ? 1 : 0) + 1;
  if (!permanent && failures < policies.maxAttempts) {
    const delay =
      result.error instanceof RetryAfterError
        ? Math.min(result.error.retryAfterMs, policies.maxDelayMs)
        : retryDelay(policies, failures);
    return {
      kind: 'retry',
      error,
      finish: finishOf(facts, {
        status: 'scheduled',
        runAt: now + delay,
        attempt: attemptRecord(facts, outcome, error),
        error,
        onFailure: null,
        finishedAt: null,
        lastOutcome: null,
      }),
    };
  }
  return dead(facts, error, attemptRecord(facts, outcome, error));
}

/**
 * The end of an execution whose attempts kept vanishing with their instance
 * (a handler that crashes its process): once as many attempts as the retry
 * policy allows were abandoned, it fails for good instead of being taken over
 * again, so it cannot bring down every instance in turn. The attempt its last
 * holder lost, if any, is recorded with the end.
 */
export function decideAbandoned(facts: Omit<AttemptFacts, 'attempt' | 'startedAt'>): Decision {
  const { abandoned } = facts;
  const n = failuresOf(facts.claim.execution.attempts) + (abandoned ? 1 : 0);
  const error: ErrorInfo = {
    message: `gave up after ${n} attempts that failed or whose instance vanished`,
    name: 'Error',
  };
  const unrun = { ...facts, attempt: facts.claim.execution.attempt, startedAt: facts.now };
  return dead({ ...unrun, abandoned: undefined }, error, abandoned);
}

/**
 * The end of a claimed fire that is not run, with its `reason`: `skipped` (an
 * earlier fire of its job is unfinished, or its job is paused), `missed` (its
 * start came past the misfire grace) or `cancelled` (a retry that a newer
 * fire replaced). `abandoned`: the attempt a previous holder lost, if any.
 */
export function decideUnrun(
  facts: Omit<AttemptFacts, 'attempt' | 'startedAt'>,
  kind: 'skipped' | 'missed' | 'cancelled',
  reason: Reason,
): Decision {
  const unrun = { ...facts, attempt: facts.claim.execution.attempt, startedAt: facts.now };
  const finish = finishOf(
    { ...unrun, abandoned: undefined },
    {
      status: kind,
      error: reasonAsError(reason),
      onFailure: null,
      finishedAt: facts.now,
      lastOutcome: null,
      stats: statsOf(kind, facts.claim.execution.fireAt, facts.now),
    },
  );
  if (facts.abandoned) finish.attempt = facts.abandoned;
  return { kind, finish, reason };
}

/**
 * A fire that waits for an earlier execution of its job (`buffer_one`):
 * handed back, due again at `runAt`, its reason recorded.
 */
export function decideBuffered(facts: AttemptFacts, reason: Reason, runAt: number): Decision {
  const finish = finishOf(facts, {
    status: 'scheduled',
    runAt,
    error: reasonAsError(reason),
    onFailure: null,
    finishedAt: null,
    lastOutcome: null,
  });
  return { kind: 'buffered', finish, reason };
}

/**
 * The attempt a taken-over execution lost: the previous holder had started
 * it, or may have (the execution is `running` under its attempt number: the
 * holder marked it, or the store did when it voided the holder's leases), and
 * vanished — declared dead, or its lease expired. Undefined when nothing was
 * started.
 */
export function abandonedAttempt(claim: Claim, now: number): Attempt | undefined {
  const { execution, takenFrom } = claim;
  if (takenFrom === undefined || execution.status !== 'running') return undefined;
  return {
    attempt: execution.attempt,
    owner: takenFrom,
    startedAt: formatInstant(execution.startedAt ?? now),
    finishedAt: formatInstant(now),
    outcome: 'abandoned',
    error: {
      message: `instance ${takenFrom} vanished during the attempt (declared dead, or its lease expired)`,
    },
  };
}

/** What an end adds to its job's statistics. */
export function statsOf(
  kind: 'succeeded' | 'failed' | 'missed' | 'skipped' | 'cancelled',
  fireAt: number,
  at: number,
): StatsDelta {
  const ran = kind === 'succeeded' || kind === 'failed';
  return {
    succeeded: kind === 'succeeded' ? 1 : 0,
    failed: kind === 'failed' ? 1 : 0,
    missed: kind === 'missed' ? 1 : 0,
    skipped: kind === 'skipped' ? 1 : 0,
    lastFireAt: ran ? fireAt : null,
    lastSuccessAt: kind === 'succeeded' ? at : null,
    lastFailureAt: kind === 'failed' ? at : null,
    fresh: kind === 'succeeded',
  };
}

/** Attempts that count against `retry.maxAttempts`: every one that failed, timed out or was abandoned. */
export function failuresOf(attempts: readonly Attempt[]): number {
  return attempts.filter((a) => a.outcome !== 'succeeded' && a.outcome !== 'shutdown').length;
}

function dead(facts: AttemptFacts, error: ErrorInfo, attempt: Attempt | undefined): Decision {
  const { claim, now } = facts;
  const deliver = claim.job.definition.onFailure !== undefined;
  const finish = finishOf(facts, {
    status: 'failed',
    error,
    onFailure: deliver ? 'pending' : null,
    finishedAt: now,
    lastOutcome: { ...lastOutcome(claim, 'failed', now), error: error.message },
    stats: statsOf('failed', claim.execution.fireAt, now),
  });
  if (attempt) finish.attempt = attempt;
  if (deliver) finish.keepLeaseUntil = now + facts.leaseMs;
  return { kind: 'dead', error, finish };
}

/**
 * The fenced finish of a running attempt: its fence and retention, and `end`.
 * `Object.assign`, not a spread: on Node 20 a spread that adds properties costs
 * microseconds, and this runs for every fire.
 */
function finishOf(
  facts: AttemptFacts,
  end: Omit<FinishRequest, 'id' | 'jobId' | 'leaseToken' | 'from' | 'retention'>,
): FinishRequest {
  const fence: Pick<
    FinishRequest,
    'id' | 'jobId' | 'leaseToken' | 'from' | 'retention' | 'abandoned'
  > = {
    id: facts.claim.execution.id,
    jobId: facts.claim.execution.jobId,
    leaseToken: facts.leaseToken,
    from: 'claimed',
    retention: retentionOf(facts.policies),
  };
  if (facts.abandoned) fence.abandoned = facts.abandoned;
  return Object.assign(fence, end);
}

function attemptRecord(facts: AttemptFacts, outcome: AttemptOutcome, error?: ErrorInfo): Attempt {
  const record: Attempt = {
    attempt: facts.attempt,
    owner: facts.owner,
    startedAt: formatInstant(facts.startedAt),
    finishedAt: formatInstant(facts.now),
    outcome,
  };
  if (error) record.error = error;
  return record;
}

function lastOutcome(claim: Claim, status: LastOutcome['status'], now: number): LastOutcome {
  return { status, executionId: claim.execution.id, at: formatInstant(now) };
}

/** What a user needs to see of an error: its message, name and chime code. */
export function toErrorInfo(err: unknown): ErrorInfo {
  if (!(err instanceof Error)) return { message: truncate(String(err)) };
  const info: ErrorInfo = { message: truncate(err.message), name: storableText(err.name) };
  // A PermanentError wrapping a chime error (an executor's verdict) keeps its code.
  const coded =
    err instanceof ChimeError ? err : err.cause instanceof ChimeError ? err.cause : undefined;
  if (coded) info.code = coded.code;
  return info;
}

/**
 * A handler's return value as recorded: JSON nested within the limit, at most
 * `maxBytes` once serialized; other values are replaced by a note saying so.
 */
export function capResult(value: unknown, maxBytes: number): unknown {
  if (value === undefined) return undefined;
  const deep = findTooDeep(value);
  if (deep) {
    const why = deep.cycle
      ? 'it refers to itself'
      : `it nests deeper than ${MAX_JSON_DEPTH} levels`;
    return { unserializable: `the result is not recorded: ${why}` };
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    return { unserializable: truncate(String(err)) };
  }
  if (json === undefined) return undefined;
  const bytes = Buffer.byteLength(json);
  if (bytes > maxBytes) return { truncated: true, bytes, limit: maxBytes };
  return storableJson(JSON.parse(json));
}

/** At most {@link MAX_ERROR_MESSAGE} UTF-16 units (not cut inside a surrogate pair), storable. */
function truncate(text: string): string {
  if (text.length <= MAX_ERROR_MESSAGE) return storableText(text);
  const high = text.charCodeAt(MAX_ERROR_MESSAGE - 1);
  const end = high >= 0xd800 && high <= 0xdbff ? MAX_ERROR_MESSAGE - 1 : MAX_ERROR_MESSAGE;
  return `${storableText(text.slice(0, end))}…`;
}
