import type { Context } from '@opentelemetry/api';
import type { TSchema } from 'typebox';
import type { Logger } from 'pino';
import type { Job } from '../model/job.js';
import type { TargetBase } from '../model/target.js';

/**
 * What one attempt of one execution knows. Handlers receive it as `ctx`;
 * every executor receives it with the target.
 */
export interface ExecutionContext {
  /** The execution's id: the same for every attempt, so it serves as the idempotency key. */
  readonly executionId: string;
  /** The job as it was when the execution was claimed. */
  readonly job: Job;
  /** The payload: the trigger's override, or the job's payload. */
  readonly payload: unknown;
  /** The instant this fire was due (for a manual trigger, when it was triggered). */
  readonly fireAt: Date;
  /** True for a fire added by a backfill (`backfillJob`): targets get a backfill header. */
  readonly backfill?: boolean;
  /** 1 for the first attempt, 2 for the first retry or take-over, … */
  readonly attempt: number;
  /**
   * Aborted on timeout, on a lost lease, when a newer fire replaces the
   * execution (`overlap: 'replace'`) and at shutdown; `signal.reason` says which.
   */
  readonly signal: AbortSignal;
  /** A pino logger bound to the job and execution. */
  readonly logger: Logger;
  /**
   * The OpenTelemetry context of this attempt, holding its span (a no-op one
   * when no SDK is registered): start spans of your own under it, or
   * propagate it. The HTTP, AMQP and NATS targets send it as `traceparent`.
   */
  readonly traceContext?: Context;
}

/**
 * Runs one kind of target. Each target type is one executor module under
 * `src/executors/<type>/` with its own TypeBox schema; adding a type touches
 * nothing but the list of built-in executors.
 */
export interface Executor<T extends TargetBase = TargetBase> {
  /** The target `type` this executor runs. */
  readonly type: T['type'];
  /** The target's TypeBox schema (used by the library, the HTTP API and the job JSON Schema). */
  readonly schema: TSchema;
  /** Checks beyond the schema; throws a ChimeError naming the field under `path`. */
  validate?(target: T, path: string): void;
  /**
   * Runs one attempt. Resolves with a JSON-able result (recorded, size-capped),
   * rejects to fail the attempt: `PermanentError` fails the execution at once,
   * `RetryAfterError` asks for a delay. Must stop when `ctx.signal` aborts.
   */
  run(target: T, ctx: ExecutionContext): Promise<unknown>;
  /** Releases pooled connections; called once when the scheduler stops. */
  close?(): Promise<void>;
}
