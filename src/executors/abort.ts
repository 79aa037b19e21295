/**
 * Signals for attempts: the attempt's own signal (timeout, lost lease,
 * shutdown) combined with a target's shorter `timeout`, and a race of work
 * against a signal.
 *
 * Not `AbortSignal.any([signal, AbortSignal.timeout(ms)])`: on Node 20 the
 * garbage collector may drop such a timeout signal before it fires, and the
 * attempt would then wait for the job's timeout instead.
 */
import { parseDuration, type Duration } from '../model/duration.js';

/** An attempt's signal, aborted earlier by a target's own timeout. */
export interface AttemptSignal {
  readonly signal: AbortSignal;
  /** True when the target's timeout (not the attempt's signal) aborted it. */
  timedOut(): boolean;
  /** Clears the timer and the listener; call when the attempt ends. */
  dispose(): void;
}

/** `outer`, or a signal that also aborts after `timeoutMs` when one is given. */
export function attemptSignal(outer: AbortSignal, timeoutMs: number | undefined): AttemptSignal {
  if (timeoutMs === undefined)
    return { signal: outer, timedOut: () => false, dispose: () => undefined };
  const controller = new AbortController();
  let expired = false;
  const abort = () => controller.abort(outer.reason);
  const timer = setTimeout(() => {
    expired = !outer.aborted;
    controller.abort();
  }, timeoutMs);
  outer.addEventListener('abort', abort, { once: true });
  if (outer.aborted) abort();
  return {
    signal: controller.signal,
    timedOut: () => expired,
    dispose() {
      clearTimeout(timer);
      outer.removeEventListener('abort', abort);
    },
  };
}

/** Settles with `work`, or rejects with `reason()` as soon as `signal` aborts. */
function untilAborted<T>(
  work: Promise<T>,
  signal: AbortSignal,
  reason: () => unknown = () => signal.reason,
): Promise<T> {
  work.catch(() => undefined); // it may settle after the abort: nobody waits for it then
  if (signal.aborted) return Promise.reject(reason());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(reason());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Runs `work` under the attempt's signal and a target's own `timeout`: it
 * gets the combined signal, and the returned promise rejects with `reason()`
 * as soon as either aborts (the work may settle later; nobody waits for it).
 */
export async function runBounded<T>(
  outer: AbortSignal,
  timeout: Duration | undefined,
  work: (signal: AbortSignal) => Promise<T>,
  reason: () => unknown,
): Promise<T> {
  const bounded = attemptSignal(
    outer,
    timeout === undefined ? undefined : parseDuration(timeout, '/target/timeout'),
  );
  try {
    return await untilAborted(work(bounded.signal), bounded.signal, reason);
  } finally {
    bounded.dispose();
  }
}
