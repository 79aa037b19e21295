import { EventEmitter } from 'node:events';
import type { ErrorInfo } from '../model/execution.js';
import type { Reason } from '../model/reason.js';

/** What every execution event names. */
export interface ExecutionEventBase {
  executionId: string;
  jobId: string;
  /** The fire instant (for a manual trigger, when it was triggered). */
  fireAt: Date;
}

/** The scheduler's events, `noun:verb`, with their payloads. */
export interface SchedulerEvents {
  /** An attempt started. */
  'execution:started': ExecutionEventBase & { attempt: number; startedAt: Date };
  /** An attempt succeeded; the execution is finished. */
  'execution:succeeded': ExecutionEventBase & {
    attempt: number;
    result: unknown;
    durationMs: number;
  };
  /** An attempt failed; `retryAt` is set when another attempt will follow. */
  'execution:failed': ExecutionEventBase & {
    attempt: number;
    error: ErrorInfo;
    retryAt: Date | null;
  };
  /** A manual trigger (`triggerJob`) created an execution; it runs as soon as a slot is free. */
  'execution:triggered': ExecutionEventBase;
  /** The execution failed for good (no attempt left, or a PermanentError). */
  'execution:dead': ExecutionEventBase & { attempt: number; error: ErrorInfo };
  /** The job's onFailure target ran for a dead execution. */
  'execution:on-failure': ExecutionEventBase & { delivered: boolean; error?: ErrorInfo };
  /** A fire was not run by the misfire policy and is recorded as missed, with its reason. */
  'fire:missed': ExecutionEventBase & { lateByMs: number; reason: Reason };
  /** More fires were missed than recorded one by one (see MAX_MISSED_RECORDED). */
  'fire:missed-unrecorded': { jobId: string; before: Date };
  /** A fire was not run (the overlap policy, its job paused) and is recorded as skipped, with its reason. */
  'fire:skipped': ExecutionEventBase & { reason: Reason };
  /** This instance lost the lease of an execution; its attempt was aborted. */
  'lease:lost': ExecutionEventBase & { attempt: number };
  /** A job went without success for its `staleAfter` (reported once per episode, by one instance). */
  'job:stale': {
    jobId: string;
    staleSince: Date;
    lastSuccessAt: Date | null;
    staleAfterMs: number;
  };
  /** A job was created (`submitJob`, `ensureJob` and their bulk forms), by this instance. */
  'job:created': { jobId: string; version: number };
  /** A job's definition or paused state was changed (an update, `pauseJob`, `resumeJob`), by this instance. */
  'job:changed': { jobId: string; version: number; paused: boolean };
  /** A job was removed with its executions (`removeJob`), by this instance. */
  'job:removed': { jobId: string };
  /** Finished executions of a job were pruned by its retention. */
  'history:pruned': { jobId: string; deleted: number };
  /** This instance declared another one dead (silent too long, or gone); its leases are void. */
  'instance:dead': { instanceId: string; declaredBy: string };
  /** This instance found itself declared dead: its leases were voided; it registers again. */
  'instance:declared-dead': { instanceId: string };
  /** Something failed outside any attempt (a store call, a listener). */
  error: { error: Error; during: string };
}

/** A name of {@link SchedulerEvents}. */
export type SchedulerEventName = keyof SchedulerEvents;

/** A typed emitter of {@link SchedulerEvents}. A throwing listener is reported as `error`, never breaks the engine. */
export class SchedulerEmitter {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  /** Subscribes; returns a function that unsubscribes. */
  on<E extends SchedulerEventName>(
    event: E,
    listener: (payload: SchedulerEvents[E]) => void,
  ): () => void {
    this.emitter.on(event, listener);
    return () => this.emitter.off(event, listener);
  }

  /** Emits an event to its listeners. */
  emit<E extends SchedulerEventName>(event: E, payload: SchedulerEvents[E]): void {
    if (this.emitter.listenerCount(event) === 0) return;
    for (const listener of this.emitter.listeners(event)) {
      try {
        (listener as (p: SchedulerEvents[E]) => void)(payload);
      } catch (err) {
        if (event !== 'error')
          this.emit('error', { error: toError(err), during: `listener of ${event}` });
      }
    }
  }

  /** True when someone listens to `event`. */
  has(event: SchedulerEventName): boolean {
    return this.emitter.listenerCount(event) > 0;
  }
}

/** Coerces anything thrown into an Error. */
export function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
