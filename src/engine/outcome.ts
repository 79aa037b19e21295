import { ChimeError, PermanentError, RetryAfterError, isChimeError } from '../errors.js';
import type { Attempt, AttemptOutcome, ErrorInfo } from '../model/execution.js';
import type { LastOutcome } from '../model/job.js';
import type { Claim, FinishRequest } from '../stores/store.js';
import { retryDelay, type ResolvedPolicies } from './policies.js';

/** How an attempt's code ended. */
export type AttemptResult = { ok: true; value: unknown } | { ok: false; error: unknown };

/** An attempt's end, decided: the fenced write to make, and what to announce. */
export interface Decision {
  finish: FinishRequest;
  kind: 'succeeded' | 'retry' | 'dead' | 'handed-back';
  error?: ErrorInfo;
}

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
  const base = { id: claim.execution.id, leaseToken: facts.leaseToken };
  if (result.ok) {
    return {
      kind: 'succeeded',
      finish: {
        ...base,
        status: 'succeeded',
        attempt: attemptRecord(facts, 'succeeded'),
        result: capResult(result.value, facts.maxResultBytes),
        onFailure: null,
        finishedAt: now,
        lastOutcome: lastOutcome(claim, 'succeeded', now),
      },
    };
  }
  if (isChimeError(result.error, 'CHIME_ERR_LEASE_LOST')) return undefined;
  const error = toErrorInfo(result.error);
  if (isChimeError(result.error, 'CHIME_ERR_SHUTDOWN')) {
    return {
      kind: 'handed-back',
      error,
      finish: {
        ...base,
        status: 'scheduled',
        runAt: now,
        attempt: attemptRecord(facts, 'shutdown', error),
        error,
        onFailure: null,
        finishedAt: null,
        lastOutcome: null,
      },
    };
  }
  const outcome: AttemptOutcome = isChimeError(result.error, 'CHIME_ERR_ATTEMPT_TIMEOUT')
    ? 'timed_out'
    : 'failed';
  const permanent = result.error instanceof PermanentError;
  if (!permanent && facts.attempt < policies.maxAttempts) {
    const delay =
      result.error instanceof RetryAfterError
        ? Math.min(result.error.retryAfterMs, policies.maxDelayMs)
        : retryDelay(policies, facts.attempt);
    return {
      kind: 'retry',
      error,
      finish: {
        ...base,
        status: 'scheduled',
        runAt: now + delay,
        attempt: attemptRecord(facts, outcome, error),
        error,
        onFailure: null,
        finishedAt: null,
        lastOutcome: null,
      },
    };
  }
  const deliver = claim.job.definition.onFailure !== undefined;
  const finish: FinishRequest = {
    ...base,
    status: 'failed',
    attempt: attemptRecord(facts, outcome, error),
    error,
    onFailure: deliver ? 'pending' : null,
    finishedAt: now,
    lastOutcome: { ...lastOutcome(claim, 'failed', now), error: error.message },
  };
  if (deliver) finish.keepLeaseUntil = now + facts.leaseMs;
  return { kind: 'dead', error, finish };
}

function attemptRecord(facts: AttemptFacts, outcome: AttemptOutcome, error?: ErrorInfo): Attempt {
  const record: Attempt = {
    attempt: facts.attempt,
    owner: facts.owner,
    startedAt: new Date(facts.startedAt).toISOString(),
    finishedAt: new Date(facts.now).toISOString(),
    outcome,
  };
  if (error) record.error = error;
  return record;
}

function lastOutcome(claim: Claim, status: LastOutcome['status'], now: number): LastOutcome {
  return { status, executionId: claim.execution.id, at: new Date(now).toISOString() };
}

/** What a user needs to see of an error: its message, name and chime code. */
export function toErrorInfo(err: unknown): ErrorInfo {
  if (!(err instanceof Error)) return { message: truncate(String(err)) };
  const info: ErrorInfo = { message: truncate(err.message), name: err.name };
  if (err instanceof ChimeError) info.code = err.code;
  return info;
}

/**
 * A handler's return value as recorded: JSON, at most `maxBytes` once
 * serialized; larger or unserializable values are replaced by a note saying so.
 */
export function capResult(value: unknown, maxBytes: number): unknown {
  if (value === undefined) return undefined;
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    return { unserializable: truncate(String(err)) };
  }
  if (json === undefined) return undefined;
  const bytes = Buffer.byteLength(json);
  if (bytes > maxBytes) return { truncated: true, bytes, limit: maxBytes };
  return JSON.parse(json) as unknown;
}

function truncate(text: string): string {
  return text.length > MAX_ERROR_MESSAGE ? `${text.slice(0, MAX_ERROR_MESSAGE)}…` : text;
}
