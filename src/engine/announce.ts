import type { Claim } from '../stores/store.js';
import type { SchedulerEmitter } from './events.js';
import type { AttemptResult, Decision } from './outcome.js';

/** What every execution event names. */
export function eventBase(claim: Claim): { executionId: string; jobId: string; fireAt: Date } {
  return {
    executionId: claim.execution.id,
    jobId: claim.job.id,
    fireAt: new Date(claim.execution.fireAt),
  };
}

/** Announces a written end: success, a failed attempt (with its retry), death, a skipped or missed fire. */
export function announceEnd(
  events: SchedulerEmitter,
  claim: Claim,
  attempt: number,
  startedAt: number,
  now: number,
  decision: Decision,
  result: AttemptResult,
): void {
  switch (decision.kind) {
    case 'succeeded':
      if (!events.has('execution:succeeded')) return;
      events.emit(
        'execution:succeeded',
        Object.assign(eventBase(claim), {
          attempt,
          result: result.ok ? result.value : undefined,
          durationMs: now - startedAt,
        }),
      );
      return;
    case 'skipped':
      events.emit('fire:skipped', { ...eventBase(claim), reason: decision.reason });
      return;
    case 'missed': {
      const lateByMs = now - claim.execution.fireAt;
      events.emit('fire:missed', { ...eventBase(claim), lateByMs, reason: decision.reason });
      return;
    }
    case 'cancelled':
    case 'buffered':
      return;
    default: {
      const base = { ...eventBase(claim), attempt };
      const error = decision.error ?? { message: 'unknown error' };
      // A retry, or an execution handed back at shutdown, runs again at `runAt`.
      const retryAt = decision.kind === 'dead' ? null : new Date(decision.finish.runAt ?? now);
      events.emit('execution:failed', { ...base, error, retryAt });
      if (decision.kind === 'dead') events.emit('execution:dead', { ...base, error });
    }
  }
}
