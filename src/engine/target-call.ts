import type { Logger } from 'pino';
import { ChimeError } from '../errors.js';
import type { Executor } from '../executors/executor.js';
import type { Claim } from '../stores/store.js';
import { AttemptAbort } from './attempt-abort.js';
import { AttemptContext } from './attempt-context.js';
import { withAttemptSpan } from './attempt-span.js';
import type { Clock } from './clock.js';
import type { HeldLease } from './leases.js';
import type { AttemptResult } from './outcome.js';
import type { ResolvedPolicies } from './policies.js';

/** What a target call needs. */
export interface TargetCallDeps {
  clock: Clock;
  executors: ReadonlyMap<string, Executor>;
  logger: Logger;
}

/**
 * Runs the job's target (or its onFailure target) until it settles or is
 * aborted — by its timeout, the loss of its lease or shutdown: the lease
 * holds the attempt's abort while it runs.
 */
export async function callTarget(
  deps: TargetCallDeps,
  claim: Claim,
  lease: HeldLease,
  attempt: number,
  policies: ResolvedPolicies,
  which: 'target' | 'onFailure',
): Promise<AttemptResult> {
  const { execution, job } = claim;
  const target = which === 'target' ? job.definition.target : job.definition.onFailure;
  const abort = new AttemptAbort();
  lease.abort = abort;
  const timeout = deps.clock.setTimeout(
    () =>
      abort.abort(
        new ChimeError(
          'CHIME_ERR_ATTEMPT_TIMEOUT',
          `attempt ${attempt} of execution ${execution.id} ran past its timeout of ${policies.timeoutMs} ms`,
        ),
      ),
    policies.timeoutMs,
  );
  try {
    const executor = target ? deps.executors.get(target.type) : undefined;
    if (!target || !executor) {
      throw new ChimeError(
        'CHIME_ERR_TARGET_TYPE_UNKNOWN',
        `no executor for target type "${target?.type ?? 'none'}" in this instance`,
        { path: `/${which}/type` },
      );
    }
    const payload = which === 'target' ? payloadOf(claim) : failurePayload(claim);
    const facts = { claim, attempt, which, targetType: target.type, startedAt: deps.clock.now() };
    return await withAttemptSpan(facts, async (traceContext) => {
      const ctx = new AttemptContext(claim, payload, attempt, abort, deps.logger, traceContext);
      try {
        return { ok: true, value: await abort.race(executor.run(target, ctx)) };
      } catch (error) {
        return { ok: false, error: abort.aborted ? abort.reason : error };
      }
    });
  } catch (error) {
    return { ok: false, error: abort.aborted ? abort.reason : error };
  } finally {
    deps.clock.clearTimeout(timeout);
    lease.abort = undefined;
  }
}

/** The payload a fire's target receives: the trigger's override, or the job's. */
function payloadOf(claim: Claim): unknown {
  const { execution, job } = claim;
  return execution.payload !== undefined ? execution.payload : (job.definition.payload ?? null);
}

/** The payload an onFailure target receives: the failure, and the original payload. */
function failurePayload(claim: Claim): unknown {
  const { execution, job } = claim;
  return {
    jobId: job.id,
    executionId: execution.id,
    fireAt: new Date(execution.fireAt).toISOString(),
    attempts: execution.attempts,
    error: execution.error ?? null,
    payload: payloadOf(claim),
  };
}
